/**
 * Runs a VTEP scenario through the Linux kernel's vxlan device (kernel-vxlan.py: namespaces,
 * a bridge underlay, tcpdump) and returns what every interface carried, step by step, in the
 * shape the simulation's result is compared in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, encodeFrame, type Layer } from '../../src/net/index.js';
import { readCapture } from '../../src/pcap/index.js';
import { IPV4 } from '../../src/net/ipv4.js';
import { ETHER } from '../../src/net/ether.js';

const HARNESS = join(dirname(fileURLToPath(import.meta.url)), 'kernel-vxlan.py');

/** A frame where it crossed an interface: the event (step) that caused it, its direction, its bytes. */
export interface SeenFrame {
  step: number;
  dir: 'in' | 'out';
  hex: string;
}

export interface KernelFdbRow {
  vtep: string;
  vni: number;
  mac: string;
  remote: string;
}

export interface KernelRun {
  /** Interface name (`vtep/underlay`, `vtep/vni-N`) → frames in capture order. */
  frames: Map<string, SeenFrame[]>;
  /** The VTEP tables after each step. */
  fdb: KernelFdbRow[][];
}

interface Scenario {
  vteps: { name: string; mac: string; srcport?: number[] }[];
  switches?: unknown[];
  events: Record<string, unknown>[];
}

/**
 * The scenario as both sides run it: events as hex, and every VTEP's UDP source port range
 * pinned to the one port 49152 (`srcport 49152 49153`): Linux hashes the flow with a per-boot
 * random key, so only a one-port range gives comparable ports.
 */
export function comparable(scenario: Scenario): Scenario {
  const s = structuredClone(scenario);
  for (const v of s.vteps) v.srcport = [49152, 49153];
  for (const e of s.events) {
    if (Array.isArray(e.layers)) {
      e.hex = bytesToHex(encodeFrame(e.layers as Layer[]));
      delete e.layers;
    }
  }
  return s;
}

/**
 * An underlay frame's outer IPv4 identification and header checksum hidden (`outer`): Linux draws
 * the identification from a keyed hash, so neither can be compared (the simulation's checksum is
 * checked on its own). Inner frames are compared whole.
 */
export function masked(frame: Uint8Array, outer: boolean): string {
  const b = frame.slice();
  if (outer && b.length >= ETHER.length + IPV4.length) {
    for (const f of [IPV4.f.id, IPV4.f.chksum]) for (let i = 0; i < f.bytes; i++) b[ETHER.length + f.byte + i] = 0;
  }
  return bytesToHex(b);
}

export function runKernel(scenario: Scenario): KernelRun {
  const dir = mkdtempSync(join(tmpdir(), 'virtkit-vxlan-'));
  try {
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify(scenario));
    const r = spawnSync('python3', [HARNESS, file, dir], { encoding: 'utf8', timeout: 90_000, killSignal: 'SIGTERM' });
    if (r.status !== 0) throw new Error(`kernel-vxlan.py failed (${r.status ?? r.signal}): ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { steps: { t0: number; t1: number; fdb: KernelFdbRow[] }[]; captures: { iface: string; file: string }[] };
    const starts = out.steps.map((s) => s.t0);
    const stepOf = (ns: number) => {
      let i = 0;
      while (i + 1 < starts.length && ns >= starts[i + 1]!) i++;
      return i;
    };
    const macOf = new Map(scenario.vteps.map((v) => [v.name, v.mac.toLowerCase().replace(/:/g, '')]));
    const frames = new Map<string, SeenFrame[]>();
    for (const c of out.captures) {
      const vtep = c.iface.split('/')[0]!;
      const underlay = c.iface.endsWith('/underlay');
      const list = readCapture(readFileSync(c.file)).map((p): SeenFrame => {
        // Underlay: sent by this VTEP when the source MAC is its own. vx<vni> (`-Q in`): what the
        // VTEP delivered, i.e. out of the VTEP to its local side.
        const out = !underlay || bytesToHex(p.data, 6, 12) === macOf.get(vtep);
        return { step: stepOf(p.sec * 1e9 + p.nsec), dir: out ? 'out' : 'in', hex: masked(p.data, underlay) };
      });
      frames.set(c.iface, list);
    }
    return { frames, fdb: out.steps.map((s) => s.fdb) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
