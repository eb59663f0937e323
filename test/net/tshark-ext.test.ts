/**
 * Wireshark's view of the newer layers (tcp, icmpv6, ipv6hbh/ipv6dest/ipv6rh/ipv6frag, MPLS in
 * IP): frames this encoder builds — the golden-ext frames without ESP, hand-made ones and
 * seeded random ones — written with src/pcap and dissected by tshark with IPv4/UDP/TCP/ICMPv6
 * checksum validation on: no malformed frame, no expert warning or error, every checksum good,
 * and the field values tshark reads equal those of our layers.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toolsAvailable } from '../helpers/tools.js';
import { GOLDEN_EXT_PATH } from '../helpers/golden.js';
import { bytesToHex, decodeFrame, encodeFrame, type Layer } from '../../src/net/index.js';
import { CaptureWriter } from '../../src/pcap/index.js';
import { ipv4Addr, ipv6Addr } from './arbitraries.js';

const GOLDEN = JSON.parse(readFileSync(GOLDEN_EXT_PATH, 'utf8')) as { vectors: { name: string; layers: Layer[]; sa?: unknown }[] };

const E: Layer = { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' };
const IP6: Layer = { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' };
const HANDMADE: { name: string; layers: Layer[] }[] = [
  { name: 'mpls in ipv4 (137)', layers: [E, { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' }, { layer: 'mpls', label: 1000 }, { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'udp', sport: 40000, dport: 40001 }, { layer: 'raw', hex: '0102' }] },
  { name: 'mpls in ipv6 (137)', layers: [E, IP6, { layer: 'mpls', label: 17 }, { layer: 'mpls', label: 18 }, { layer: 'ipv6', src: '2001:db8:1::1', dst: '2001:db8:1::2' }, { layer: 'tcp', sport: 443, dport: 40000, flags: 'PA', seq: 99, ack: 7 }, { layer: 'raw', hex: 'abcdef' }] },
  { name: 'srh with segments left, tcp', layers: [E, IP6, { layer: 'ipv6rh', type: 4, segleft: 1, data: '0100000020010db800090000000000000000000920010db8000100000000000000000001' }, { layer: 'tcp', sport: 1, dport: 2, flags: 'S' }] },
  { name: 'ns with source link-layer option', layers: [E, { layer: 'ipv6', src: 'fe80::1', dst: 'ff02::1:ff00:2', hlim: 255 }, { layer: 'icmpv6', type: 135, target: 'fe80::2', options: '0101020000000001' }] },
];

/** Seeded random TCP and ICMPv6 frames with values Wireshark shows as they are. */
const port = fc.integer({ min: 1024, max: 30000 });
const randomTcp = fc.record({
  v6: fc.boolean(),
  src4: ipv4Addr,
  dst4: ipv4Addr,
  src6: ipv6Addr,
  dst6: ipv6Addr,
  sport: port,
  dport: port,
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  ack: fc.integer({ min: 1, max: 0xffffffff }),
  window: fc.integer({ min: 1, max: 0xffff }),
  payload: fc.uint8Array({ minLength: 1, maxLength: 40 }),
}).map((r): Layer[] => [
  E,
  r.v6 ? { layer: 'ipv6', src: r.src6, dst: r.dst6 } : { layer: 'ipv4', src: r.src4, dst: r.dst4 },
  { layer: 'tcp', sport: r.sport, dport: r.dport, seq: r.seq, ack: r.ack, flags: 'PA', window: r.window, options: '0101080a0000000100000002' },
  { layer: 'raw', hex: bytesToHex(r.payload) },
]);
const randomEcho = fc.record({ src: ipv6Addr, dst: ipv6Addr, type: fc.constantFrom(128, 129), id: fc.integer({ min: 0, max: 0xffff }), seq: fc.integer({ min: 0, max: 0xffff }), payload: fc.uint8Array({ maxLength: 40 }) })
  .map((r): Layer[] => [E, { layer: 'ipv6', src: r.src, dst: r.dst }, { layer: 'icmpv6', type: r.type, id: r.id, seq: r.seq }, ...(r.payload.length ? [{ layer: 'raw', hex: bytesToHex(r.payload) }] : [])]);

const FRAMES: { name: string; layers: Layer[] }[] = [
  ...GOLDEN.vectors.filter((v) => !v.sa),
  ...HANDMADE,
  ...fc.sample(randomTcp, { numRuns: 30, seed: 12 }).map((layers, i) => ({ name: `random tcp ${i}`, layers })),
  ...fc.sample(randomEcho, { numRuns: 20, seed: 12 }).map((layers, i) => ({ name: `random echo ${i}`, layers })),
];

const dir = mkdtempSync(join(tmpdir(), 'virtkit-tshark-ext-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Sequence analysis judges a conversation (segments not captured, FIN/RST notes), not a frame's format: off.
const CHECKS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE'];

function tshark(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, ...CHECKS, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', '-E', 'occurrence=a'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/** Our value of a tshark field for one frame (decoded layers), in tshark's text form, or undefined when not compared. */
const FIELDS: [string, (ls: Layer[]) => string | undefined][] = [
  ['tcp.srcport', (ls) => all(ls, 'tcp', 'sport')],
  ['tcp.seq_raw', (ls) => all(ls, 'tcp', 'seq')],
  ['tcp.ack_raw', (ls) => all(ls, 'tcp', 'ack')],
  ['tcp.window_size_value', (ls) => all(ls, 'tcp', 'window')],
  ['tcp.urgent_pointer', (ls) => all(ls, 'tcp', 'urgptr')],
  ['tcp.hdr_len', (ls) => all(ls, 'tcp', 'dataofs', (v) => v * 4)],
  ['tcp.flags', (ls) => all(ls, 'tcp', 'flags', (v, l) => `0x${(((l.reserved as number) << 8) | v).toString(16).padStart(4, '0')}`)],
  ['icmpv6.type', (ls) => all(ls, 'icmpv6', 'type')],
  ['icmpv6.code', (ls) => all(ls, 'icmpv6', 'code')],
  ['icmpv6.mtu', (ls) => all(ls, 'icmpv6', 'mtu')],
  ['icmpv6.pointer', (ls) => all(ls, 'icmpv6', 'pointer')],
  ['icmpv6.echo.identifier', (ls) => all(ls, 'icmpv6', 'id', (v) => `0x${v.toString(16).padStart(4, '0')}`)],
  ['icmpv6.echo.sequence_number', (ls) => all(ls, 'icmpv6', 'seq')],
  ['ipv6.hopopts.len', (ls) => all(ls, 'ipv6hbh', 'len')],
  ['ipv6.dstopts.len', (ls) => all(ls, 'ipv6dest', 'len')],
  ['ipv6.routing.type', (ls) => all(ls, 'ipv6rh', 'type')],
  ['ipv6.routing.segleft', (ls) => all(ls, 'ipv6rh', 'segleft')],
  ['ipv6.fraghdr.offset', (ls) => all(ls, 'ipv6frag', 'offset')],
  ['ipv6.fraghdr.ident', (ls) => all(ls, 'ipv6frag', 'id', (v) => `0x${v.toString(16).padStart(8, '0')}`)],
];

/** Values of `field` of every `kind` layer, joined as tshark aggregates them. */
function all(ls: Layer[], kind: string, field: string, show: (v: number, l: Layer) => string | number = (v) => v): string | undefined {
  const vs = ls.filter((l) => l.layer === kind && typeof l[field] === 'number').map((l) => String(show(l[field] as number, l)));
  return vs.length ? vs.join(',') : undefined;
}

describe.skipIf(!toolsAvailable('tshark'))('tshark on the newer layers', () => {
  const file = join(dir, 'ext.pcapng');
  const frames = FRAMES.map((f) => encodeFrame(f.layers));
  const w = new CaptureWriter({ format: 'pcapng' });
  const buf = new Uint8Array(w.headerLength() + frames.reduce((n, f) => n + w.maxRecordLength(f.length, undefined), 0));
  let off = w.writeHeader(buf, 0);
  frames.forEach((f, i) => (off = w.writeRecord(buf, off, f, 1700000000 + i, 0)));
  writeFileSync(file, buf.subarray(0, off));

  it(`${FRAMES.length} frames: no malformed frame, no expert warning or error`, () => {
    // Wireshark flags every RST as a warning ("Connection reset"): that is about the conversation.
    const bad = tshark(file, ['frame.number', '_ws.expert.message'], '_ws.malformed || (_ws.expert.severity >= warning && _ws.expert.message != "Connection reset (RST)")');
    expect(bad.map((r) => `${FRAMES[Number(r[0]) - 1]!.name}: ${r[1]}`)).toEqual([]);
  });

  it('every TCP, UDP, IPv4 and ICMPv6 checksum is good (a UDP checksum of 0 over IPv4: not present; in a first fragment: unverified)', () => {
    const rows = tshark(file, ['tcp.checksum.status', 'udp.checksum.status', 'ip.checksum.status', 'icmpv6.checksum.status']);
    expect(rows).toHaveLength(FRAMES.length);
    rows.forEach((r, i) => {
      const noUdpSum = FRAMES[i]!.layers.filter((l) => l.layer === 'udp' && l.chksum === 0).length;
      // Wireshark leaves the UDP checksum in a fragment unverified (it belongs to the reassembled datagram).
      const fragment = FRAMES[i]!.layers.some((l) => l.layer === 'ipv6frag' && l.m === 1);
      const udp = (r[1] ?? '').split(',').filter((v) => v && !(fragment && v === '2'));
      expect(udp.filter((v) => v === '3'), `${FRAMES[i]!.name}: udp`).toHaveLength(noUdpSum);
      for (const v of [r[0], ...udp.filter((v) => v !== '3'), r[2], r[3]].join(',').split(',').filter(Boolean)) expect(v, `${FRAMES[i]!.name}: ${r.join(' ')}`).toBe('1');
    });
  });

  it('tshark reads the field values of our layers', () => {
    const rows = tshark(file, FIELDS.map(([f]) => f));
    rows.forEach((r, i) => {
      const ours = decodeFrame(frames[i]!).layers;
      FIELDS.forEach(([name, value], k) => {
        const want = value(ours);
        if (want !== undefined) expect(r[k], `${FRAMES[i]!.name}: ${name}`).toBe(want);
      });
    });
  });
});
