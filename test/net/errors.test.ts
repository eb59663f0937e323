/** Encoder errors name layer index, kind and field; decoder damage is reported, never thrown. */
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../src/errors.js';
import { bytesToHex, decodeFrame, encodeFrame, encodedLength, encodeFrameInto, hexToBytes, type Layer } from '../../src/net/index.js';

const E: Layer = { layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' };
const IP: Layer = { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' };
const U: Layer = { layer: 'udp', sport: 1, dport: 2 };
const R: Layer = { layer: 'raw', hex: '00' };

function encodeError(layers: unknown[]): EncodeError {
  try {
    encodeFrame(layers as Layer[]);
  } catch (e) {
    expect(e).toBeInstanceOf(EncodeError);
    return e as EncodeError;
  }
  throw new Error('no error raised');
}

describe('encoder errors', () => {
  it.each<[string, unknown[], string]>([
    ['vid out of range', [E, { layer: 'ipv4', src: '1.1.1.1', dst: '1.1.1.2' }, { layer: 'dot1q', vid: 4096 }, IP, U, R], 'layer 2 (dot1q): vid 4096 is out of range 0..4095'],
    ['unknown kind', [E, { layer: 'ipv5' }], "layer 1 (ipv5): layer 'ipv5' is not a known kind (known: arp, ayiya, dot1ad, dot1q, erspan, esp, ether, geneve, gre, gtpu, icmp, icmpv6, ipv4, ipv6, ipv6dest, ipv6frag, ipv6hbh, ipv6rh, loopback, mpls, nsh, pim, ppp, pppoe, pppoed, rarp, sll, sll2, tcp, teredo, udp, vxlan, vxlangpe, raw)"],
    ['missing required field', [E, { layer: 'ipv4', src: '1.2.3.4' }, U, R], 'layer 1 (ipv4): dst is missing'],
    ['pppoed without a code', [E, { layer: 'pppoed', tags: '01010000' }], 'layer 1 (pppoed): code is missing'],
    ['pppoed tags not hex', [E, { layer: 'pppoed', code: 9, tags: '0101x' }], 'layer 1 (pppoed): tags is not an even number of hex digits'],
    ['malformed MAC', [{ layer: 'ether', dst: '02:00:00:00:00', src: '02:00:00:00:00:02' }, IP, U, R], "layer 0 (ether): dst '02:00:00:00:00' is not a MAC address"],
    ['malformed IPv4', [E, { layer: 'ipv4', src: '192.0.2.256', dst: '1.1.1.1' }, U, R], "layer 1 (ipv4): src '192.0.2.256' is not an IPv4 address"],
    ['malformed IPv6', [E, { layer: 'ipv6', src: '2001:db8::1::2', dst: '::1' }, U, R], "layer 1 (ipv6): src '2001:db8::1::2' is not an IPv6 address"],
    ['not an integer', [E, IP, { layer: 'udp', sport: 1.5, dport: 2 }, R], 'layer 2 (udp): sport 1.5 is not an integer'],
    ['string for a number', [E, IP, { layer: 'udp', sport: '80', dport: 2 }, R], "layer 2 (udp): sport '80' is not an integer"],
    ['negative', [E, { ...IP, ttl: -1 }, U, R], 'layer 1 (ipv4): ttl -1 is out of range 0..255'],
    ['vni too big', [E, IP, { layer: 'udp', sport: 1, dport: 4789 }, { layer: 'vxlan', vni: 2 ** 24 }, E, IP, U, R], 'layer 3 (vxlan): vni 16777216 is out of range 0..16777215'],
    ['mpls label', [E, { layer: 'mpls', label: 2 ** 20 }, IP, U, R], 'layer 1 (mpls): label 1048576 is out of range 0..1048575'],
    ['unknown field (typo)', [E, { layer: 'dot1q', vlan: 5 }, IP, U, R], 'layer 1 (dot1q): vlan is not a field of this layer (fields: pcp, dei, vid, type)'],
    ['bad flags text', [E, { ...IP, flags: 'XF' }, U, R], 'layer 1 (ipv4): flags \'XF\' is not one of 0..7, "DF", "MF", "DF+MF"'],
    ['odd hex', [E, IP, U, { layer: 'raw', hex: 'abc' }], 'layer 3 (raw): hex is not an even number of hex digits'],
    ['options too long', [E, { ...IP, options: '00'.repeat(44) }, U, R], 'layer 1 (ipv4): options 44 bytes exceed the 40 an IPv4 header holds'],
    ['auto type before raw', [E, R], "layer 0 (ether): type cannot be derived (a 'raw' layer follows); give it explicitly"],
    ['auto proto with no next layer', [E, IP], 'layer 1 (ipv4): proto cannot be derived (no layer follows); give it explicitly'],
    ['auto gre proto before raw', [E, IP, { layer: 'gre' }, R], "layer 2 (gre): proto cannot be derived (a 'raw' layer follows); give it explicitly"],
    ['auto geneve proto with nothing after', [E, IP, { layer: 'udp', sport: 1, dport: 6081 }, { layer: 'geneve', vni: 1 }], 'layer 3 (geneve): proto cannot be derived (no layer follows); give it explicitly'],
    ['ether type for an ether', [E, E, IP, U, R], "layer 0 (ether): type cannot be derived (a 'ether' layer follows); give it explicitly"],
    ['udp checksum with no IP before', [E, { layer: 'mpls', label: 1 }, U, R], 'layer 2 (udp): chksum is auto but no ipv4/ipv6 layer comes right before udp for the pseudo-header; give it explicitly'],
    ['icmp echo id missing', [E, IP, { layer: 'icmp', type: 8, seq: 1 }], 'layer 2 (icmp): id is missing'],
    ['icmpv6 mtu on an echo', [E, { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' }, { layer: 'icmpv6', type: 128, id: 1, seq: 1, mtu: 1280 }], 'layer 2 (icmpv6): mtu is not a field of ICMPv6 type 128 (fields: type, code, chksum, id, seq)'],
    ['icmpv6 misspelt field', [E, { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' }, { layer: 'icmpv6', type: 128, idd: 1 }], 'layer 2 (icmpv6): idd is not a field of this layer (fields: type, code, chksum, id, seq, mtu, pointer, unused, flags, reserved, target, options, data)'],
    ['icmp mtu on an echo', [E, IP, { layer: 'icmp', type: 8, id: 1, seq: 1, mtu: 1400 }], 'layer 2 (icmp): mtu is not a field of ICMP type 8 code 0 (fields: type, code, chksum, id, seq)'],
    ['geneve option data not words', [E, IP, { layer: 'udp', sport: 1, dport: 6081 }, { layer: 'geneve', vni: 1, options: [{ class: 1, type: 1, data: 'aabbcc' }] }, E, IP, U, R], 'layer 3 (geneve): options[0].data 3 bytes is not a multiple of 4 up to 124'],
    ['geneve option class range', [E, IP, { layer: 'udp', sport: 1, dport: 6081 }, { layer: 'geneve', vni: 1, options: [{ class: 70000, type: 1, data: '' }] }, E, IP, U, R], 'layer 3 (geneve): options[0].class 70000 is out of range 0..65535'],
    ['gre reserved1 without checksum', [E, IP, { layer: 'gre', reserved1: 1 }, IP, U, R], 'layer 2 (gre): reserved1 is only present with chksum'],
    ['gre key range', [E, IP, { layer: 'gre', key: 2 ** 32 }, IP, U, R], 'layer 2 (gre): key 4294967296 is out of range 0..4294967295'],
    ['not an object', [E, 5], 'layer 1 (number): layer is not an object with a "layer" kind'],
  ])('%s', (_name, layers, message) => {
    const e = encodeError(layers);
    expect(e.message).toBe(message);
  });

  it('carries index, kind and field as properties', () => {
    const e = encodeError([E, IP, U, R].map((l, i) => (i === 2 ? { ...l, dport: 65536 } : l)));
    expect([e.index, e.kind, e.field]).toEqual([2, 'udp', 'dport']);
    expect(e.reason).toBe('65536 is out of range 0..65535');
  });

  it('encodeFrameInto refuses a buffer that is too small, writing nothing', () => {
    const buf = new Uint8Array(20);
    expect(() => encodeFrameInto([E, IP, U, R], buf, 0)).toThrow('needs 43 bytes, the buffer has 20 from the offset');
    expect(buf.every((b) => b === 0)).toBe(true);
  });

  it('encodedLength measures slices of a frame whose auto next-protocol has no neighbour', () => {
    expect(encodedLength([E, IP])).toBe(34);
    expect(encodedLength([{ layer: 'gre', key: 1, seq: 2, chksum: true }])).toBe(16);
  });
});

describe('explicit values are written as given, even wrong ones', () => {
  it('writes a wrong IPv4 checksum, length, ihl and version; the decoder gives them back', () => {
    const layers: Layer[] = [E, { ...IP, chksum: 0x1234, len: 999, ihl: 7, version: 5, proto: 200 }, R];
    const bytes = encodeFrame(layers);
    // version 5 / ihl 7, tos 0, len 999, id 1, flags/frag 0, ttl 64, proto 200, checksum 0x1234
    expect(bytesToHex(bytes.subarray(14, 26))).toBe('570003e70001000040c81234');
    const d = decodeFrame(bytes);
    expect(d.error).toBeInstanceOf(DecodeError); // version 5 is not IPv4
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

  it('writes a wrong UDP length and checksum; the rebuild is identical', () => {
    const bytes = encodeFrame([E, IP, { ...U, len: 4, chksum: 0xbeef }, R]);
    expect(bytesToHex(bytes.subarray(34, 42))).toBe('000100020004beef');
    const d = decodeFrame(bytes);
    expect(d.error?.message).toBe('udp at byte 34: length 4 is below the 8-byte header');
    expect(d.layers.at(-1)).toEqual({ layer: 'raw', hex: '000100020004beef00' });
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

  it('a geneve optlen that disagrees with the options is kept', () => {
    const layers: Layer[] = [E, IP, { layer: 'udp', sport: 1, dport: 6081 }, { layer: 'geneve', vni: 7, optlen: 1, proto: 0x6558, options: [{ class: 1, type: 2, data: '01020304' }] }, R];
    const bytes = encodeFrame(layers);
    expect(bytes[42]! & 0x3f).toBe(1);
    const d = decodeFrame(bytes);
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });
});

describe('decoder damage reports', () => {
  it('an empty frame is short of an Ethernet header like a 1–13-byte one', () => {
    const d = decodeFrame(new Uint8Array(0));
    expect(d.layers).toEqual([]);
    expect(d.error?.message).toBe('ether at byte 0: needs 14 bytes, 0 left');
  });

  it('a short Ethernet header becomes raw with the error', () => {
    const d = decodeFrame(hexToBytes('0200000000010200')!);
    expect(d.error?.message).toBe('ether at byte 0: needs 14 bytes, 8 left');
    expect(d.error).toMatchObject({ layer: 'ether', offset: 0 });
    expect(d.layers).toEqual([{ layer: 'raw', hex: '0200000000010200' }]);
  });

  it('an IPv4 total length beyond the bytes is reported, and the packet still decodes', () => {
    const bytes = encodeFrame([E, { ...IP, len: 200 }, U, R]);
    const d = decodeFrame(bytes);
    expect(d.error?.message).toBe('ipv4 at byte 14: total length claims 200 bytes, only 29 present');
    expect(d.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'udp', 'raw']);
  });

  it('Ethernet padding after the IP packet is a trailing raw layer, with no error', () => {
    const bytes = new Uint8Array(60);
    bytes.set(encodeFrame([E, IP, U, R]));
    const d = decodeFrame(bytes);
    expect(d.error).toBeUndefined();
    expect(d.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'udp', 'raw', 'raw']);
    expect(d.layers[3]).toEqual({ layer: 'raw', hex: '00' });
    expect(d.layers[4]).toEqual({ layer: 'raw', hex: '00'.repeat(60 - 43) });
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

  it('a GRE header with the routing bit is damage from the GRE header on', () => {
    const bytes = encodeFrame([E, { ...IP, proto: 47 }, { layer: 'raw', hex: '40000800' }]);
    const d = decodeFrame(bytes);
    expect(d.error?.message).toBe('gre at byte 34: routing present bit set (RFC 1701 source routing is not decoded)');
    expect(d.layers.at(-1)).toEqual({ layer: 'raw', hex: '40000800' });
  });

  it('a geneve option overrunning its area is damage', () => {
    // optlen 1 word, but the option says 1 data word more.
    const bytes = encodeFrame([E, IP, { layer: 'udp', sport: 1, dport: 6081 }, { layer: 'raw', hex: '0100655800000100' + '00010001' }]);
    const d = decodeFrame(bytes);
    expect(d.error).toMatchObject({ layer: 'geneve', offset: 50 });
  });

  it('an IPv4 first fragment is decoded into its upper-layer header (as tshark without reassembly), later ones stay raw', () => {
    // The UDP length counts the whole datagram, more than the fragment holds: expected, no error.
    const first = decodeFrame(encodeFrame([E, { ...IP, flags: 'MF' }, { ...U, len: 1480 }, R]));
    expect(first.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'udp', 'raw']);
    expect(first.error).toBeUndefined();
    const later = decodeFrame(encodeFrame([E, { ...IP, flags: 'MF', frag: 185, proto: 17 }, R]));
    expect(later.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'raw']);
    expect(later.layers[1]).toMatchObject({ flags: 'MF', proto: 17, frag: 185 });
  });

  it('IPv4 total length 0 and IPv6 payload length 0 (TSO/GSO captures) are the rest of the frame, with the same note', () => {
    const v4 = decodeFrame(encodeFrame([E, { ...IP, len: 0 }, U, R]));
    expect(v4.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'udp', 'raw']);
    expect(v4.error).toBeUndefined();
    expect(v4.note).toBe('ipv4 at 14: total length 0, taken as the rest of the frame (TSO/GSO capture)');
    const v6 = decodeFrame(encodeFrame([E, { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2', plen: 0 }, U, R]));
    expect(v6.layers.map((l) => l.layer)).toEqual(['ether', 'ipv6', 'udp', 'raw']);
    expect(v6.error).toBeUndefined();
    expect(v6.note).toBe('ipv6 at 14: payload length 0, taken as the rest of the frame (TSO/GSO capture)');
  });
});

describe('ICMP errors quote the packet that caused them', () => {
  it('a frag-needed message quoting an IPv4 header and 8 bytes of a 1500-byte packet decodes without error', () => {
    const quoted: Layer[] = [{ ...IP, flags: 'DF', len: 1500, chksum: 0x1111 }, { layer: 'udp', sport: 4000, dport: 4789, len: 1480, chksum: 0x2222 }];
    const layers: Layer[] = [E, IP, { layer: 'icmp', type: 3, code: 4, mtu: 1400 }, ...quoted];
    const bytes = encodeFrame(layers);
    const d = decodeFrame(bytes);
    expect(d.error).toBeUndefined();
    expect(d.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'icmp', 'ipv4', 'udp']);
    expect(d.layers[2]).toMatchObject({ type: 3, code: 4, mtu: 1400 });
    expect(d.layers[3]).toMatchObject({ len: 1500, flags: 'DF' });
    expect(d.layers[4]).toMatchObject({ sport: 4000, len: 1480 });
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

  it('a quote cut inside a header ends as raw, not as damage', () => {
    const bytes = encodeFrame([E, IP, { layer: 'icmp', type: 11, code: 0 }, { layer: 'raw', hex: '4500001c0001' }]);
    const d = decodeFrame(bytes);
    expect(d.error).toBeUndefined();
    expect(d.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'icmp', 'raw']);
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

  it('echo data is not taken for a quote', () => {
    const d = decodeFrame(encodeFrame([E, IP, { layer: 'icmp', type: 8, id: 1, seq: 2 }, { layer: 'raw', hex: '4500001c00010000' + '00'.repeat(20) }]));
    expect(d.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'icmp', 'raw']);
  });
});

describe('names from the user find nothing inherited', () => {
  it.each(['constructor', '__proto__', 'toString'])('ipv4 flags %j is refused with the list of names', (name) => {
    expect(() => encodeFrame([E, { layer: 'ipv4', src: '1.1.1.1', dst: '1.1.1.2', flags: name } as unknown as Layer])).toThrow(
      `layer 1 (ipv4): flags '${name}' is not one of 0..7, "DF", "MF", "DF+MF"`,
    );
  });
});
