/**
 * decode and build as a user drives them: stdin with `-`, ICMP error summaries as tshark shows
 * them, JSON Lines errors that name the line, long JSON Lines lines in linear time, page-table
 * dumps of self-referencing images, traces and curves that stay bounded, and user-typed names
 * that happen to be Object.prototype properties.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, spawnCli } from './helpers/cli.js';
import { toolsAvailable } from './helpers/tools.js';

const BIN = join(ROOT, 'dist', 'src', 'cli', 'bin.js');
const PACKETS = readFileSync(join(ROOT, 'fixtures', 'cli', 'packets.json'), 'utf8');
const FIRST = (JSON.parse(PACKETS) as { packets: { layers: unknown[] }[] }).packets[0]!.layers;
const HAVE_TSHARK = toolsAvailable('tshark');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'virtkit-decode-io-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function oneLine(r: { code: number; stderr: string }, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
}

describe('decode', () => {
  it('reads standard input with "-", as build does', () => {
    const spec = join(dir, 'p.json');
    writeFileSync(spec, PACKETS);
    const cap = join(dir, 'p.pcapng');
    expect(spawnCli(['build', spec, '-o', cap]).code).toBe(0);
    const fromFile = spawnCli(['decode', cap, '--json']);
    const r = spawnSync(process.execPath, [BIN, 'decode', '-', '--json'], { input: readFileSync(cap), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(fromFile.stdout);
  });
  it.runIf(HAVE_TSHARK)('an ICMP error line shows the outer addresses, as tshark does (not the quoted packet\'s)', () => {
    const cap = join(dir, 'mtu.pcapng');
    expect(spawnCli(['mtu', join(ROOT, 'fixtures', 'mtu', 'vxlan-underlay-1500.json'), '-o', cap]).code).toBe(0);
    const t = spawnSync('tshark', ['-r', cap, '-Y', 'icmp', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst'], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    const rows = t.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThan(0);
    const lines = spawnCli(['decode', cap]).stdout.split('\n');
    for (const [n, srcs, dsts] of rows) {
      const line = lines[Number(n) - 1]!;
      expect(line).toMatch(/ICMP/);
      // tshark lists the outer header first, then the quoted one.
      expect(line).toContain(`${srcs!.split(',')[0]} → ${dsts!.split(',')[0]}`);
    }
  });
});

describe('JSON Lines specs', () => {
  it('an encoding error names the line, not only the packet index', async () => {
    const spec = join(dir, 'lines.jsonl');
    // Line 2 is blank, so packet 1 is on line 3.
    writeFileSync(spec, `${JSON.stringify(FIRST)}\n\n${JSON.stringify([{ layer: 'ether', dst: '02:00:00:00:00:02', src: 'nonsense', type: 2048 }])}\n`);
    const r = await runCli(['build', spec, '--hex']);
    oneLine(r, /lines\.jsonl line 3 \(packet 1\): /);
  });
  it('a line of 8 MB, spanning many reads, is parsed whole', async () => {
    const spec = join(dir, 'long.jsonl');
    const payload = 'ab'.repeat(4 << 20);
    const frame = [...FIRST.slice(0, -1), { layer: 'raw', hex: payload.slice(0, 2 * 60000) }];
    // The long line: one packet whose comment is 8 MB, then an ordinary packet.
    writeFileSync(spec, JSON.stringify({ layers: frame, comment: 'x'.repeat(8 << 20) }) + '\n' + JSON.stringify(FIRST) + '\n');
    const r = await runCli(['build', spec, '--hex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });
});

describe('page-table dumps of hostile images', () => {
  it('a root table whose entries point at itself is reported as a loop, not walked forever', async () => {
    const img = new Uint8Array(4096);
    const view = new DataView(img.buffer);
    // Every PML4 entry: present, writable, frame 0 (the root itself).
    for (let i = 0; i < 512; i++) view.setUint32(i * 8, 0x3, true);
    const mem = join(dir, 'self.bin');
    writeFileSync(mem, img);
    const r = await runCli(['pt', 'dump', mem, '--cr3', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { mappings: unknown[]; loops: { level: number; entry: string; table: string }[] };
    expect(doc.mappings).toEqual([]);
    expect(doc.loops).toHaveLength(512);
    expect(doc.loops[1]).toEqual({ va: '0x8000000000', level: 4, entry: '0x8', table: '0x0' });
  });
  it('aliased tables multiplying the leaves past --max-mappings: one line, exit 2, nothing on stdout', async () => {
    // Root (frame 0): all 512 entries → frame 1 (a PDPT); frame 1: all → frame 2 (a PD) whose
    // 512 entries are 2M leaves: 512 x 512 x 512 = 134M mappings through 3 tables.
    const img = new Uint8Array(3 * 4096);
    const view = new DataView(img.buffer);
    for (let i = 0; i < 512; i++) {
      view.setUint32(i * 8, 0x1000 | 0x3, true);
      view.setUint32(4096 + i * 8, 0x2000 | 0x3, true);
      view.setUint32(8192 + i * 8, (i << 21) | 0x83, true);
    }
    const mem = join(dir, 'alias.bin');
    writeFileSync(mem, img);
    const r = await runCli(['pt', 'dump', mem, '--cr3', '0', '--max-mappings', '100000']);
    expect(r.stdout).toBe('');
    oneLine(r, /more than 100000 mappings: the tables are aliased/);
  });
});

describe('bounded work and prototype names', () => {
  it('paging curve near the largest frame counts on a 4-line trace answers at once', async () => {
    const trace = join(dir, 'four.trace');
    writeFileSync(trace, 'r 0x1000\nr 0x2000\nw 0x3000\nr 0x1000\n');
    const r = await runCli(['paging', 'curve', trace, '--frames', '16773121..16777216', '--policy', 'lru,opt', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { frames: number[]; series: { faults: number[] }[] };
    expect(doc.frames).toHaveLength(4096);
    for (const s of doc.series) expect(new Set(s.faults)).toEqual(new Set([3]));
  });
  it('tlb sim streams its trace in pieces: a bad line far into the file is named with its number in the file', async () => {
    const trace = join(dir, 'big.trace');
    const lines: string[] = [];
    for (let i = 0; i < 120_000; i++) lines.push(`access 0x${((i * 7919) % 5000).toString(16)}000${i % 3 === 0 ? ' 1' : ''}`);
    writeFileSync(trace, lines.join('\n') + '\nbogus line\n');
    const r = await runCli(['tlb', 'sim', trace, '--sets', '16', '--ways', '4', '--json']);
    // The bad line is named with its number, counted across the pieces.
    oneLine(r, new RegExp(`big\\.trace:120001: unknown operation 'bogus'`));
  });
  it('names found on Object.prototype are unknown names, with one line', async () => {
    oneLine(await runCli(['constructor']), /unknown command 'constructor'/);
    oneLine(await runCli(['bench', 'toString']), /unknown suite 'toString'/);
    oneLine(await runCli(['tlb', 'switch', '--procs', '2', '--quantum', '2', '--tlb', '__proto__']), /unknown TLB '__proto__'/);
    oneLine(await runCli(['overhead', 'ether,ipv4', '--__proto__']), /unknown option --__proto__/);
    const map = join(dir, 'proto-map.json');
    writeFileSync(map, JSON.stringify({ mappings: [{ va: '0x400000', pa: '0x200000', size: '4K', flags: ['__proto__'] }] }));
    oneLine(await runCli(['pt', 'build', map, '-o', join(dir, 'proto.bin')]), /unknown flag "__proto__"/);
    writeFileSync(map, JSON.stringify({ mappings: [{ va: '0x400000', pa: '0x200000', size: '4K' }] }));
    const mem = join(dir, 'walk.bin');
    expect((await runCli(['pt', 'build', map, '-o', mem])).code).toBe(0);
    oneLine(await runCli(['pt', 'walk', mem, '--cr3', '0x100000', '--va', '0x400000', '--access', 'toString']), /--access must be r, w or x, not 'toString'/);
  });
  it('overhead of a stack deeper than 64 layers is refused at once', async () => {
    oneLine(await runCli(['overhead', 'ether' + ',ipv4,gre'.repeat(40) + ',ipv4']), /at most 64 are measured/);
  });
});

describe('pt walk --map', () => {
  it('takes cr3, levels and nxe from the map the image was built with', async () => {
    const map = join(dir, 'walk5.json');
    writeFileSync(map, JSON.stringify({ levels: 5, tablesAt: '0x200000', memBytes: '4M', nxe: true, mappings: [{ va: '0xff00000000400000', pa: '0x300000', size: '4K', flags: ['w', 'nx'] }] }));
    const mem = join(dir, 'walk5.bin');
    expect((await runCli(['pt', 'build', map, '-o', mem])).code).toBe(0);
    const withMap = await runCli(['pt', 'walk', mem, '--map', map, '--va', '0xff00000000400123', '--json']);
    const spelled = await runCli(['pt', 'walk', mem, '--cr3', '0x200000', '--levels', '5', '--nxe', '--va', '0xff00000000400123', '--json']);
    expect(withMap.code, withMap.stderr).toBe(0);
    expect(withMap.stdout).toBe(spelled.stdout);
    expect(JSON.parse(withMap.stdout)).toMatchObject({ pa: '0x300123', flags: ['w', 'nx'] });
    oneLine(await runCli(['pt', 'walk', mem, '--map', join(dir, 'none.json'), '--va', '0']), /none\.json: cannot read/);
  });
});
