/**
 * A paused qemu-system-x86_64 holding a virtkit memory image as guest RAM, put into long mode
 * with paging through its gdbstub, then asked for its own translation through the HMP monitor.
 *
 * How (QEMU 7.2 facts, found by trying): `-machine none` does not work for x86, so `-machine pc
 * -S` keeps the vCPU stopped from the start. gdb refuses `set $cr4 = …` (QEMU types the control
 * registers as flag structures), but raw register writes `maint packet P<nr>=<LE hex>` work; the
 * register numbers are looked up in QEMU's own target description (`maint print
 * remote-registers`). `disconnect` leaves the vCPU stopped (`detach` would resume it at the
 * reset vector, which with paging on would fault, triple-fault and reset the control
 * registers), so the monitor then reads a frozen, consistent paging state: `info tlb` walks the
 * tables from CR3 and `gva2gpa` translates one address, with the vCPU never executing anything.
 *
 * No network: `-nic none`, and every socket is a unix socket in a private temp directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PagingRegs {
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Little-endian hex of a 64-bit register value, as the gdb remote protocol's P packet wants it. */
export function leHex64(v: bigint): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return out;
}

export class QemuGuest {
  private constructor(
    readonly proc: ChildProcess,
    readonly dir: string,
    private readonly log: { text: string },
  ) {}

  get gdbSocket(): string {
    return join(this.dir, 'g.sock');
  }
  get monitorSocket(): string {
    return join(this.dir, 'm.sock');
  }

  /** Start QEMU paused with `image` loaded at guest physical address 0. */
  static async start(image: string, ramMiB: number): Promise<QemuGuest> {
    const dir = mkdtempSync(join(tmpdir(), 'vk-q-'));
    const args = [
      '-accel', 'tcg', '-machine', 'pc', '-cpu', 'max', '-S', '-nographic', '-nic', 'none', '-vga', 'none', '-serial', 'none', '-parallel', 'none',
      '-m', `${ramMiB}M`,
      '-device', `loader,file=${image},addr=0,force-raw=on`,
      '-gdb', `unix:${join(dir, 'g.sock')},server,nowait`,
      '-monitor', `unix:${join(dir, 'm.sock')},server,nowait`,
    ];
    const log = { text: '' };
    const proc = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (log.text += String(d)));
    proc.stderr!.on('data', (d) => (log.text += String(d)));
    const q = new QemuGuest(proc, dir, log);
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`qemu exited (${proc.exitCode}): ${log.text}`);
      if (existsSync(q.gdbSocket) && existsSync(q.monitorSocket)) return q;
      await sleep(25);
    }
    q.kill();
    throw new Error(`qemu did not open its sockets in 5 s: ${log.text}`);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private gdb(commands: string[]): string {
    const args = ['-batch', '-nx', '-ex', `target remote ${this.gdbSocket}`];
    for (const c of commands) args.push('-ex', c);
    const r = spawnSync('gdb', args, { encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`gdb failed (${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout + r.stderr;
  }

  /** gdb remote register numbers of cr0, cr3, cr4 and efer in QEMU's x86-64 target description. */
  registerNumbers(): Record<keyof PagingRegs, number> {
    const out = this.gdb(['maint print remote-registers', 'disconnect']);
    const found: Partial<Record<keyof PagingRegs, number>> = {};
    // " cr0   158  158    300       8 x64_cr0    27    188": the "Rmt Nr" column follows the type.
    for (const m of out.matchAll(/^\s*(cr0|cr3|cr4|efer)\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+(\d+)/gm)) found[m[1] as keyof PagingRegs] = Number(m[2]);
    for (const k of ['cr0', 'cr3', 'cr4', 'efer'] as const) if (found[k] === undefined) throw new Error(`gdb did not list ${k}:\n${out}`);
    return found as Record<keyof PagingRegs, number>;
  }

  /**
   * Write CR4, EFER, CR3, then CR0 (in that order: QEMU enters long mode when PG is set with
   * EFER.LME = 1 and CR4.PAE = 1), then disconnect so the vCPU stays stopped.
   */
  setPaging(regs: PagingRegs, nr: Record<keyof PagingRegs, number>): void {
    const order: (keyof PagingRegs)[] = ['cr4', 'efer', 'cr3', 'cr0'];
    const out = this.gdb([...order.map((k) => `maint packet P${nr[k].toString(16)}=${leHex64(regs[k])}`), 'disconnect']);
    const oks = out.match(/received: "OK"/g)?.length ?? 0;
    if (oks !== 4) throw new Error(`gdb register writes not acknowledged:\n${out}`);
  }

  /** Run HMP commands on the monitor socket; returns each command's output (echo and prompt removed). */
  async monitor(commands: string[]): Promise<string[]> {
    const sock: Socket = connect(this.monitorSocket);
    let buf = '';
    let waiter: (() => void) | undefined;
    sock.on('data', (d) => {
      buf += String(d);
      if (waiter && buf.endsWith('(qemu) ')) waiter();
    });
    const prompt = (): Promise<void> =>
      new Promise((resolve, reject) => {
        if (buf.endsWith('(qemu) ')) return resolve();
        const timer = setTimeout(() => reject(new Error(`no monitor prompt in 5 s; got: ${JSON.stringify(buf.slice(-500))}`)), 5000);
        waiter = () => {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        };
      });
    try {
      await prompt();
      const outputs: string[] = [];
      for (const c of commands) {
        buf = '';
        sock.write(c + '\n');
        await prompt();
        // The monitor echoes the line with readline escapes, ends it with \r\n, then prints.
        const lines = buf.split(/\r?\n/);
        outputs.push(lines.slice(1, -1).join('\n'));
      }
      return outputs;
    } finally {
      sock.destroy();
    }
  }
}
