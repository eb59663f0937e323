/**
 * Output safety of every command that writes a file: the user's data is never lost, a failed
 * write never reports success. Each case here once went wrong (the comment says how).
 * Devices are made with mknod in a temporary folder when running as root, so a regression can
 * never remove the machine's own /dev/null or /dev/full.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { closeSync, existsSync, linkSync, lstatSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, spawnCli, type CliResult } from './helpers/cli.js';
import { openOutput, writeOutputFile } from '../src/node/safe-output.js';

const PACKETS = readFileSync(join(ROOT, 'fixtures', 'cli', 'packets.json'), 'utf8');
const MAP = readFileSync(join(ROOT, 'fixtures', 'cli', 'map4.json'), 'utf8');
const FIRST_FRAME = (JSON.parse(PACKETS) as { packets: { layers: unknown[] }[] }).packets[0]!.layers;
/** A good first packet, then one the encoder refuses. */
const BAD_SPEC = JSON.stringify([FIRST_FRAME, [{ layer: 'nosuchlayer' }]]);
const isRoot = process.getuid?.() === 0;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'virtkit-safety-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function oneLine(r: CliResult, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).toMatch(re);
}

/** No temporary file left next to the outputs. */
function noLeftovers(): void {
  expect(readdirSync(dir).filter((n) => n.includes('.virtkit-'))).toEqual([]);
}

/** A device node of our own (root), else the system's: null = c 1 3, full = c 1 7. */
function device(kind: 'null' | 'full'): string {
  if (!isRoot) return `/dev/${kind}`;
  const p = join(dir, `dev-${kind}-${Math.random().toString(16).slice(2)}`);
  execFileSync('mknod', [p, 'c', '1', kind === 'null' ? '3' : '7']);
  return p;
}

function existingCapture(name: string): { path: string; bytes: Buffer } {
  const spec = join(dir, `${name}.json`);
  writeFileSync(spec, PACKETS);
  const path = join(dir, `${name}.pcapng`);
  expect(spawnCli(['build', spec, '-o', path]).code).toBe(0);
  return { path, bytes: readFileSync(path) };
}

describe('build -o keeps the existing file when anything fails', () => {
  it('a misspelt input name does not touch an existing capture', () => {
    const { path, bytes } = existingCapture('typo');
    oneLine(spawnCli(['build', join(dir, 'no-such-spec.json'), '-o', path]), /no-such-spec\.json: no such file/);
    expect(readFileSync(path)).toEqual(bytes);
    oneLine(spawnCli(['build', join(dir, 'no-such-spec.jsonl'), '-o', path]), /no-such-spec\.jsonl: no such file/);
    expect(readFileSync(path)).toEqual(bytes);
  });
  it('an encoding error halfway leaves the old capture whole (it used to be deleted)', () => {
    const { path, bytes } = existingCapture('halfway');
    const spec = join(dir, 'bad.json');
    writeFileSync(spec, BAD_SPEC);
    oneLine(spawnCli(['build', spec, '-o', path]), /packet 1/);
    expect(readFileSync(path)).toEqual(bytes);
    noLeftovers();
  });
  it('a symbolic link: the file it names is kept on failure, replaced on success; the link stays a link', () => {
    const { path, bytes } = existingCapture('target');
    const link = join(dir, 'link.pcapng');
    symlinkSync(path, link);
    const bad = join(dir, 'bad2.json');
    writeFileSync(bad, BAD_SPEC);
    oneLine(spawnCli(['build', bad, '-o', link]), /packet 1/);
    expect(readFileSync(path)).toEqual(bytes);
    const one = join(dir, 'one.json');
    writeFileSync(one, JSON.stringify([FIRST_FRAME]));
    expect(spawnCli(['build', one, '-o', link]).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path).length).toBeLessThan(bytes.length);
    noLeftovers();
  });
  it('a device is written into and never deleted, also when the spec is bad', () => {
    const dev = device('null');
    const bad = join(dir, 'bad3.json');
    writeFileSync(bad, BAD_SPEC);
    oneLine(spawnCli(['build', bad, '-o', dev, '--format', 'pcap']), /packet 1/);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
    const spec = join(dir, 'good.json');
    writeFileSync(spec, PACKETS);
    const r = spawnCli(['build', spec, '-o', dev, '--format', 'pcapng']);
    expect(r.code).toBe(0);
    expect(statSync(dev).isCharacterDevice()).toBe(true);
  });
  it('a FIFO is written into (a reader gets the capture) and stays a FIFO', () => {
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    const got = join(dir, 'from-fifo.pcapng');
    const reader = spawn('sh', ['-c', `cat '${fifo}' > '${got}'`], { stdio: 'ignore' });
    const spec = join(dir, 'fifo.json');
    writeFileSync(spec, PACKETS);
    const r = spawnCli(['build', spec, '-o', fifo, '--format', 'pcapng']);
    expect(r.code, r.stderr).toBe(0);
    return new Promise<void>((resolve) => reader.on('close', () => resolve())).then(() => {
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      const d = spawnCli(['decode', got]);
      expect(d.code, d.stderr).toBe(0);
      expect(d.stdout.trim().split('\n')).toHaveLength(2);
    });
  });
  it('a full disk (ENOSPC from /dev/full) is exit 2 naming the reason, not "wrote N packets"', () => {
    const dev = device('full');
    const spec = join(dir, 'small.json');
    writeFileSync(spec, PACKETS);
    const r = spawnCli(['build', spec, '-o', dev, '--format', 'pcapng']);
    oneLine(r, /no space left on device \(ENOSPC\)/);
    expect(r.stdout).toBe('');
    expect(statSync(dev).isCharacterDevice()).toBe(true);
    oneLine(spawnCli(['mtu', join(ROOT, 'fixtures', 'mtu', 'vxlan-underlay-1500.json'), '-o', dev]), /ENOSPC/);
    const map = join(dir, 'map.json');
    writeFileSync(map, MAP);
    oneLine(spawnCli(['pt', 'build', map, '-o', dev]), /ENOSPC/);
    oneLine(spawnCli(['paging', 'curve', join(ROOT, 'fixtures', 'paging', 'belady.trace'), '-o', dev]), /ENOSPC/);
    oneLine(spawnCli(['demo', '-o', dev, '--json']), /ENOSPC/);
  });
  it('output = input is refused, by device and inode (also through a hard link), and the input survives', () => {
    const spec = join(dir, 'self.jsonl');
    const lines = (JSON.parse(PACKETS) as { packets: unknown[] }).packets.map((p) => JSON.stringify(p)).join('\n') + '\n';
    writeFileSync(spec, lines);
    oneLine(spawnCli(['build', spec, '-o', spec, '--format', 'pcapng']), /same file as the input/);
    expect(readFileSync(spec, 'utf8')).toBe(lines);
    const hard = join(dir, 'hard.pcapng');
    linkSync(spec, hard);
    oneLine(spawnCli(['build', spec, '-o', hard]), /same file as the input/);
    expect(readFileSync(spec, 'utf8')).toBe(lines);
    const map = join(dir, 'self-map.json');
    writeFileSync(map, MAP);
    oneLine(spawnCli(['pt', 'build', map, '-o', map]), /same file as the input/);
    expect(readFileSync(map, 'utf8')).toBe(MAP);
    const trace = join(dir, 'self.trace');
    writeFileSync(trace, 'r 0x1000\nw 0x2000\n');
    oneLine(spawnCli(['paging', 'curve', trace, '-o', trace]), /same file as the input/);
    expect(readFileSync(trace, 'utf8')).toBe('r 0x1000\nw 0x2000\n');
  });
  it('-o - writes the capture to stdout (not a file named "-"), the summary to stderr', () => {
    const spec = join(dir, 'stdout.json');
    writeFileSync(spec, PACKETS);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'bin.js'), 'build', spec, '-o', '-'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(String(r.stderr)).toMatch(/to standard output \(pcapng\)/);
    expect(existsSync(join(dir, '-'))).toBe(false);
    const d = spawnCli(['decode', '-'], undefined);
    expect(d.code).toBe(2); // empty stdin: no capture header
    const piped = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'bin.js'), 'decode', '-', '--json'], { input: r.stdout, encoding: 'utf8' });
    expect(piped.status).toBe(0);
    expect(JSON.parse(piped.stdout).packets.length).toBeGreaterThan(0);
  });
  it('a pcapng interface name of 64 KiB is refused with one line (its 16-bit option length would wrap)', () => {
    const spec = join(dir, 'ifname.json');
    const frame = FIRST_FRAME;
    writeFileSync(spec, JSON.stringify({ packets: [{ layers: frame, interface: 'x'.repeat(65536) }] }));
    const out = join(dir, 'ifname.pcapng');
    oneLine(spawnCli(['build', spec, '-o', out]), /interface name of 65536 bytes is longer than a pcapng option can hold/);
    expect(existsSync(out)).toBe(false);
    writeFileSync(spec, JSON.stringify({ packets: [{ layers: frame, interface: 'x'.repeat(65535) }] }));
    expect(spawnCli(['build', spec, '-o', out]).code).toBe(0);
  });
});

describe('an interrupted run', () => {
  it('Ctrl-C halfway: exit 130, the old capture as it was, no temporary file left', async () => {
    const { path, bytes } = existingCapture('interrupted');
    const spec = join(dir, 'long.jsonl');
    writeFileSync(spec, (JSON.stringify(FIRST_FRAME) + '\n').repeat(400_000));
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'bin.js'), 'build', spec, '-o', path], { stdio: 'ignore' });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Wait until the temporary file exists (the run is under way), then interrupt it.
    for (let i = 0; i < 400 && !readdirSync(dir).some((n) => n.includes('.virtkit-')); i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(dir).some((n) => n.includes('.virtkit-'))).toBe(true);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(readFileSync(path)).toEqual(bytes);
    noLeftovers();
  });
});

describe('standard output errors', () => {
  it('stdout on a full disk: one line, exit 2, no stack trace', () => {
    const spec = join(dir, 'full-stdout.json');
    writeFileSync(spec, PACKETS);
    const cap = join(dir, 'full-stdout.pcapng');
    expect(spawnCli(['build', spec, '-o', cap]).code).toBe(0);
    const fd = openSync(device('full'), 'w');
    try {
      for (const argv of [['decode', cap], ['build', spec, '--hex'], ['overhead', 'ether,ipv4,udp,vxlan,ether']]) {
        const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'bin.js'), ...argv], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
        expect(r.status, argv.join(' ')).toBe(2);
        expect(r.stderr).toBe('virtkit: standard output: no space left on device (ENOSPC)\n');
      }
    } finally {
      closeSync(fd);
    }
  });
});

describe('SafeOutput (the API other commands use)', () => {
  it('abort leaves the target as it was and removes only its temporary file', async () => {
    const target = join(dir, 'api.bin');
    writeFileSync(target, 'old');
    const out = await openOutput(target);
    expect(out.kind).toBe('file');
    await out.write('new contents');
    expect(readFileSync(target, 'utf8')).toBe('old');
    await out.abort();
    expect(readFileSync(target, 'utf8')).toBe('old');
    noLeftovers();
    await writeOutputFile(target, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    noLeftovers();
  });
  it('keeps the permission bits of the file it replaces', async () => {
    const target = join(dir, 'mode.bin');
    writeFileSync(target, 'x', { mode: 0o600 });
    await writeOutputFile(target, 'y');
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });
  it('a directory is refused', async () => {
    await expect(openOutput(dir)).rejects.toThrow(/is a directory/);
  });
});
