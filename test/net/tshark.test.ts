/**
 * Cross-check with Wireshark, the ground truth for bytes on the wire: frames this encoder
 * builds are written to a pcap (a minimal writer here, independent of src/pcap) and dissected
 * by tshark with IP/UDP checksum validation on. Curated frames of every layer kind must show no
 * malformed packet, no expert warning or error, and good checksums; random frames must show
 * tshark the same field values the layers asked for.
 */
import { GOLDEN_PATH } from '../helpers/golden.js';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toolsAvailable } from '../helpers/tools.js';
import { bytesToHex, encodeFrame, type Layer } from '../../src/net/index.js';
import { frame as randomFrame } from './arbitraries.js';
import { handPcap as pcap } from '../helpers/hand-pcap.js';

const GOLDEN = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as { vectors: { name: string; layers: Layer[] }[] };


const dir = mkdtempSync(join(tmpdir(), 'virtkit-net-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run tshark over frames; one row per frame, one string per requested field ('' when absent). */
function tshark(name: string, frames: Uint8Array[], fields: string[], extra: string[] = []): string[][] {
  const file = join(dir, `${name}.pcap`);
  writeFileSync(file, pcap(frames));
  const args = ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', ...extra, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', '-E', 'occurrence=a'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  const rows = r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
  expect(rows).toHaveLength(frames.length);
  return rows;
}

const E = (dst = '02:00:00:00:00:01', src = '02:00:00:00:00:02'): Layer => ({ layer: 'ether', dst, src });
const IP4 = (src = '192.0.2.1', dst = '192.0.2.2', more: Record<string, unknown> = {}): Layer => ({ layer: 'ipv4', src, dst, ...more });
const IP6 = (src = '2001:db8::1', dst = '2001:db8::2'): Layer => ({ layer: 'ipv6', src, dst });
const U = (sport = 40000, dport = 40001): Layer => ({ layer: 'udp', sport, dport });
const PAY = (n = 16): Layer => ({ layer: 'raw', hex: bytesToHex(Uint8Array.from({ length: n }, (_, i) => i)) });

/** A UDP payload word that makes the computed checksum 0, which must then be sent as 0xffff. */
function zeroChecksumFrame(): Layer[] {
  const base = [E(), IP4(), U(40000, 40002), { layer: 'raw', hex: '0000' }];
  const b = encodeFrame(base);
  const c = (b[40]! << 8) | b[41]!;
  return [E(), IP4(), U(40000, 40002), { layer: 'raw', hex: c.toString(16).padStart(4, '0') }];
}

/** Frames of every layer kind with the ordinary values a real network carries. */
const CURATED: { name: string; layers: Layer[]; decodeAs?: string[] }[] = [
  ...GOLDEN.vectors.map((v) => ({
    name: v.name,
    layers: v.layers,
    decodeAs: v.name === 'eompls_pw_control_word' ? ['-d', 'mpls.label==2000,pwethcw'] : v.name === 'eompls_pw_no_control_word' ? ['-d', 'mpls.label==3000,pwethnocw'] : undefined,
  })),
  { name: 'arp request', layers: [E('ff:ff:ff:ff:ff:ff'), { layer: 'arp', hwsrc: '02:00:00:00:00:02', psrc: '192.0.2.2', pdst: '192.0.2.1' }] },
  { name: 'arp reply', layers: [E(), { layer: 'arp', op: 2, hwsrc: '02:00:00:00:00:02', psrc: '192.0.2.2', hwdst: '02:00:00:00:00:01', pdst: '192.0.2.1' }] },
  { name: 'icmp echo request', layers: [E(), IP4(), { layer: 'icmp', type: 8, id: 0x1234, seq: 7 }, PAY(32)] },
  { name: 'icmp echo reply', layers: [E(), IP4('192.0.2.2', '192.0.2.1'), { layer: 'icmp', type: 0, id: 0x1234, seq: 7 }, PAY(32)] },
  {
    name: 'icmp frag needed quoting an IPv4/UDP packet',
    layers: [E(), IP4('198.51.100.1', '192.0.2.1'), { layer: 'icmp', type: 3, code: 4, mtu: 1400 }, IP4('192.0.2.1', '203.0.113.9', { flags: 'DF', id: 99 }), U(40000, 40003), PAY(8)],
  },
  { name: 'icmp time exceeded', layers: [E(), IP4('198.51.100.1', '192.0.2.1'), { layer: 'icmp', type: 11, code: 0 }, IP4('192.0.2.1', '203.0.113.9', { ttl: 1 }), U(40000, 40004), PAY(8)] },
  { name: 'udp checksum computed as 0 is sent as 0xffff', layers: zeroChecksumFrame() },
  { name: 'ipv6 in ipv6', layers: [E(), IP6(), IP6('2001:db8:1::1', '2001:db8:1::2'), U(), PAY()] },
  { name: 'dot1ad carrying ipv6', layers: [E(), { layer: 'dot1ad', vid: 77, pcp: 4 }, IP6(), U(), PAY()] },
  { name: 'gre over ipv6 with checksum, key, seq, carrying a tagged ethernet', layers: [E(), IP6(), { layer: 'gre', chksum: true, key: 0xabcdef01, seq: 42 }, E('0a:00:00:00:00:01', '0a:00:00:00:00:02'), { layer: 'dot1q', vid: 5 }, IP4('10.0.0.1', '10.0.0.2'), U(), PAY()] },
  { name: 'mpls over gre over ipv6 carrying ipv6', layers: [E(), IP6(), { layer: 'gre' }, { layer: 'mpls', label: 1000 }, { layer: 'mpls', label: 2000, tc: 3 }, IP6('2001:db8:2::1', '2001:db8:2::2'), U(), PAY()] },
  {
    name: 'geneve over ipv6 with options carrying ipv6',
    layers: [E(), IP6(), U(49200, 6081), { layer: 'geneve', vni: 0xfedcba, options: [{ class: 0x0102, type: 0x80, data: 'deadbeef' }, { class: 0xffff, type: 3, data: '' }] }, E('0a:00:00:00:00:01', '0a:00:00:00:00:02'), IP6('2001:db8:2::1', '2001:db8:2::2'), U(), PAY()],
  },
  { name: 'vxlan over ipv6 carrying ipv6', layers: [E(), IP6(), U(49200, 4789), { layer: 'vxlan', vni: 99 }, E('0a:00:00:00:00:01', '0a:00:00:00:00:02'), IP6('fe80::1', 'fe80::2'), U(), PAY(64)] },
  { name: 'ipv4 with options carrying icmp', layers: [E(), IP4('192.0.2.1', '192.0.2.2', { options: '070b04' + '00'.repeat(8) + '00' }), { layer: 'icmp', type: 8, id: 1, seq: 1 }, PAY(8)] },
];

const CHECKSUMS = ['ip.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'gre.checksum.status'];

describe.skipIf(!toolsAvailable('tshark'))('tshark dissects the frames we encode', () => {
  it('curated frames of every layer kind: no malformed frame, no expert warning, good checksums', () => {
    // Frames needing "Decode As" get their own run.
    const groups = new Map<string, typeof CURATED>();
    for (const c of CURATED) {
      const key = (c.decodeAs ?? []).join(' ');
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const [key, cases] of groups) {
      const frames = cases.map((c) => encodeFrame(c.layers));
      const rows = tshark(`curated${groups.size}-${key.length}`, frames, ['_ws.malformed', '_ws.expert.severity', '_ws.expert.message', 'frame.protocols', ...CHECKSUMS], cases[0]!.decodeAs ?? []);
      rows.forEach((row, i) => {
        const [malformed, severity, message, protocols, ...sums] = row;
        const label = `${cases[i]!.name}: ${protocols} ${message}`;
        expect(malformed, label).toBe('');
        // Expert severities: chat 0x200000, note 0x400000, warn 0x600000, error 0x800000.
        for (const s of severity ? severity.split(',') : []) expect(Number(s), label).toBeLessThan(0x600000);
        // Status 1 = good; 3 = not present, only where a layer sends UDP checksum 0 on purpose.
        const sendsNone = cases[i]!.layers.some((l) => l.layer === 'udp' && l.chksum === 0);
        for (const s of sums.flatMap((x) => (x ? x.split(',') : []))) expect(s === '1' || (sendsNone && s === '3'), `${label} checksum status ${s}`).toBe(true);
        expect(protocols, label).not.toMatch(/malformed|_ws/);
      });
    }
  });

  it('the all-zero UDP checksum case really sends 0xffff and tshark accepts it', () => {
    const bytes = encodeFrame(zeroChecksumFrame());
    expect(bytesToHex(bytes.subarray(40, 42))).toBe('ffff');
    const [row] = tshark('zero-checksum', [bytes], ['udp.checksum', 'udp.checksum.status']);
    expect(row).toEqual(['0xffff', '1']);
  });

  it('checksum fields are what tshark computes (curated GRE/ICMP/UDP/IPv4 values read back)', () => {
    const frames = CURATED.filter((c) => !c.decodeAs).map((c) => encodeFrame(c.layers));
    const rows = tshark('statuses', frames, CHECKSUMS);
    const seen = new Set<number>();
    rows.forEach((r) => r.forEach((v, k) => v && seen.add(k)));
    // Every checksum kind was actually verified somewhere.
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });

  // Field name in tshark → how to get the values our layers asked for, in frame order.
  const FIELDS: [string, (l: Layer) => unknown][] = [
    ['vlan.id', (l) => (l.layer === 'dot1q' ? l.vid : undefined)],
    ['vlan.priority', (l) => (l.layer === 'dot1q' ? l.pcp : undefined)],
    ['vlan.dei', (l) => (l.layer === 'dot1q' ? l.dei : undefined)],
    ['ieee8021ad.id', (l) => (l.layer === 'dot1ad' ? l.vid : undefined)],
    ['ieee8021ad.priority', (l) => (l.layer === 'dot1ad' ? l.pcp : undefined)],
    ['ieee8021ad.dei', (l) => (l.layer === 'dot1ad' ? l.dei : undefined)],
    ['arp.opcode', (l) => (l.layer === 'arp' ? l.op : undefined)],
    ['arp.src.proto_ipv4', (l) => (l.layer === 'arp' ? l.psrc : undefined)],
    ['ip.id', (l) => (l.layer === 'ipv4' ? l.id : undefined)],
    ['ip.ttl', (l) => (l.layer === 'ipv4' ? l.ttl : undefined)],
    ['ip.dsfield', (l) => (l.layer === 'ipv4' ? l.tos : undefined)],
    ['ip.src', (l) => (l.layer === 'ipv4' ? l.src : undefined)],
    ['ipv6.tclass', (l) => (l.layer === 'ipv6' ? l.tc : undefined)],
    ['ipv6.flow', (l) => (l.layer === 'ipv6' ? l.fl : undefined)],
    ['ipv6.hlim', (l) => (l.layer === 'ipv6' ? l.hlim : undefined)],
    ['ipv6.dst', (l) => (l.layer === 'ipv6' ? l.dst : undefined)],
    ['udp.srcport', (l) => (l.layer === 'udp' ? l.sport : undefined)],
    ['udp.dstport', (l) => (l.layer === 'udp' ? l.dport : undefined)],
    ['vxlan.vni', (l) => (l.layer === 'vxlan' ? l.vni : undefined)],
    ['gre.key', (l) => (l.layer === 'gre' ? l.key : undefined)],
    ['gre.sequence_number', (l) => (l.layer === 'gre' ? l.seq : undefined)],
    ['mpls.label', (l) => (l.layer === 'mpls' ? l.label : undefined)],
    ['mpls.exp', (l) => (l.layer === 'mpls' ? l.tc : undefined)],
    ['mpls.ttl', (l) => (l.layer === 'mpls' ? l.ttl : undefined)],
    ['geneve.vni', (l) => (l.layer === 'geneve' ? l.vni : undefined)],
    ['geneve.option.class', (l) => (l.layer === 'geneve' ? (l.options as { class: number }[]).map((o) => o.class) : undefined)],
    ['geneve.option.type', (l) => (l.layer === 'geneve' ? (l.options as { type: number }[]).map((o) => o.type) : undefined)],
    ['icmp.type', (l) => (l.layer === 'icmp' ? l.type : undefined)],
    ['icmp.seq', (l) => (l.layer === 'icmp' ? l.seq : undefined)],
  ];

  /** Random frames made safe for a dissector that guesses: no option garbage, unassigned ports, no reserved MPLS labels, echo ICMP only. */
  function tame(layers: Layer[]): Layer[] {
    return layers.map((l) => {
      switch (l.layer) {
        case 'ipv4':
          return { ...l, options: '', flags: 'DF' };
        case 'udp':
          return { ...l, sport: 49152 + ((l.sport as number) & 0x3fff), dport: l.dport === 4789 || l.dport === 6081 || l.dport === 6635 ? l.dport : 40000 + ((l.dport as number) % 1000) };
        case 'mpls':
          return { ...l, label: (l.label as number) < 16 ? (l.label as number) + 16 : l.label };
        case 'icmp':
          // Errors keep their type (tshark dissects the quoted packet too); other types become echo.
          return [3, 4, 5, 11, 12].includes(l.type as number) ? l : { layer: 'icmp', type: 8, code: 0, id: 1, seq: (l.code as number) + 1 };
        default:
          return l;
      }
    });
  }

  it('random frames: tshark reads the field values we wrote', () => {
    const frames = fc.sample(randomFrame.map(tame), { numRuns: 150, seed: 4242 });
    const rows = tshark('random', frames.map(encodeFrame), FIELDS.map(([f]) => f));
    const num = (s: string) => (s === 'True' ? 1 : s === 'False' ? 0 : Number(s));
    let compared = 0;
    frames.forEach((layers, i) => {
      FIELDS.forEach(([name, pick], k) => {
        const want = layers.flatMap((l) => {
          const v = pick(l);
          return v === undefined ? [] : Array.isArray(v) ? v : [v];
        });
        const got = rows[i]![k] ? rows[i]![k]!.split(',') : [];
        const label = `frame ${i} ${name} ${JSON.stringify(layers)}`;
        if (name === 'ip.src' || name === 'ipv6.dst' || name === 'arp.src.proto_ipv4') expect(got, label).toEqual(want);
        else expect(got.map(num), label).toEqual(want);
        compared += want.length;
      });
    });
    // Over a thousand values, every field name exercised at least once.
    expect(compared).toBeGreaterThan(1000);
    FIELDS.forEach(([name], k) => expect(rows.some((r) => r[k] !== ''), name).toBe(true));
  });
});
