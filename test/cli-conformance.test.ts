/**
 * CLI conformance: every subcommand against /work/shared/spec/cli.md and the issues.
 *  - `--help` exits 0 and prints usage on stdout, nothing on stderr;
 *  - bad input (unknown option, bad number, missing file, bad value) exits 2 with exactly one
 *    line on stderr naming what is wrong, and nothing on stdout;
 *  - `--json` prints ONE JSON document on stdout (nothing else) with exactly the keys cli.md
 *    names; addresses and raw entries are "0x…" strings, counts are numbers;
 *  - inputs accept hex, decimal and size suffixes.
 * Expected figures are derived by hand in the comments (SDM index arithmetic, header sizes,
 * trace walk-throughs), not copied from the tool's output. Everything the tests write goes to a
 * temporary directory. `virtkit bench` is only run on bad input: a real run rewrites the
 * repository's bench/results.json.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, ROOT, type CliResult } from './helpers/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const FIX = join(ROOT, 'fixtures', 'cli');
const PACKETS = join(FIX, 'packets.json');
const MAP4 = join(FIX, 'map4.json');
const MAP5 = join(FIX, 'map5.json');
const TLB_TRACE = join(FIX, 'tlb.trace');
const BELADY = join(FIX, 'belady.trace');
const WRITEBACK = join(FIX, 'writeback.trace');
const HEX = /^0x[0-9a-f]+$/;

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'virtkit-cli-conf-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
const t = (name: string): string => join(tmp, name);
const missing = (): string => t('does-not-exist.bin');

/** A successful `--json` run: status 0, nothing on stderr, exactly one JSON document on stdout. */
function json(r: CliResult): Json {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  // JSON.parse rejects a second document or any other text around the first.
  return JSON.parse(r.stdout) as Json;
}

/** Exact key set of an object (order free). */
function keys(o: Json): string[] {
  expect(typeof o).toBe('object');
  expect(o).not.toBeNull();
  return Object.keys(o as object).sort();
}
const sorted = (ks: string[]): string[] => [...ks].sort();

/** Bad input: status 2, nothing on stdout, one line on stderr from `virtkit CMD:` matching `what`. */
function usageError(r: CliResult, cmd: string, what: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.code).toBe(2);
  expect(r.stderr.endsWith('\n')).toBe(true);
  const lines = r.stderr.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`virtkit ${cmd}: `)).toBe(true);
  expect(lines[0]).toMatch(what);
}

async function expectHelp(argv: string[], usage: RegExp): Promise<void> {
  const r = await runCli(argv);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/usage:/);
  expect(r.stdout).toMatch(usage);
  expect(r.stdout).toMatch(/--json/);
}

describe('--help on every subcommand: status 0, usage on stdout', () => {
  const cases: [string[], RegExp][] = [
    [['build', '--help'], /virtkit build SPEC/],
    [['decode', '--help'], /virtkit decode FILE/],
    [['overhead', '--help'], /virtkit overhead STACK/],
    [['mtu', '--help'], /virtkit mtu SCENARIO\.json/],
    [['pt', '--help'], /virtkit pt build MAP\.json/],
    [['pt', 'build', '--help'], /virtkit pt build MAP\.json -o MEM\.bin/],
    [['pt', 'walk', '--help'], /virtkit pt walk MEM\.bin --cr3 X --va Y/],
    [['pt', 'dump', '--help'], /virtkit pt dump MEM\.bin --cr3 X/],
    [['tlb', '--help'], /virtkit tlb sim TRACE --sets S --ways W/],
    [['tlb', 'sim', '--help'], /virtkit tlb sim TRACE/],
    [['tlb', 'switch', '--help'], /virtkit tlb switch --procs N --quantum Q/],
    [['tlb', 'presets', '--help'], /virtkit tlb presets/],
    [['paging', '--help'], /virtkit paging sim TRACE --frames M --policy/],
    [['paging', 'sim', '--help'], /virtkit paging sim TRACE/],
    [['paging', 'curve', '--help'], /virtkit paging curve TRACE/],
    [['virt', '--help'], /virtkit virt compare/],
    [['virt', 'compare', '--help'], /virtkit virt compare \[--levels 4\|5\]/],
    [['bench', '--help'], /virtkit bench \[translate\|encode\|pcap\]/],
    [['demo', '--help'], /virtkit demo/],
  ];
  for (const [argv, usage] of cases) {
    it(argv.join(' '), async () => expectHelp(argv, usage));
  }
  it('-h is --help', async () => {
    const r = await runCli(['overhead', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: virtkit overhead STACK/);
  });
  it('--help wins over otherwise bad arguments', async () => {
    const r = await runCli(['pt', 'walk', missing(), '--bogus', '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/virtkit pt walk/);
  });
});

describe('virtkit build', () => {
  it('--hex: one lowercase hex line per frame', async () => {
    const r = await runCli(['build', PACKETS, '--hex']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^([0-9a-f]{2})+$/);
    const f = lines[0]!;
    // 14 + 20 + 8 + 8 outer, 14 + 20 + 8 inner, 5 payload bytes = 97.
    expect(f.length / 2).toBe(97);
    expect(f.slice(24, 28)).toBe('0800'); // EtherType IPv4
    expect(f.slice(32, 36)).toBe('0053'); // outer IPv4 total length 97 - 14 = 83
    expect(f.slice(72, 76)).toBe('12b5'); // UDP destination port 4789
    expect(f.slice(92, 98)).toBe('001389'); // VNI 5001 (bytes 46..48 of the frame)
    expect(lines[1]).toBe('020000000002' + '020000000001' + '0800' + '4500');
  });

  it('--hex --json: one document', async () => {
    const j = json(await runCli(['build', PACKETS, '--hex', '--json']));
    expect(keys(j)).toEqual(['frames']);
    expect(j.frames).toHaveLength(2);
  });

  it('-o .pcap: nanosecond magic 0xa1b23c4d by default, 0xa1b2c3d4 with --usec; --json one document', async () => {
    const j = json(await runCli(['build', PACKETS, '-o', t('b.pcap'), '--json']));
    expect(j.packets).toBe(2);
    expect(readFileSync(t('b.pcap')).readUInt32LE(0)).toBe(0xa1b23c4d);
    json(await runCli(['build', PACKETS, '-o', t('bu.pcap'), '--usec', '--json']));
    expect(readFileSync(t('bu.pcap')).readUInt32LE(0)).toBe(0xa1b2c3d4);
  });

  it('-o .pcapng and --format pcapng: a Section Header Block first', async () => {
    json(await runCli(['build', PACKETS, '-o', t('b.pcapng'), '--json']));
    expect(readFileSync(t('b.pcapng')).readUInt32LE(0)).toBe(0x0a0d0d0a);
    json(await runCli(['build', PACKETS, '-o', t('b.out'), '--format', 'pcapng', '--json']));
    expect(readFileSync(t('b.out')).readUInt32LE(0)).toBe(0x0a0d0d0a);
  });

  it('--jsonl: one packet a line, either form', async () => {
    const spec = JSON.parse(readFileSync(PACKETS, 'utf8')) as Json;
    writeFileSync(t('p.jsonl'), spec.packets.map((p: Json, i: number) => JSON.stringify(i === 0 ? p : p.layers)).join('\n') + '\n');
    const a = await runCli(['build', t('p.jsonl'), '--hex']);
    const b = await runCli(['build', PACKETS, '--hex']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    writeFileSync(t('bad.jsonl'), JSON.stringify(spec.packets[0]) + '\n{"layers": [\n');
    usageError(await runCli(['build', t('bad.jsonl'), '-o', t('bad.pcapng')]), 'build', /bad\.jsonl line 2/);
  });

  it('bad input: exit 2, one line naming the problem, nothing on stdout', async () => {
    usageError(await runCli(['build', PACKETS, '--hex', '--bogus']), 'build', /--bogus/);
    usageError(await runCli(['build', missing(), '--hex']), 'build', /does-not-exist\.bin/);
    usageError(await runCli(['build', PACKETS]), 'build', /-o|--hex/);
    usageError(await runCli(['build', PACKETS, '-o', t('x.pcap'), '--format', 'erf']), 'build', /--format.*erf/);
    usageError(await runCli(['build', PACKETS, '-o', t('x.pcapng'), '--usec']), 'build', /--usec/);
    usageError(await runCli(['build', PACKETS, '-o', t('x.txt')]), 'build', /x\.txt/);
    usageError(await runCli(['build', PACKETS, '-o', t('x.pcap'), '--start', 'yesterday']), 'build', /--start/);
    writeFileSync(t('notjson.json'), '{"packets": [');
    usageError(await runCli(['build', t('notjson.json'), '--hex']), 'build', /notjson\.json/);
    // layers.md: "a clear error naming the layer index, its kind and the field".
    writeFileSync(t('vid.json'), JSON.stringify([[{ layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' }, { layer: 'dot1q', vid: 4096 }, { layer: 'raw', hex: '00' }]]));
    usageError(await runCli(['build', t('vid.json'), '-o', t('vid.pcap')]), 'build', /layer 1 \(dot1q\): vid 4096/);
    expect(existsSync(t('vid.pcap'))).toBe(false);
  });
});

describe('virtkit decode', () => {
  beforeAll(async () => {
    expect((await runCli(['build', PACKETS, '-o', t('d.pcapng')])).code).toBe(0);
    expect((await runCli(['build', PACKETS, '-o', t('d.pcap')])).code).toBe(0);
  });

  it('--json: {"packets": [{"time" (a string), "layers", "interface"?, "linkType"?, "comment"?, "error"?}]}', async () => {
    const j = json(await runCli(['decode', t('d.pcapng'), '--json']));
    expect(keys(j)).toEqual(['packets']);
    expect(j.packets).toHaveLength(2);
    const [a, b] = j.packets as Json[];
    // The interface name is kept so that build writes the packet back on the same interface.
    expect(keys(a)).toEqual(['comment', 'interface', 'layers', 'time']);
    expect(a.interface).toBe('virtkit0');
    expect(a.time).toBe('1700000000.000000001');
    expect(a.comment).toBe('VXLAN VNI 5001 over IPv4 (the layers.md example)');
    expect(a.layers.map((l: Json) => l.layer)).toEqual(['ether', 'ipv4', 'udp', 'vxlan', 'ether', 'ipv4', 'udp', 'raw']);
    expect(a.layers[3]).toMatchObject({ layer: 'vxlan', vni: 5001 });
    // The second frame stops two bytes into an IPv4 header: error names layer and offset, and
    // the undecoded rest comes out as raw.
    expect(keys(b)).toEqual(['error', 'interface', 'layers', 'time']);
    expect(typeof b.time).toBe('string');
    expect(b.time).toBe('1700000001.500000000');
    expect(b.error).toMatch(/ipv4/);
    expect(b.error).toMatch(/\b14\b/);
    expect(b.layers.at(-1)).toEqual({ layer: 'raw', hex: '4500' });
  });

  it('text: one summary line a frame; -v indents the layers under it', async () => {
    const r = await runCli(['decode', t('d.pcapng')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/VXLAN/);
    expect(lines[0]).toMatch(/5001/);
    expect(lines[1]).toMatch(/ipv4 at byte 14/);
    const v = await runCli(['decode', t('d.pcapng'), '-v']);
    expect(v.code).toBe(0);
    const layerLines = v.stdout.split('\n').filter((l) => /^\s+(ether|ipv4|udp|vxlan|raw)\b/.test(l));
    // 8 layers in the first frame, 2 in the second.
    expect(layerLines).toHaveLength(10);
  });

  it('build of the decoded layers gives back the original bytes, frame for frame', async () => {
    const j = json(await runCli(['decode', t('d.pcap'), '--json']));
    writeFileSync(t('redecoded.json'), JSON.stringify(j.packets.map((p: Json) => p.layers)));
    const again = await runCli(['build', t('redecoded.json'), '--hex']);
    const orig = await runCli(['build', PACKETS, '--hex']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(orig.stdout);
  });

  it('a damaged capture: the frames before the damage, then exit 2 with the byte offset', async () => {
    // pcap header 24 + record header 16 + the 97-byte first frame = 137: the second record
    // header starts there and is cut short.
    const whole = readFileSync(t('d.pcap'));
    writeFileSync(t('cut.pcap'), whole.subarray(0, 150));
    const r = await runCli(['decode', t('cut.pcap'), '--json']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.packets).toHaveLength(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^virtkit decode: .*cut\.pcap.*\b137\b/);
  });

  it('bad input: exit 2, one line, nothing on stdout', async () => {
    usageError(await runCli(['decode', missing(), '--json']), 'decode', /does-not-exist\.bin/);
    usageError(await runCli(['decode', t('d.pcap'), '--frob']), 'decode', /--frob/);
    usageError(await runCli(['decode', t('d.pcap'), '--mpls-ethernet', 'maybe']), 'decode', /--mpls-ethernet.*maybe/);
    usageError(await runCli(['decode']), 'decode', /FILE/);
    // Not a capture at all: damage at byte 0, no frames before it.
    const r = await runCli(['decode', PACKETS]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/byte 0/);
  });
});

describe('virtkit overhead', () => {
  const KEYS = sorted(['layers', 'overhead', 'mtu', 'innerMtu', 'maxInnerFrame', 'requiredMtu']);

  it('VXLAN over IPv4 on a 1500 underlay: 14+20+8+8 = 50, innerMtu 1450, requiredMtu 1550', async () => {
    const j = json(await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--json']));
    expect(keys(j)).toEqual(KEYS);
    expect(j.layers).toEqual([
      { layer: 'ether', bytes: 14 },
      { layer: 'ipv4', bytes: 20 },
      { layer: 'udp', bytes: 8 },
      { layer: 'vxlan', bytes: 8 },
    ]);
    for (const l of j.layers as Json[]) expect(keys(l)).toEqual(['bytes', 'layer']);
    // innerMtu = 1500 - (20+8+8) - 14 inner Ethernet; maxInnerFrame = 1450 + 14;
    // requiredMtu = 1500 + 14 + 20+8+8.
    expect(j).toMatchObject({ overhead: 50, mtu: 1500, innerMtu: 1450, maxInnerFrame: 1464, requiredMtu: 1550 });
  });

  const stacks: [string, { overhead: number; innerMtu: number; maxInnerFrame: number; requiredMtu: number }][] = [
    // 14 + 40 + 8 + 8 = 70; 1500 - 56 - 14 = 1430; 1500 + 14 + 56 = 1570
    ['ether,ipv6,udp,vxlan,ether', { overhead: 70, innerMtu: 1430, maxInnerFrame: 1444, requiredMtu: 1570 }],
    // GRE with C, K and S: 4 + 4 (checksum, reserved) + 4 + 4 = 16; 14 + 20 + 16 = 50
    ['ether,ipv4,gre:key+seq+chksum,ether', { overhead: 50, innerMtu: 1450, maxInnerFrame: 1464, requiredMtu: 1550 }],
    // IPv4 over GRE: 14 + 20 + 4 = 38; no inner Ethernet: 1500 - 24 = 1476
    ['ether,ipv4,gre,ipv4', { overhead: 38, innerMtu: 1476, maxInnerFrame: 1476, requiredMtu: 1524 }],
    // Geneve with 8 bytes of options: 14 + 20 + 8 + (8 + 8) = 58
    ['ether,ipv4,udp,geneve:8,ether', { overhead: 58, innerMtu: 1442, maxInnerFrame: 1456, requiredMtu: 1558 }],
    // an outer 802.1Q tag is link header, not tunnel: 18 + 20 + 8 + 8 = 54, innerMtu still 1450
    ['ether,dot1q,ipv4,udp,vxlan,ether', { overhead: 54, innerMtu: 1450, maxInnerFrame: 1464, requiredMtu: 1550 }],
    // two MPLS labels: 14 + 4 + 4 = 22; 1500 - 8 = 1492
    ['ether,mpls,mpls,ipv4', { overhead: 22, innerMtu: 1492, maxInnerFrame: 1492, requiredMtu: 1508 }],
  ];
  for (const [stack, want] of stacks) {
    it(stack, async () => {
      const j = json(await runCli(['overhead', stack, '--json']));
      expect(keys(j)).toEqual(KEYS);
      expect(j).toMatchObject({ mtu: 1500, ...want });
      expect((j.layers as Json[]).reduce((s: number, l: Json) => s + (l.bytes as number), 0)).toBe(want.overhead);
    });
  }

  it('--mtu and --inner-mtu take hex, decimal and size suffixes', async () => {
    const hex = json(await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--mtu', '0x2328', '--inner-mtu', '8950', '--json']));
    expect(hex).toMatchObject({ mtu: 9000, innerMtu: 8950, requiredMtu: 9000 });
    const k = json(await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--mtu', '9K', '--json']));
    expect(k).toMatchObject({ mtu: 9216, innerMtu: 9216 - 36 - 14 });
  });

  it('bad input: exit 2, one line naming the layer, option or value', async () => {
    usageError(await runCli(['overhead', 'ether,ipv4,udp,bogus,ether']), 'overhead', /'bogus'.*valid: .*vxlan/);
    usageError(await runCli(['overhead', 'ether,ipv4,gre:bogus,ether', '--json']), 'overhead', /'bogus'.*gre/);
    usageError(await runCli(['overhead', 'ether,ipv4,udp,geneve:7,ether', '--json']), 'overhead', /geneve/);
    usageError(await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--mtu', 'big']), 'overhead', /--mtu.*'big'/);
    usageError(await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--inner-mtu', '1.5K']), 'overhead', /--inner-mtu/);
    usageError(await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--frob']), 'overhead', /--frob/);
    usageError(await runCli(['overhead']), 'overhead', /STACK/);
    usageError(await runCli(['overhead', 'ether,ipv4,udp,vxlan', '--json']), 'overhead', /vxlan/);
  });
});

describe('virtkit mtu', () => {
  const SCENARIO = join(ROOT, 'fixtures', 'mtu', 'vxlan-underlay-1500.json');

  it('-o OUT.pcapng --json: one document, a pcapng written', async () => {
    const out = t('mtu.pcapng');
    const j = json(await runCli(['mtu', SCENARIO, '-o', out, '--json']));
    expect(keys(j)).toEqual(['file', 'packets']);
    expect(j.packets.length).toBeGreaterThan(0);
    for (const p of j.packets as Json[]) {
      expect(typeof p.time).toBe('string');
      expect(typeof p.length).toBe('number');
      expect(p.comment).toMatch(/\S/);
    }
    expect(readFileSync(out).readUInt32LE(0)).toBe(0x0a0d0d0a);
    // The capture holds what --json listed.
    const d = json(await runCli(['decode', out, '--json']));
    expect(d.packets.map((p: Json) => p.comment)).toEqual(j.packets.map((p: Json) => p.comment));
  });

  it('bad input: exit 2, one line', async () => {
    usageError(await runCli(['mtu', SCENARIO]), 'mtu', /-o/);
    usageError(await runCli(['mtu', missing(), '-o', t('m.pcapng')]), 'mtu', /does-not-exist\.bin/);
    usageError(await runCli(['mtu', SCENARIO, '-o', t('m.pcapng'), '--frob']), 'mtu', /--frob/);
    writeFileSync(t('mtu60.json'), '{"underlayMtu": 60}');
    usageError(await runCli(['mtu', t('mtu60.json'), '-o', t('m.pcapng')]), 'mtu', /underlayMtu.*68/);
    writeFileSync(t('mtukey.json'), '{"underlay": 1400}');
    usageError(await runCli(['mtu', t('mtukey.json'), '-o', t('m.pcapng')]), 'mtu', /'underlay'/);
  });
});

describe('virtkit pt build | walk | dump', () => {
  // map4.json is cli.md's example. Tables from 0x100000: PML4 0x100000, then for va 0x400000
  // a PDPT 0x101000, a PD 0x102000 and a PT 0x103000; for 0xffff800000000000 a PDPT 0x104000.
  const MEM = (): string => t('mem4.bin');
  beforeAll(async () => {
    expect((await runCli(['pt', 'build', MAP4, '-o', MEM()])).code).toBe(0);
  });

  it('build --json: {"cr3", "levels", "tables", "bytes"}', async () => {
    const j = json(await runCli(['pt', 'build', MAP4, '-o', t('mem4b.bin'), '--json']));
    expect(j).toEqual({ cr3: '0x100000', levels: 4, tables: 5, bytes: 16 * 1024 * 1024 });
    expect(readFileSync(t('mem4b.bin')).length).toBe(16 * 1024 * 1024);
  });

  it('walk --json success: {"va", "pa", "pageSize", "flags", "refs"} with 0x strings', async () => {
    const j = json(await runCli(['pt', 'walk', MEM(), '--cr3', '0x100000', '--va', '0x400123', '--json']));
    expect(keys(j)).toEqual(sorted(['va', 'pa', 'pageSize', 'flags', 'refs']));
    // PML4[0], PDPT[0], PD[2] (0x400000 >> 21 = 2, 8 bytes each), PT[0].
    expect(j).toEqual({ va: '0x400123', pa: '0x200123', pageSize: '4K', flags: ['w', 'u'], refs: ['0x100000', '0x101000', '0x102010', '0x103000'] });
  });

  it('walk takes decimal and size suffixes: --cr3 1M --va 4M', async () => {
    const j = json(await runCli(['pt', 'walk', MEM(), '--cr3', '1M', '--va', '4M', '--json']));
    expect(j.pa).toBe('0x200000');
  });

  it('walk --json page fault: {"va", "fault": {"exception": "PF", "errorCode", "bits"}, "refs"}', async () => {
    // Fetch from the NX 1 GiB page with EFER.NXE: P (protection) + I/D = 0x11; refs PML4[256], PDPT[0].
    const x = json(await runCli(['pt', 'walk', MEM(), '--cr3', '0x100000', '--va', '0xffff800000000010', '--access', 'x', '--nxe', '--json']));
    expect(keys(x)).toEqual(['fault', 'refs', 'va']);
    expect(keys(x.fault)).toEqual(['bits', 'errorCode', 'exception']);
    expect(x).toEqual({ va: '0xffff800000000010', fault: { exception: 'PF', errorCode: 0x11, bits: ['P', 'I'] }, refs: ['0x100800', '0x104000'] });
    // Without NXE the XD bit is reserved: P + RSVD = 0x9.
    const rsvd = json(await runCli(['pt', 'walk', MEM(), '--cr3', '0x100000', '--va', '0xffff800000000010', '--json']));
    expect(rsvd.fault).toEqual({ exception: 'PF', errorCode: 0x9, bits: ['P', 'RSVD'] });
    // A user read of the supervisor page: P + U = 0x5.
    const user = json(await runCli(['pt', 'walk', MEM(), '--cr3', '0x100000', '--va', '0xffff800000000010', '--nxe', '--user', '--json']));
    expect(user.fault).toEqual({ exception: 'PF', errorCode: 0x5, bits: ['P', 'U'] });
    // Not present: PD[4] of 0x800000 is empty; error code 0.
    const np = json(await runCli(['pt', 'walk', MEM(), '--cr3', '0x100000', '--va', '0x800000', '--json']));
    expect(np).toEqual({ va: '0x800000', fault: { exception: 'PF', errorCode: 0, bits: [] }, refs: ['0x100000', '0x101000', '0x102020'] });
  });

  it('walk --json non-canonical address: #GP, no entry read, exit 0', async () => {
    const j = json(await runCli(['pt', 'walk', MEM(), '--cr3', '0x100000', '--va', '0x800000000000', '--json']));
    expect(j).toEqual({ va: '0x800000000000', fault: { exception: 'GP' }, refs: [] });
  });

  it('dump --json: {"mappings": [{"va", "pa", "size", "flags"}]} in VA order, upper half sign-extended', async () => {
    const j = json(await runCli(['pt', 'dump', MEM(), '--cr3', '0x100000', '--json']));
    expect(keys(j)).toEqual(['mappings']);
    expect(j.mappings).toEqual([
      { va: '0x400000', pa: '0x200000', size: '4K', flags: ['w', 'u'] },
      { va: '0xffff800000000000', pa: '0x40000000', size: '1G', flags: ['w', 'g', 'nx'] },
    ]);
    for (const m of j.mappings as Json[]) {
      expect(m.va).toMatch(HEX);
      expect(m.pa).toMatch(HEX);
    }
  });

  it('5 levels: build, walk (PML5[256], PML4[0], PDPT[0], PD[2]) and dump', async () => {
    const b = json(await runCli(['pt', 'build', MAP5, '-o', t('mem5.bin'), '--json']));
    expect(b).toEqual({ cr3: '0x100000', levels: 5, tables: 4, bytes: 2 * 1024 * 1024 });
    const w = json(await runCli(['pt', 'walk', t('mem5.bin'), '--cr3', '0x100000', '--levels', '5', '--va', '0xff00000000412345', '--json']));
    expect(w).toEqual({ va: '0xff00000000412345', pa: '0x212345', pageSize: '2M', flags: ['w'], refs: ['0x100800', '0x101000', '0x102000', '0x103010'] });
    // The same address is not canonical for 4-level paging.
    const gp = json(await runCli(['pt', 'walk', t('mem5.bin'), '--cr3', '0x100000', '--va', '0xff00000000412345', '--json']));
    expect(gp.fault).toEqual({ exception: 'GP' });
    const d = json(await runCli(['pt', 'dump', t('mem5.bin'), '--cr3', '0x100000', '--levels', '5', '--json']));
    expect(d.mappings).toEqual([{ va: '0xff00000000400000', pa: '0x200000', size: '2M', flags: ['w'] }]);
  });

  it('bad input to walk and dump: exit 2, one line', async () => {
    const mem = MEM();
    usageError(await runCli(['pt', 'walk', mem, '--va', '0x400000']), 'pt', /--cr3/);
    usageError(await runCli(['pt', 'walk', mem, '--cr3', '0x100000']), 'pt', /--va/);
    usageError(await runCli(['pt', 'walk', mem, '--cr3', '0x100000', '--va', 'zz']), 'pt', /--va.*'zz'/);
    usageError(await runCli(['pt', 'walk', mem, '--cr3', '0x100000', '--va', '0x10000000000000000']), 'pt', /--va/);
    usageError(await runCli(['pt', 'walk', mem, '--cr3', '0x2000000', '--va', '0x400000']), 'pt', /--cr3.*outside/);
    usageError(await runCli(['pt', 'walk', mem, '--cr3', '0x100000', '--va', '0', '--levels', '6']), 'pt', /--levels.*'6'/);
    usageError(await runCli(['pt', 'walk', mem, '--cr3', '0x100000', '--va', '0', '--access', 'q']), 'pt', /--access.*'q'/);
    usageError(await runCli(['pt', 'walk', mem, '--cr3', '0x100000', '--va', '0', '--maxphyaddr', '99']), 'pt', /--maxphyaddr/);
    usageError(await runCli(['pt', 'walk', missing(), '--cr3', '0', '--va', '0']), 'pt', /does-not-exist\.bin/);
    usageError(await runCli(['pt', 'walk', MAP4, '--cr3', '0', '--va', '0']), 'pt', /map4\.json.*4096/);
    usageError(await runCli(['pt', 'dump', mem]), 'pt', /--cr3/);
    usageError(await runCli(['pt', 'dump', mem, '--cr3', '0x100000', '--frob']), 'pt', /--frob/);
    usageError(await runCli(['pt']), 'pt', /build, walk or dump/);
    usageError(await runCli(['pt', 'frob']), 'pt', /'frob'/);
  });

  it('bad map files: exit 2 naming the mapping', async () => {
    usageError(await runCli(['pt', 'build', MAP4]), 'pt', /-o/);
    usageError(await runCli(['pt', 'build', missing(), '-o', t('x.bin')]), 'pt', /does-not-exist\.bin/);
    const bad = async (name: string, map: unknown, what: RegExp): Promise<void> => {
      writeFileSync(t(name), JSON.stringify(map));
      usageError(await runCli(['pt', 'build', t(name), '-o', t('x.bin')]), 'pt', what);
    };
    await bad('flag.json', { mappings: [{ va: '0x400000', pa: '0x200000', size: '4K', flags: ['q'] }] }, /mapping 0 .*flag "q"/);
    await bad('align.json', { mappings: [{ va: '0x400100', pa: '0x200000', size: '4K' }] }, /mapping 0 \(va 0x400100\).*align/);
    await bad('overlap.json', { mappings: [{ va: '0x400000', pa: '0x200000', size: '2M' }, { va: '0x400000', pa: '0x200000', size: '4K' }] }, /mapping 1 .*overlap/);
    await bad('full.json', { memBytes: '1M', tablesAt: '0xff000', mappings: [{ va: '0x400000', pa: '0x200000', size: '4K' }] }, /mapping 0 .*frame/);
    await bad('size.json', { mappings: [{ va: '0x400000', pa: '0x200000', size: '8K' }] }, /mapping 0 .*size "8K"/);
    expect(existsSync(t('x.bin'))).toBe(false);
  });
});

describe('virtkit tlb sim | switch | presets', () => {
  it('sim --json: {"accesses", "hits", "misses", "hitRate"} (the trace worked by hand: 7, 2, 5)', async () => {
    const j = json(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', '2', '--ways', '1', '--json']));
    expect(keys(j)).toEqual(sorted(['accesses', 'hits', 'misses', 'hitRate']));
    expect(j).toEqual({ accesses: 7, hits: 2, misses: 5, hitRate: 2 / 7 });
  });

  it('sim: hex geometry, fully associative with FIFO', async () => {
    // One set of 4 ways holds every page: misses are the first touches of (PCID 0, VPN 1),
    // (0, 3), (1, 1), then (1, 1) again after the flush; the last access (0, 1) hits.
    const j = json(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', '0x1', '--ways', '4', '--policy', 'fifo', '--json']));
    expect(j).toEqual({ accesses: 7, hits: 3, misses: 4, hitRate: 3 / 7 });
  });

  it('switch --json: flushed vs PCID-tagged, hits + walks = accesses for each', async () => {
    const j = json(await runCli(['tlb', 'switch', '--procs', '4', '--quantum', '100', '--accesses', '2000', '--json']));
    for (const mode of ['flush', 'pcid']) {
      const m = j[mode];
      expect(m.hits + m.walks).toBe(2000);
      expect(m.hitRate).toBeCloseTo(m.hits / 2000, 10);
    }
    // Tags keep each process's translations across switches.
    expect(j.pcid.hits).toBeGreaterThan(j.flush.hits);
  });

  it('presets --json: Skylake L1 DTLB 64 entries 4-way for 4K pages', async () => {
    const j = json(await runCli(['tlb', 'presets', '--json']));
    expect(keys(j)).toEqual(['presets']);
    const sky = (j.presets as Json[]).find((p: Json) => p.name === 'skylake');
    expect(sky.l1).toContainEqual(expect.objectContaining({ entries: 64, ways: 4, pages: ['4K'] }));
  });

  it('bad input: exit 2, one line (a bad trace line names FILE:LINE)', async () => {
    writeFileSync(t('bad.trace'), 'access 0x1000\nacces 0x2000\n');
    usageError(await runCli(['tlb', 'sim', t('bad.trace'), '--sets', '2', '--ways', '2', '--json']), 'tlb', /bad\.trace:2:.*'acces'/);
    writeFileSync(t('pcid.trace'), '# comment\naccess 0x1000\naccess 0x2000 5000\n');
    usageError(await runCli(['tlb', 'sim', t('pcid.trace'), '--sets', '2', '--ways', '2']), 'tlb', /pcid\.trace:3:.*PCID 5000/);
    writeFileSync(t('canon.trace'), 'access 0x0100000000000000\n');
    usageError(await runCli(['tlb', 'sim', t('canon.trace'), '--sets', '2', '--ways', '2']), 'tlb', /canon\.trace:1:.*canonical/);
    usageError(await runCli(['tlb', 'sim', missing(), '--sets', '2', '--ways', '2']), 'tlb', /does-not-exist\.bin/);
    usageError(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', '2']), 'tlb', /--ways/);
    usageError(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', 'x', '--ways', '2']), 'tlb', /--sets.*'x'/);
    usageError(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', '0', '--ways', '2']), 'tlb', /--sets/);
    usageError(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', '2', '--ways', '2', '--policy', 'plru']), 'tlb', /--policy.*'plru'/);
    usageError(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', '2', '--ways', '2', '--page', '16M']), 'tlb', /--page.*16M/);
    usageError(await runCli(['tlb', 'sim', TLB_TRACE, '--sets', '2', '--ways', '2', '--frob']), 'tlb', /--frob/);
    usageError(await runCli(['tlb', 'switch', '--procs', '4']), 'tlb', /--quantum/);
    usageError(await runCli(['tlb', 'switch', '--procs', '4', '--quantum', '10', '--tlb', 'pentium']), 'tlb', /'pentium'/);
    usageError(await runCli(['tlb', 'presets', 'extra']), 'tlb', /'extra'/);
    usageError(await runCli(['tlb']), 'tlb', /sim, switch or presets/);
    usageError(await runCli(['tlb', 'frob']), 'tlb', /'frob'/);
  });
});

describe('virtkit paging sim | curve', () => {
  const KEYS = sorted(['accesses', 'faults', 'evictions', 'writebacks', 'faultRate']);
  // Issue #8's textbook figures for 1 2 3 4 1 2 5 1 2 3 4 5.
  const textbook: [string, number, number][] = [
    ['fifo', 3, 9],
    ['fifo', 4, 10],
    ['lru', 3, 10],
    ['lru', 4, 8],
    ['opt', 3, 7],
    ['opt', 4, 6],
  ];
  for (const [policy, frames, faults] of textbook) {
    it(`sim --json ${policy} with ${frames} frames: ${faults} faults`, async () => {
      const j = json(await runCli(['paging', 'sim', BELADY, '--frames', String(frames), '--policy', policy, '--json']));
      expect(keys(j)).toEqual(KEYS);
      // Every fault beyond the first `frames` distinct loads evicts; nothing was written.
      expect(j).toEqual({ accesses: 12, faults, evictions: faults - frames, writebacks: 0, faultRate: faults / 12 });
    });
  }

  it('sim --json counts a writeback only for a written page (and takes --frames in hex)', async () => {
    const j = json(await runCli(['paging', 'sim', WRITEBACK, '--frames', '0x1', '--policy', 'clock', '--json']));
    expect(j).toEqual({ accesses: 3, faults: 3, evictions: 2, writebacks: 1, faultRate: 1 });
  });

  it('curve --json: FIFO shows Belady\'s anomaly between 3 and 4 frames', async () => {
    const j = json(await runCli(['paging', 'curve', BELADY, '--policy', 'fifo', '--frames', '1..5', '-o', t('c.svg'), '--json']));
    expect(j.frames).toEqual([1, 2, 3, 4, 5]);
    // 1 frame: every access faults; 2: every reuse comes two or more distinct pages later, so
    // FIFO has always just dropped it → 12; 5 frames hold all five pages: 5 cold faults.
    expect(j.series).toEqual([{ policy: 'fifo', faults: [12, 12, 9, 10, 5] }]);
    expect(j.anomalies).toEqual([{ policy: 'fifo', frames: 3, moreFrames: 4, faults: 9, moreFaults: 10 }]);
    expect(readFileSync(t('c.svg'), 'utf8')).toMatch(/<svg/);
  });

  it('bad input: exit 2, one line (a bad trace line names its line number)', async () => {
    writeFileSync(t('bad.ptrace'), 'r 0x1000\nx 0x2000\n');
    usageError(await runCli(['paging', 'sim', t('bad.ptrace'), '--frames', '3', '--policy', 'lru', '--json']), 'paging', /bad\.ptrace.*line 2/);
    writeFileSync(t('addr.ptrace'), 'r 0x1000\nw 0x2000\nr zz\n');
    usageError(await runCli(['paging', 'sim', t('addr.ptrace'), '--frames', '3', '--policy', 'lru']), 'paging', /line 3.*'zz'/);
    usageError(await runCli(['paging', 'sim', BELADY, '--frames', '0', '--policy', 'lru']), 'paging', /--frames/);
    usageError(await runCli(['paging', 'sim', BELADY, '--frames', 'three', '--policy', 'lru']), 'paging', /--frames.*'three'/);
    usageError(await runCli(['paging', 'sim', BELADY, '--policy', 'lru']), 'paging', /--frames/);
    usageError(await runCli(['paging', 'sim', BELADY, '--frames', '3']), 'paging', /--policy/);
    usageError(await runCli(['paging', 'sim', BELADY, '--frames', '3', '--policy', 'mru']), 'paging', /'mru'/);
    usageError(await runCli(['paging', 'sim', missing(), '--frames', '3', '--policy', 'lru']), 'paging', /does-not-exist\.bin/);
    usageError(await runCli(['paging', 'sim', BELADY, '--frames', '3', '--policy', 'lru', '--frob']), 'paging', /--frob/);
    usageError(await runCli(['paging', 'curve', BELADY, '--frames', '5..1']), 'paging', /--frames.*5\.\.1/);
    usageError(await runCli(['paging', 'curve', BELADY, '--policy', 'fifo,nru']), 'paging', /'nru'/);
    usageError(await runCli(['paging', 'curve', BELADY, '-o', join(tmp, 'no-such-dir', 'c.svg')]), 'paging', /c\.svg/);
    usageError(await runCli(['paging']), 'paging', /sim or curve/);
    usageError(await runCli(['paging', 'frob']), 'paging', /'frob'/);
  });
});

describe('virtkit virt compare', () => {
  const SCHEME = sorted(['refsPerMiss', 'traps', 'tableBytes', 'hitRate']);
  const check = (j: Json, refs: [number, number, number]): void => {
    expect(keys(j)).toEqual(['native', 'nested', 'shadow', 'vmSwitch']);
    for (const s of ['native', 'shadow', 'nested']) {
      expect(keys(j[s])).toEqual(SCHEME);
      for (const k of SCHEME) expect(typeof j[s][k]).toBe('number');
      expect(j[s].hitRate).toBeGreaterThan(0);
      expect(j[s].hitRate).toBeLessThanOrEqual(1);
    }
    expect(keys(j.vmSwitch)).toEqual(['flushedHitRate', 'taggedHitRate']);
    expect([j.native.refsPerMiss, j.shadow.refsPerMiss, j.nested.refsPerMiss]).toEqual(refs);
    // Only shadow paging traps guest page-table writes; native paging has no tables beyond the guest's.
    expect(j.native.traps).toBe(0);
    expect(j.nested.traps).toBe(0);
    expect(j.shadow.traps).toBeGreaterThan(0);
    expect(j.native.tableBytes).toBe(0);
    expect(j.shadow.tableBytes % 4096).toBe(0);
    expect(j.nested.tableBytes % 4096).toBe(0);
    expect(j.vmSwitch.taggedHitRate).toBeGreaterThan(j.vmSwitch.flushedHitRate);
  };

  it('--json, 4 levels: refsPerMiss 4 native, 4 shadow, 24 nested ((4+1)(4+1) - 1)', async () => {
    check(json(await runCli(['virt', 'compare', '--json'])), [4, 4, 24]);
  });

  it('--json, --levels 5: 5, 5 and 35 ((5+1)(5+1) - 1)', async () => {
    check(json(await runCli(['virt', 'compare', '--levels', '5', '--json'])), [5, 5, 35]);
  });

  it('bad input: exit 2, one line', async () => {
    usageError(await runCli(['virt', 'compare', '--levels', '3']), 'virt', /--levels.*'3'/);
    usageError(await runCli(['virt', 'compare', '--frob']), 'virt', /--frob/);
    usageError(await runCli(['virt', 'compare', 'extra']), 'virt', /'extra'/);
    usageError(await runCli(['virt']), 'virt', /compare/);
    usageError(await runCli(['virt', 'frob']), 'virt', /'frob'/);
  });
});

describe('virtkit demo', () => {
  it('-o OUT --json: one document; every frame of the capture carries a comment', async () => {
    const out = join(tmp, 'demo', 'demo.pcapng');
    const j = json(await runCli(['demo', '-o', out, '--json']));
    expect(keys(j)).toEqual(['bytes', 'file', 'packets']);
    expect(readFileSync(out).length).toBe(j.bytes);
    const d = json(await runCli(['decode', out, '--json']));
    expect(d.packets).toHaveLength(j.packets);
    for (const p of d.packets as Json[]) {
      expect(p.comment).toMatch(/\S/);
      expect(p.error).toBeUndefined();
    }
  });

  it('text: where the capture is, the overhead table and the translation summary', async () => {
    const out = join(tmp, 'demo-text', 'demo.pcapng');
    const r = await runCli(['demo', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(out);
    expect(existsSync(out)).toBe(true);
    // The VXLAN over IPv4 row: 50 bytes, inner MTU 1450, needs 1550.
    expect(r.stdout).toMatch(/ether,ipv4,udp,vxlan,ether\s+50\b.*\b1450\b.*\b1550\b/);
    expect(r.stdout).toMatch(/PCID/);
    expect(r.stdout).toMatch(/nested\s+24/);
  });

  it('bad input: exit 2, one line', async () => {
    usageError(await runCli(['demo', '--frob']), 'demo', /--frob/);
    usageError(await runCli(['demo', 'extra']), 'demo', /'extra'/);
  });
});

describe('virtkit bench (bad input only: a real run rewrites bench/results.json)', () => {
  it('bad input: exit 2, one line, nothing run or written', async () => {
    const results = join(ROOT, 'bench', 'results.json');
    const before = existsSync(results) ? readFileSync(results, 'utf8') : undefined;
    usageError(await runCli(['bench', '--frob']), 'bench', /--frob/);
    usageError(await runCli(['bench', 'nosuite', '--json']), 'bench', /'nosuite'.*encode/);
    usageError(await runCli(['bench', 'encode', '--time', 'abc', '--json']), 'bench', /--time.*'abc'/);
    usageError(await runCli(['bench', 'encode', 'pcap']), 'bench', /suite/);
    expect(existsSync(results) ? readFileSync(results, 'utf8') : undefined).toBe(before);
  });
});

// End to end through the built binary (`npx tsc -p .`; `npm test` builds first): exit status
// and the real stdout/stderr streams of a process.
const BUILT = existsSync(join(ROOT, 'dist', 'src', 'cli', 'bin.js'));
describe.skipIf(!BUILT && !process.env.VIRTKIT_REQUIRE_TOOLS)('the built virtkit binary', () => {
  it('overhead --json: one document on stdout, exit 0', () => {
    const r = spawnCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--json']);
    const j = json(r);
    expect(j).toMatchObject({ overhead: 50, innerMtu: 1450, requiredMtu: 1550 });
  });

  it('build - --hex reads stdin; bad input exits 2 with one line on stderr', () => {
    const ok = spawnCli(['build', '-', '--hex'], readFileSync(PACKETS, 'utf8'));
    expect(ok.code).toBe(0);
    expect(ok.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(ok.stderr).toBe('');
    const bad = spawnCli(['build', '-', '--hex'], '[[{"layer": "vxlan", "vni": 16777216}]]');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^virtkit build: .*layer 0 \(vxlan\): vni/);
  });

  it('bench --json: {"results": [{"name", "opsPerSec", "rme"}]}; the results file goes to the current directory, not into the package', () => {
    const cwd = join(tmp, 'bench-cwd');
    mkdirSync(cwd, { recursive: true });
    const results = join(ROOT, 'bench', 'results.json');
    const before = existsSync(results) ? readFileSync(results, 'utf8') : undefined;
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'bin.js'), 'bench', 'encode', '--filter', 'encode-vxlan-156B', '--time', '0', '--json'], { encoding: 'utf8', cwd });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Json;
    expect(keys(j)).toEqual(['results']);
    expect(j.results.map((x: Json) => x.name)).toContain('encode-vxlan-156B');
    for (const x of j.results as Json[]) {
      expect(keys(x)).toEqual(['name', 'opsPerSec', 'rme']);
      expect(x.name).toMatch(/encode-vxlan-156B/);
      expect(typeof x.opsPerSec).toBe('number');
      expect(x.opsPerSec).toBeGreaterThan(0);
      expect(typeof x.rme).toBe('number');
    }
    expect(existsSync(join(cwd, 'bench-results.json'))).toBe(true);
    expect(existsSync(results) ? readFileSync(results, 'utf8') : undefined).toBe(before);
  });
});
