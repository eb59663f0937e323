import { describe, it, expect } from 'vitest';
import { encodeFrame, decodeFrame, type Layer } from '../../src/net/index.js';
import { internetChecksum } from '../../src/bytes/checksum.js';
import { hexToBytes } from '../../src/bytes/hex.js';
import { copiedIpv4Options, fragmentIpv4, fragmentIpv6, FragmentError } from '../../src/net/fragment.js';
import { toolsAvailable } from '../helpers/tools.js';
import { fields, writeTempCapture } from './tshark.js';

function pattern(n: number, seed = 0): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((i * 7 + seed) & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** VXLAN over `outer` carrying an inner IPv4/UDP packet of `innerIp` bytes. */
function vxlanFrame(outer: 'ipv4' | 'ipv6', innerIp: number, df = false): Layer[] {
  const ip: Layer =
    outer === 'ipv4'
      ? { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', id: 0x4242, ...(df ? { flags: 'DF' } : {}) }
      : { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' };
  return [
    { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
    ip,
    { layer: 'udp', sport: 49152, dport: 4789, ...(outer === 'ipv4' ? { chksum: 0 } : {}) },
    { layer: 'vxlan', vni: 77 },
    { layer: 'ether', dst: '0a:00:00:00:00:02', src: '0a:00:00:00:00:01' },
    { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', id: 9 },
    { layer: 'udp', sport: 1234, dport: 5678 },
    { layer: 'raw', hex: pattern(innerIp - 28) },
  ];
}

const bytesOf = (hex: unknown) => hexToBytes(hex as string)!;
/** MF bit of a decoded ipv4 layer (the decoder writes flags 0, "MF", "DF", "DF+MF"). */
const mf = (ip: Layer) => (typeof ip['flags'] === 'string' && ip['flags'].includes('MF') ? 1 : typeof ip['flags'] === 'number' ? ip['flags'] & 1 : 0);

/** The IPv4 layer and header bytes of an encoded fragment (decoder view + raw bytes). */
function ipv4Of(frame: Layer[]) {
  const bytes = encodeFrame(frame);
  const layers = decodeFrame(bytes).layers;
  const ip = layers.find((l) => l.layer === 'ipv4')!;
  const ihl = (ip['ihl'] as number) * 4;
  // The payload as the total length delimits it (a first fragment's is decoded further, as by tshark).
  return { bytes, ip, header: bytes.subarray(14, 14 + ihl), payload: bytes.subarray(14 + ihl, 14 + (ip['len'] as number)) };
}

describe('IPv4 fragmentation (RFC 791)', () => {
  it('a 1550-byte VXLAN packet on a 1500 MTU: 1500 + 70, offsets 0 and 185, MF 1 then 0, same id', () => {
    const frame = vxlanFrame('ipv4', 1500);
    const whole = encodeFrame(frame);
    expect(whole.length - 14).toBe(1550); // 20 + 8 + 8 + 14 + 1500
    const frags = fragmentIpv4(frame, { mtu: 1500 });
    expect(frags).toHaveLength(2);
    const [a, b] = frags.map(ipv4Of);
    // 1500 − 20 = 1480 payload bytes (185 units of 8) in the first, 1530 − 1480 = 50 in the second.
    expect(a!.ip['len']).toBe(1500);
    expect(b!.ip['len']).toBe(70);
    expect([a!.ip['frag'], b!.ip['frag']]).toEqual([0, 185]);
    expect([mf(a!.ip), mf(b!.ip)]).toEqual([1, 0]);
    expect([a!.ip['id'], b!.ip['id']]).toEqual([0x4242, 0x4242]);
    for (const f of [a!, b!]) {
      expect(f.ip['proto']).toBe(17);
      expect(internetChecksum(f.header, 0, f.header.length)).toBe(0); // each header's own checksum
    }
    // Reassembling by hand gives the original IP payload back.
    const joined = new Uint8Array([...a!.payload, ...b!.payload]);
    expect(Array.from(joined)).toEqual(Array.from(whole.subarray(34)));
  });

  it('fits already: the frame comes back alone; DF set and too big: an error', () => {
    const frame = vxlanFrame('ipv4', 1400);
    expect(fragmentIpv4(frame, { mtu: 1500 })).toEqual([frame]);
    expect(() => fragmentIpv4(vxlanFrame('ipv4', 1500, true), { mtu: 1500 })).toThrow(/DF set.*MTU 1500/);
    expect(fragmentIpv4(vxlanFrame('ipv4', 1500, true), { mtu: 1500, ignoreDf: true })).toHaveLength(2);
  });

  it('fragment size, minimum MTU and sizes not a multiple of 8 are typed errors', () => {
    const frame = vxlanFrame('ipv4', 1500);
    expect(() => fragmentIpv4(frame, { mtu: 67 })).toThrow(FragmentError);
    expect(() => fragmentIpv4(frame, { mtu: 67 })).toThrow(/MTU 67 is below the IPv4 minimum of 68/);
    expect(() => fragmentIpv4(frame, { mtu: 1500, fragmentSize: 100 })).toThrow(/fragment size 100 is not a positive multiple of 8/);
    expect(() => fragmentIpv4(frame, { mtu: 1500, fragmentSize: 1488 })).toThrow(/exceeds the MTU 1500/);
    // The minimum MTU works: 68 − 20 = 48 bytes per fragment, ceil(1530 / 48) = 32 fragments.
    const tiny = fragmentIpv4(frame, { mtu: 68 });
    expect(tiny).toHaveLength(32);
    expect(tiny.map((f) => ipv4Of(f).ip['frag'])).toEqual(Array.from({ length: 32 }, (_, i) => i * 6));
    // An explicit fragment size: 512-byte pieces, 1530 = 512 + 512 + 506.
    const sized = fragmentIpv4(frame, { mtu: 1500, fragmentSize: 512 }).map(ipv4Of);
    expect(sized.map((f) => f.ip['len'])).toEqual([532, 532, 526]);
  });

  it('options: all on the first fragment, only copied ones (type bit 0x80) on the others', () => {
    // Record Route (7, not copied, 7 bytes) + Router Alert (148 = 0x94, copied, 4 bytes) + EOL pad = 12.
    const options = '070704000000009404000000';
    const frame: Layer[] = [
      { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', id: 77, options },
      { layer: 'udp', sport: 1, dport: 9 },
      { layer: 'raw', hex: pattern(1000) },
    ];
    expect(Array.from(copiedIpv4Options(bytesOf(options)))).toEqual([0x94, 4, 0, 0]);
    const frags = fragmentIpv4(frame, { mtu: 576 }).map(ipv4Of);
    // first: header 32, 576 − 32 = 544 payload; later: header 24, 576 − 24 = 552 (both multiples of 8); 1008 = 544 + 464
    expect(frags.map((f) => f.ip['ihl'])).toEqual([8, 6]);
    expect(frags.map((f) => f.ip['len'])).toEqual([576, 24 + 464]);
    expect(frags[0]!.ip['options']).toBe(options);
    expect(frags[1]!.ip['options']).toBe('94040000');
    expect(frags.map((f) => f.ip['frag'])).toEqual([0, 68]);
    for (const f of frags) expect(internetChecksum(f.header, 0, f.header.length)).toBe(0);
  });

  it('a fragment of a fragment keeps its base offset and its MF', () => {
    const frame: Layer[] = [
      { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', id: 5, flags: 'MF', frag: 100, proto: 17 },
      { layer: 'raw', hex: pattern(200) },
    ];
    const frags = fragmentIpv4(frame, { mtu: 120 }).map(ipv4Of);
    // 120 − 20 = 100 → 96 per fragment: 96 + 96 + 8
    expect(frags.map((f) => f.ip['frag'])).toEqual([100, 112, 124]);
    expect(frags.map((f) => mf(f.ip))).toEqual([1, 1, 1]);
  });
});

describe('IPv6 fragmentation (RFC 8200 Fragment header)', () => {
  it('a 1570-byte VXLAN/IPv6 packet on a 1280 MTU: Fragment header nh 17, offsets 0 and 154, M 1 then 0', () => {
    const frame = vxlanFrame('ipv6', 1500);
    const whole = encodeFrame(frame);
    expect(whole.length - 14).toBe(1570);
    const frags = fragmentIpv6(frame, { mtu: 1280, identification: 0xdeadbeef });
    expect(frags).toHaveLength(2);
    const parts = frags.map((f) => {
      const bytes = encodeFrame(f);
      const ip = decodeFrame(bytes).layers[1]!;
      return { bytes, ip, fh: bytes.subarray(54, 62) };
    });
    // 1280 − 40 − 8 = 1232 (a multiple of 8) in the first; 1530 − 1232 = 298 in the second.
    expect(parts.map((p) => p.bytes.length - 14)).toEqual([1280, 40 + 8 + 298]);
    expect(parts.map((p) => p.ip['nh'])).toEqual([44, 44]);
    expect(Array.from(parts[0]!.fh)).toEqual([17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]);
    // offset 1232 / 8 = 154 → (154 << 3) | M0 = 0x04d0
    expect(Array.from(parts[1]!.fh)).toEqual([17, 0, 0x04, 0xd0, 0xde, 0xad, 0xbe, 0xef]);
    const joined = new Uint8Array([...parts[0]!.bytes.subarray(62), ...parts[1]!.bytes.subarray(62)]);
    expect(Array.from(joined)).toEqual(Array.from(whole.subarray(54)));
  });

  it('keeps Hop-by-Hop in the unfragmentable part and points its Next Header at the Fragment header', () => {
    // Hop-by-Hop (nh 59 = no next header, len 0, PadN of 4) then 2000 bytes of data.
    const frame: Layer[] = [
      { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2', nh: 0 },
      { layer: 'raw', hex: '3b00010400000000' + pattern(2000) },
    ];
    const frags = fragmentIpv6(frame, { mtu: 1280 }).map((f) => encodeFrame(f));
    // per fragment: 40 + 8 HbH + 8 Fragment = 56; 1280 − 56 = 1224 = 153 · 8; 2000 = 1224 + 776
    expect(frags.map((b) => b.length - 14)).toEqual([1280, 56 + 776]);
    for (const [i, b] of frags.entries()) {
      expect(b[14 + 6]).toBe(0); // IPv6 Next Header: still Hop-by-Hop
      expect(Array.from(b.subarray(54, 62))).toEqual([44, 0, 1, 4, 0, 0, 0, 0]); // HbH now → 44
      expect(b[62]).toBe(59); // Fragment header's Next Header: what followed HbH
      expect(((b[64]! << 8) | b[65]!) >> 3).toBe(i === 0 ? 0 : 153);
    }
  });

  it('MTU below 1280 and a fragment size not a multiple of 8 are typed errors', () => {
    const frame = vxlanFrame('ipv6', 1500);
    expect(() => fragmentIpv6(frame, { mtu: 1279 })).toThrow(/MTU 1279 is below the IPv6 minimum of 1280/);
    expect(() => fragmentIpv6(frame, { mtu: 1280, fragmentSize: 1001 })).toThrow(FragmentError);
    expect(fragmentIpv6(vxlanFrame('ipv6', 1200), { mtu: 1280 })).toHaveLength(1);
  });
});

describe.skipIf(!toolsAvailable('tshark'))('tshark reassembles the fragments', () => {
  it('(the "nothing malformed, no bad checksum" filter does catch both)', async () => {
    const bad: Layer[] = [
      { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', chksum: 0x1234 },
      { layer: 'udp', sport: 1, dport: 9 },
      { layer: 'raw', hex: '00' },
    ];
    const cut: Layer[] = [
      { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', proto: 17 },
      { layer: 'raw', hex: '0001000900ff0000' }, // UDP length 255 in an 8-byte datagram
    ];
    const file = await writeTempCapture('bad.pcapng', [{ layers: bad }, { layers: cut }]);
    expect(fields(file, '_ws.malformed || _ws.expert.severity >= error', 'frame.number').map((r) => r[0])).toEqual(['1', '2']);
  });

  it('IPv4: "Reassembled in", VXLAN and the inner packet dissected from the reassembled datagram, checksums good', async () => {
    const options = '070704000000009404000000';
    const withOptions: Layer[] = [
      { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
      { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', id: 78, options },
      { layer: 'udp', sport: 1, dport: 9 },
      { layer: 'raw', hex: pattern(1000) },
    ];
    const packets = [...fragmentIpv4(vxlanFrame('ipv4', 1500), { mtu: 1500 }), ...fragmentIpv4(withOptions, { mtu: 576 })].map((layers) => ({ layers }));
    const file = await writeTempCapture('frag4.pcapng', packets);
    const rows = fields(file, undefined, 'frame.number', 'ip.reassembled_in', 'frame.protocols', 'ip.checksum.status');
    expect(rows).toHaveLength(4);
    expect(rows[0]![1]).toBe('2');
    expect(rows[1]![2]).toMatch(/eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp:data/);
    expect(rows[2]![1]).toBe('4');
    expect(rows[3]![2]).toMatch(/ip:udp/);
    for (const r of rows) expect(r[3]!.split(',')[0]).toBe('1'); // outer IPv4 checksum status 1 = Good
    const inner = fields(file, 'frame.number == 2', 'ip.src', 'ip.len', 'udp.dstport', 'vxlan.vni', 'ip.frag_offset');
    expect(inner[0]![0]).toBe('192.0.2.1,10.0.0.1');
    expect(inner[0]![2]).toBe('4789,5678');
    expect(inner[0]![3]).toBe('77');
    expect(fields(file, '_ws.malformed || _ws.expert.severity >= error', 'frame.number')).toEqual([]);
  });

  it('IPv6: "Reassembled in" and VXLAN dissected from the reassembled packet', async () => {
    const packets = fragmentIpv6(vxlanFrame('ipv6', 1500), { mtu: 1280, identification: 7 }).map((layers) => ({ layers }));
    const file = await writeTempCapture('frag6.pcapng', packets);
    const rows = fields(file, undefined, 'ipv6.reassembled.in', 'ipv6.fraghdr.ident', 'frame.protocols');
    expect(rows).toHaveLength(2);
    expect(rows[0]![0]).toBe('2');
    expect(rows[0]![1]).toBe('0x00000007');
    expect(rows[1]![2]).toMatch(/ipv6:ipv6\.fraghdr:udp:vxlan:eth:ethertype:ip:udp:data/);
    expect(fields(file, 'frame.number == 2', 'udp.dstport', 'vxlan.vni', 'ip.dst')[0]).toEqual(['4789,5678', '77', '10.0.0.2']);
    expect(fields(file, '_ws.malformed || _ws.expert.severity >= error', 'frame.number')).toEqual([]);
  });
});
