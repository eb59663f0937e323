/**
 * `virtkit build` and `virtkit decode` end to end (in-process runCli), with tshark as the judge
 * of the golden frames built into both formats.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';
import { readCapture, formatTime } from '../../src/pcap/index.js';
import { encodeFrame, type Layer } from '../../src/net/index.js';
import { measureBuildRss } from '../../bench/rss-5m.js';
import { GOLDEN, tmp, run } from './helpers.js';

const dir = tmp();
/** Times with nanoseconds a float would lose, comments on every packet (some UTF-8). */
const SPEC = {
  packets: GOLDEN.map((g, i) => ({
    layers: g.layers,
    time: `${1_700_000_000 + i}.${String(100_000_001 + i * 7_654_321).slice(-9)}`,
    comment: `${g.name}${i % 7 === 0 ? ' ✓ naïve' : ''}`,
  })),
};
const specFile = join(dir, 'golden.json');
writeFileSync(specFile, JSON.stringify(SPEC));

function oneLineError(r: { code: number; stderr: string; stdout: string }, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
}

describe('virtkit build', () => {
  it('--help for build and decode', async () => {
    for (const c of ['build', 'decode']) {
      const r = await runCli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`usage: virtkit ${c}`));
    }
  });

  it('--hex prints the golden bytes, one lowercase line per frame', async () => {
    const r = await runCli(['build', specFile, '--hex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(GOLDEN.map((g) => g.hex + '\n').join(''));
    const arrayForm = join(dir, 'array.json');
    writeFileSync(arrayForm, JSON.stringify(GOLDEN.map((g) => g.layers)));
    expect((await runCli(['build', arrayForm, '--hex'])).stdout).toBe(r.stdout);
  });

  for (const format of ['pcap', 'pcapng'] as const) {
    it(`-o golden.${format}: bytes, times (and comments) read back; --json summary`, async () => {
      const out = join(dir, `golden.${format}`);
      const r = await runCli(['build', specFile, '-o', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const size = readFileSync(out).length;
      expect(JSON.parse(r.stdout)).toEqual({ file: out, format, packets: GOLDEN.length, bytes: size });
      const back = readCapture(readFileSync(out));
      expect(back.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(GOLDEN.map((g) => g.hex));
      expect(back.map((p) => formatTime(p.sec, p.nsec))).toEqual(SPEC.packets.map((p) => p.time));
      if (format === 'pcapng') expect(back.map((p) => p.comment)).toEqual(SPEC.packets.map((p) => p.comment));
    });
  }

  it('--format overrides the extension; --usec writes microseconds', async () => {
    const out = join(dir, 'x.cap');
    expect((await runCli(['build', specFile, '-o', out, '--format', 'pcapng'])).code).toBe(0);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0x0a0d0d0a);
    const us = join(dir, 'us.pcap');
    expect((await runCli(['build', specFile, '-o', us, '--usec'])).code).toBe(0);
    const b = readFileSync(us);
    expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(formatTime(readCapture(b)[1]!.sec, readCapture(b)[1]!.nsec)).toBe(SPEC.packets[1]!.time.slice(0, -3) + '000');
  });

  it('JSON Lines (by extension or --jsonl) give the same file as JSON', async () => {
    const lines = SPEC.packets.map((p, i) => JSON.stringify(i % 2 ? p : { ...p, layers: p.layers }) + '\n').join('') + '\n';
    const jl = join(dir, 'golden.jsonl');
    writeFileSync(jl, lines);
    const a = join(dir, 'a.pcapng');
    const b = join(dir, 'b.pcapng');
    expect((await runCli(['build', jl, '-o', a])).code).toBe(0);
    const txt = join(dir, 'golden.txt');
    writeFileSync(txt, lines);
    expect((await runCli(['build', txt, '--jsonl', '-o', b])).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(join(dir, 'golden.pcapng')))).toBe(true);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
  });

  it('packets without time: --start plus --step, reproducible', async () => {
    const f = join(dir, 'notime.json');
    writeFileSync(f, JSON.stringify([GOLDEN[0]!.layers, GOLDEN[1]!.layers, GOLDEN[2]!.layers]));
    const out = join(dir, 'notime.pcapng');
    expect((await runCli(['build', f, '-o', out, '--start', '10.999999999', '--step', '0.000000002'])).code).toBe(0);
    const first = readFileSync(out);
    expect(readCapture(first).map((p) => formatTime(p.sec, p.nsec))).toEqual(['10.999999999', '11.000000001', '11.000000003']);
    expect((await runCli(['build', f, '-o', out, '--start', '10.999999999', '--step', '0.000000002'])).code).toBe(0);
    expect(readFileSync(out).equals(first)).toBe(true);
  });

  it('"interface" names make pcapng interfaces', async () => {
    const f = join(dir, 'ifaces.json');
    const L = GOLDEN[0]!.layers;
    writeFileSync(f, JSON.stringify({ packets: [{ layers: L }, { layers: L, interface: 'tap1' }, { layers: L, interface: 'tap2' }, { layers: L, interface: 'tap1' }] }));
    const out = join(dir, 'ifaces.pcapng');
    expect((await runCli(['build', f, '-o', out])).code).toBe(0);
    expect(readCapture(readFileSync(out)).map((p) => p.interfaceName)).toEqual(['virtkit0', 'tap1', 'tap2', 'tap1']);
  });

  it('bad input: exit 2, one line naming the packet (and line), no file left behind', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([GOLDEN[0]!.layers, [{ layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' }, { layer: 'dot1q', vid: 4096 }, { layer: 'raw', hex: '00', }]]));
    const out = join(dir, 'bad.pcapng');
    const r = await runCli(['build', bad, '-o', out]);
    oneLineError(r, /packet 1: layer 1 \(dot1q\): vid/);
    expect(existsSync(out)).toBe(false);
    oneLineError(await runCli(['build', bad, '--hex']), /packet 1: layer 1 \(dot1q\)/);

    const jl = join(dir, 'bad.jsonl');
    writeFileSync(jl, JSON.stringify(GOLDEN[0]!.layers) + '\n\n{"layers": [ nope\n');
    oneLineError(await runCli(['build', jl, '-o', out]), /bad\.jsonl line 3: not valid JSON/);
    writeFileSync(jl, JSON.stringify({ layers: GOLDEN[0]!.layers, time: '1.5e9' }) + '\n');
    oneLineError(await runCli(['build', jl, '-o', out]), /line 1: packet 0: time '1\.5e9'/);
    writeFileSync(jl, JSON.stringify({ layers: GOLDEN[0]!.layers, colour: 'red' }) + '\n');
    oneLineError(await runCli(['build', jl, '-o', out]), /unknown key "colour"/);

    oneLineError(await runCli(['build', specFile]), /no output/);
    oneLineError(await runCli(['build', specFile, '-o', join(dir, 'x.bin')]), /cannot tell the format/);
    oneLineError(await runCli(['build', specFile, '-o', join(dir, 'x.pcapng'), '--usec']), /--usec is for pcap/);
    oneLineError(await runCli(['build', specFile, '-o', join(dir, 'x.pcap'), '--format', 'erf']), /--format: 'erf'/);
    oneLineError(await runCli(['build', join(dir, 'missing.json'), '-o', join(dir, 'x.pcap')]), /missing\.json: no such file/);
    oneLineError(await runCli(['build', specFile, '-o', join(dir, 'no', 'such', 'dir.pcap')]), /dir\.pcap: no such file/);
    writeFileSync(bad, '{"frames": []}');
    oneLineError(await runCli(['build', bad, '-o', out]), /spec must be an array of frames or \{"packets"/);
  });
});

describe('virtkit decode', () => {
  const ng = join(dir, 'dec.pcapng');
  beforeAll(async () => {
    expect((await runCli(['build', specFile, '-o', ng])).code).toBe(0);
  });

  it('--json: time with nanoseconds, comment, layers that re-encode to the same bytes', async () => {
    const r = await runCli(['decode', ng, '--json', '--mpls-ethernet', 'cw']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { packets: { time: string; layers: Layer[]; comment?: string; error?: string }[] };
    expect(doc.packets.map((p) => p.time)).toEqual(SPEC.packets.map((p) => p.time));
    expect(doc.packets.map((p) => p.comment)).toEqual(SPEC.packets.map((p) => p.comment));
    doc.packets.forEach((p, i) => {
      expect(Buffer.from(encodeFrame(p.layers)).toString('hex'), GOLDEN[i]!.name).toBe(GOLDEN[i]!.hex);
    });
    const vx = doc.packets[GOLDEN.findIndex((g) => g.name === 'vxlan_ipv4')]!;
    expect(vx.layers.map((l) => l.layer)).toEqual(GOLDEN.find((g) => g.name === 'vxlan_ipv4')!.layers.map((l) => l.layer));
  });

  it('build of decode --json gives back the same capture, byte for byte', async () => {
    const r = await runCli(['decode', ng, '--json']);
    const again = join(dir, 'again.json');
    writeFileSync(again, r.stdout);
    const out = join(dir, 'again.pcapng');
    const b = await runCli(['build', again, '-o', out]);
    expect(b.code, b.stderr).toBe(0);
    expect(readFileSync(out).equals(readFileSync(ng))).toBe(true);
  });

  it('text: one summary line a frame; -v adds the layers', async () => {
    const r = await runCli(['decode', ng]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(GOLDEN.length);
    const i = GOLDEN.findIndex((g) => g.name === 'vxlan_ipv4');
    const vni = (GOLDEN[i]!.layers.find((l) => l.layer === 'vxlan') as { vni: number }).vni;
    expect(lines[i]).toMatch(new RegExp(`^\\s+${i + 1} ${SPEC.packets[i]!.time.replace('.', '\\.')}  10\\.0\\.0\\.1 → 10\\.0\\.0\\.2  ETH/IPv4/UDP/VXLAN/ETH/IPv4/UDP/DATA  ${GOLDEN[i]!.hex.length / 2}  VNI ${vni}`));
    const v = await runCli(['decode', ng, '-v']);
    const vl = v.stdout.split('\n');
    const at = vl.findIndex((l) => l === lines[i]);
    expect(vl[at + 1]).toBe(`        # ${SPEC.packets[i]!.comment}`);
    expect(vl[at + 2]).toMatch(/^ {8}ether dst=02:00:00:00:00:01 src=02:00:00:00:00:02 type=0x0800$/);
  });

  it('damaged file: the frames before the damage, then exit 2 with the byte offset', async () => {
    const whole = readFileSync(ng);
    const cutAt = whole.length - 10;
    const f = join(dir, 'cut.pcapng');
    writeFileSync(f, whole.subarray(0, cutAt));
    const r = await runCli(['decode', f, '--json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { packets: unknown[] };
    expect(doc.packets).toHaveLength(GOLDEN.length - 1);
    // The last block starts where the last packet's block starts: find it by walking lengths.
    let off = 0;
    let last = 0;
    while (off < whole.length) {
      last = off;
      off += whole.readUInt32LE(off + 4);
    }
    oneLineError(r, new RegExp(`at byte ${last}: block of type 0x6 cut short`));
    const t = await runCli(['decode', f]);
    expect(t.code).toBe(2);
    expect(t.stdout.trim().split('\n')).toHaveLength(GOLDEN.length - 1);
    const junk = join(dir, 'junk.pcap');
    writeFileSync(junk, 'hello, not a capture');
    oneLineError(await runCli(['decode', junk]), /at byte 0: bad magic 0x6c6c6568/);
    oneLineError(await runCli(['decode', join(dir, 'nope.pcap')]), /nope\.pcap: no such file/);
  });

  it('a frame that does not decode whole gets error and a raw rest, and still rebuilds', async () => {
    const f = join(dir, 'short.json');
    // An IPv4 header claiming 100 bytes in a frame that has fewer.
    const layers = [
      { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', len: 100, proto: 17 },
      { layer: 'raw', hex: '0011223344' },
    ];
    writeFileSync(f, JSON.stringify([layers]));
    const out = join(dir, 'short.pcap');
    expect((await runCli(['build', f, '-o', out])).code).toBe(0);
    const r = await runCli(['decode', out, '--json']);
    expect(r.code).toBe(0);
    const p = (JSON.parse(r.stdout) as { packets: { layers: Layer[]; error?: string }[] }).packets[0]!;
    expect(p.error).toMatch(/ipv4|udp/);
    expect(Buffer.from(encodeFrame(p.layers)).toString('hex')).toBe(Buffer.from(encodeFrame(layers)).toString('hex'));
  });
});

describe.skipIf(!toolsAvailable('tshark', 'capinfos'))('golden frames built by virtkit build, judged by tshark', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: opens cleanly, every timestamp${format === 'pcapng' ? ' and comment' : ''} intact`, async () => {
      const out = join(dir, `tshark.${format}`);
      expect((await runCli(['build', specFile, '-o', out])).code).toBe(0);
      const r = run('tshark', ['-r', out, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
        '-d', 'mpls.label==2000,pwethcw', '-d', 'mpls.label==3000,pwethnocw',
        '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.comment', '-e', '_ws.expert.severity', '-e', '_ws.malformed']);
      expect(r.code, r.stderr).toBe(0);
      const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
      expect(rows.map((x) => x[0])).toEqual(SPEC.packets.map((p) => p.time));
      if (format === 'pcapng') expect(rows.map((x) => x[1])).toEqual(SPEC.packets.map((p) => p.comment));
      for (const row of rows) {
        expect((row[2] ?? '').split(',').filter(Boolean).map(Number).filter((s) => s >= 0x00600000)).toEqual([]);
        expect(row[3] ?? '').toBe('');
      }
      const c = run('capinfos', [out]);
      expect(c.stdout).toMatch(new RegExp(`Number of packets:\\s+${GOLDEN.length}\\n`));
    });
  }
});

const BUILT = existsSync(join(ROOT, 'dist', 'src', 'cli', 'bin.js'));
describe.skipIf(!BUILT || !existsSync('/usr/bin/time'))('memory stays flat (built CLI, /usr/bin/time -v)', () => {
  it('100 000 packets of JSON Lines through a pipe into build: peak RSS < 150 MB', async () => {
    // Holding the spec (about 2 KB a packet as objects) or the file (190 B a packet) in memory
    // would pass 150 MB well before 100 000 packets.
    const r = await measureBuildRss(100_000, 'pcapng');
    expect(r.code, r.stderr).toBe(0);
    expect(r.packets).toBe(100_000);
    expect(r.maxRssMiB).toBeGreaterThan(0);
    expect(r.maxRssMiB).toBeLessThan(150);
  });
});
