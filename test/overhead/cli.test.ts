import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';

const oneLine = (s: string) => s.trim().split('\n').length === 1;

describe('virtkit overhead', () => {
  it('--json gives the cli.md keys: VXLAN/IPv4 on 1500 = 50, 1450, 1464, 1550', async () => {
    const r = await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['layers', 'overhead', 'mtu', 'innerMtu', 'maxInnerFrame', 'requiredMtu']);
    expect(doc).toEqual({
      layers: [
        { layer: 'ether', bytes: 14 },
        { layer: 'ipv4', bytes: 20 },
        { layer: 'udp', bytes: 8 },
        { layer: 'vxlan', bytes: 8 },
      ],
      overhead: 50,
      mtu: 1500,
      innerMtu: 1450,
      maxInnerFrame: 1464,
      requiredMtu: 1550,
    });
  });

  it('--mtu and --inner-mtu (hex and suffixes accepted)', async () => {
    const r = await runCli(['overhead', 'ether,ipv4,gre:key+seq,ether', '--mtu', '9000', '--inner-mtu=0x2328', '--json']);
    const doc = JSON.parse(r.stdout);
    // 14 + 20 + 12 = 46; tunnel 32; innerMtu 9000 − 32 − 14 = 8954; required 9000 + 14 + 32 = 9046
    expect(doc.layers.map((l: { bytes: number }) => l.bytes)).toEqual([14, 20, 12]);
    expect([doc.overhead, doc.innerMtu, doc.maxInnerFrame, doc.requiredMtu]).toEqual([46, 8954, 8968, 9046]);
  });

  it('text output names the figures', async () => {
    const r = await runCli(['overhead', 'ether,ipv6,udp,geneve:8,ether']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/geneve:8 +16 bytes/);
    expect(r.stdout).toMatch(/overhead +78 bytes \(14 \+ 40 \+ 8 \+ 16\)/);
    expect(r.stdout).toMatch(/largest inner IP packet +1422/);
    expect(r.stdout).toMatch(/inner MTU 1500 needs an underlay MTU of 1578/);
  });

  it('an unknown layer: exit 2, one line naming it and the valid ones', async () => {
    const r = await runCli(['overhead', 'ether,ipv4,udp,vxlam,ether']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/^virtkit overhead: unknown layer 'vxlam' in stack \(valid: ether, dot1q, dot1ad, mpls, ipv4, ipv6, udp, vxlan, gre\[:opts\], geneve\[:N\], esp\[:CIPHER\[\+AUTH\]\]\)/);
  });

  it('an unknown option, a bad MTU, a missing stack: exit 2, one line', async () => {
    for (const argv of [
      ['overhead', 'ether,ipv4,gre:nokey,ipv4'],
      ['overhead', 'ether,ipv4,udp,vxlan,ether', '--mtu', 'big'],
      ['overhead', 'ether,ipv4,udp,vxlan,ether', '--mtu', '40'],
      ['overhead'],
      ['overhead', 'ether,ipv4', '--frobnicate'],
    ]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(oneLine(r.stderr), r.stderr).toBe(true);
    }
    expect((await runCli(['overhead', 'ether,ipv4,gre:nokey,ipv4'])).stderr).toMatch(/unknown option 'nokey' for gre \(valid: key, seq, chksum/);
  });

  it('--help documents the stack syntax and the figures', async () => {
    const r = await runCli(['overhead', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: virtkit overhead STACK \[--mtu N\] \[--inner-mtu N\] \[--json\]/);
    expect(r.stdout).toMatch(/gre:key\+seq\+chksum/);
    expect(r.stdout).toMatch(/requiredMtu/);
  });
});

describe('virtkit mtu', () => {
  const dir = mkdtempSync(join(tmpdir(), 'virtkit-mtu-'));

  it('writes the fixture scenario as pcapng and --json lists the packets', async () => {
    const out = join(dir, 'mtu.pcapng');
    const r = await runCli(['mtu', join(ROOT, 'fixtures/mtu/vxlan-underlay-1500.json'), '-o', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.file).toBe(out);
    expect(doc.packets.map((p: { length: number }) => p.length)).toEqual([1564, 70, 1514, 1564, 1514, 84, 1564]);
    expect(doc.packets[1].comment).toMatch(/Fragmentation Needed \(type 3 code 4\) with next-hop MTU 1500/);
    const file = readFileSync(out);
    expect(file.readUInt32LE(0)).toBe(0x0a0d0d0a); // pcapng Section Header Block
  });

  it('the all-cases fixture: a 1400 underlay, four stories', async () => {
    const out = join(dir, 'all.pcapng');
    const r = await runCli(['mtu', join(ROOT, 'fixtures/mtu/vxlan-all-cases.json'), '-o', out, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    // df: 1564, ICMP 70, retry 1414; fragment: 1564, 1410 (14 + 20 + 1376), 188 (14 + 20 + 154); jumbo 1564;
    // ipv6: 1584 dropped, Packet Too Big 1294 (14 + 1280), fragments 1414, 240
    expect(doc.packets.map((p: { length: number }) => p.length)).toEqual([1564, 70, 1414, 1564, 1410, 188, 1564, 1584, 1294, 1414, 240]);
    expect(doc.packets[0].time).toBe('1700000100.500000000');
  });

  it('text output: one line per packet', async () => {
    const out = join(dir, 'mtu2.pcapng');
    const r = await runCli(['mtu', join(ROOT, 'fixtures/mtu/vxlan-underlay-1500.json'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(8);
    expect(r.stdout).toMatch(/wrote 7 packets/);
  });

  it('bad scenario files and usage: exit 2, one line naming the file and key', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"underlayMtu": 40}');
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{underlay');
    const cases: [string[], RegExp][] = [
      [['mtu', bad, '-o', join(dir, 'x.pcapng')], /bad\.json: underlayMtu: 40 is below the IPv4 minimum MTU of 68/],
      [['mtu', notJson, '-o', join(dir, 'x.pcapng')], /not\.json: not JSON/],
      [['mtu', join(dir, 'missing.json'), '-o', join(dir, 'x.pcapng')], /missing\.json: cannot read \(ENOENT\)/],
      [['mtu', bad], /missing -o OUT\.pcapng/],
    ];
    for (const [argv, re] of cases) {
      const r = await runCli(argv);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toBe(true);
      expect(r.stderr).toMatch(re);
    }
  });

  it('--help documents the scenario format', async () => {
    const r = await runCli(['mtu', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: virtkit mtu SCENARIO\.json -o OUT\.pcapng \[--json\]/);
    expect(r.stdout).toMatch(/underlayMtu/);
    expect(r.stdout).toMatch(/fixtures\/mtu\/vxlan-underlay-1500\.json/);
  });
});
