/**
 * fast-check generators of layer lists with random NON-ZERO field values for every layer kind
 * (all-zero round trips hide swapped or mis-shifted fields), composed into frames the decoder
 * can follow. Shared by the property tests and the tshark cross-check.
 */
import fc from 'fast-check';
import { bytesToHex, formatIpv4, formatIpv6, formatMac, type Layer } from '../../src/net/index.js';

const nz = (bits: number) => fc.integer({ min: 1, max: 2 ** bits - 1 });
const bytesHex = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => bytesToHex(b));
const rawBase = bytesHex(1, 40).map((hex): Layer => ({ layer: 'raw', hex }));
export const raw = rawBase;
const words = (minWords: number, maxWords: number) => fc.integer({ min: minWords, max: maxWords }).chain((n) => bytesHex(4 * n, 4 * n));

/** Unicast-or-not MACs, all bytes random (never all zero). */
export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).filter((b) => b.some((x) => x !== 0)).map((b) => formatMac(b));
export const ipv4Addr = fc.integer({ min: 1, max: 0xffffffff }).map(formatIpv4);
/** RFC 5952 text of random addresses (the decoder's output form). */
export const ipv6Addr = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));

export const ether = fc.record({ layer: fc.constant('ether'), dst: mac, src: mac });
export const dot1q = fc.record({ layer: fc.constant('dot1q'), vid: nz(12), pcp: nz(3), dei: fc.constant(1) });
export const dot1ad = fc.record({ layer: fc.constant('dot1ad'), vid: nz(12), pcp: nz(3), dei: fc.constant(1) });
export const arp = fc.record({ layer: fc.constant('arp'), op: nz(16), hwsrc: mac, psrc: ipv4Addr, hwdst: mac, pdst: ipv4Addr });
/** IPv4 that is not a fragment (MF clear, offset 0) so the payload decodes; flags DF and/or the reserved bit. */
const ipv4Base = fc.record({
  layer: fc.constant('ipv4'),
  src: ipv4Addr,
  dst: ipv4Addr,
  ttl: nz(8),
  id: nz(16),
  tos: nz(8),
  flags: fc.constantFrom<number | string>('DF', 4, 6),
  options: words(1, 10),
});
export const ipv4 = ipv4Base;
export const ipv6 = fc.record({ layer: fc.constant('ipv6'), src: ipv6Addr, dst: ipv6Addr, hlim: nz(8), tc: nz(8), fl: nz(20) });
/** Ports that dispatch to nothing (not 4789/6081/6635), so the payload stays raw. */
const plainPort = nz(16).filter((p) => p !== 4789 && p !== 6081 && p !== 6635);
const udpBase = fc.record({ layer: fc.constant('udp'), sport: nz(16), dport: plainPort });
export const udp = udpBase;
const ERROR_TYPES = [3, 4, 5, 11, 12];
/** An ICMP message as layers: echo with data, an error quoting an IPv4/UDP packet, or another type with data. */
export const icmp: fc.Arbitrary<Layer[]> = fc.oneof(
  fc.tuple(fc.record({ layer: fc.constant('icmp'), type: fc.constantFrom(0, 8), code: nz(8), id: nz(16), seq: nz(16) }), fc.constant(null)),
  fc.tuple(fc.record({ layer: fc.constant('icmp'), type: fc.constant(3), code: fc.constant(4), mtu: nz(16) }), fc.constant('quote')),
  fc.tuple(
    fc.record({ layer: fc.constant('icmp'), type: fc.constantFrom(...ERROR_TYPES), code: nz(8).filter((c) => c !== 4), unused: fc.integer({ min: 1, max: 0xffffffff }) }),
    fc.constant('quote'),
  ),
  fc.tuple(fc.record({ layer: fc.constant('icmp'), type: nz(8).filter((t) => t !== 0 && t !== 8 && !ERROR_TYPES.includes(t)), code: nz(8), unused: fc.integer({ min: 1, max: 0xffffffff }) }), fc.constant(null)),
).chain(([header, quote]) =>
  quote
    ? fc.tuple(ipv4Base, udpBase, rawBase).map(([ip, u, r]) => [header, ip, u, r] as Layer[])
    : rawBase.map((r) => [header, r] as Layer[]),
);
export const vxlan = fc.record({ layer: fc.constant('vxlan'), vni: nz(24), flags: nz(8) });
export const gre = fc.record(
  {
    layer: fc.constant('gre'),
    chksum: fc.oneof(fc.constant<true | number>(true), nz(16)),
    key: fc.integer({ min: 1, max: 0xffffffff }),
    seq: fc.integer({ min: 1, max: 0xffffffff }),
  },
  { requiredKeys: ['layer'] },
);
export const mpls = fc.record({ layer: fc.constant('mpls'), label: nz(20), tc: nz(3), ttl: nz(8) });
const geneveOption = fc.record({ class: nz(16), type: nz(8), data: words(0, 4) });
export const geneve = fc.record({
  layer: fc.constant('geneve'),
  vni: nz(24),
  oam: fc.constant(true),
  critical: fc.constant(true),
  options: fc.array(geneveOption, { maxLength: 4 }),
});


type L = Layer;
const cat = (...parts: (L | L[])[]): L[] => parts.flat();

/** An IP packet carrying UDP with a raw payload, over IPv4 or IPv6. */
const ipUdp = fc.tuple(fc.oneof(ipv4, ipv6), udp, raw).map(([ip, u, r]) => [ip, u, r] as L[]);
/** What an Ethernet frame carries after its header. */
const l3: fc.Arbitrary<L[]> = fc.oneof(
  ipUdp,
  fc.tuple(ipv4, icmp).map(([ip, c]) => [ip, ...c]),
  arp.map((a) => [a]),
);

/** Whole frames, each exercising one or more layer kinds with random non-zero values. */
export const frame: fc.Arbitrary<L[]> = fc.oneof(
  fc.tuple(ether, l3).map(([e, rest]) => cat(e, rest)),
  fc.tuple(ether, dot1ad, dot1q, l3).map(([e, s, c, rest]) => cat(e, s, c, rest)),
  // VXLAN (the UDP destination port selects it).
  fc.tuple(ether, fc.oneof(ipv4, ipv6), nz(16), vxlan, ether, l3).map(([e, ip, sport, v, ie, rest]) =>
    cat(e, ip, { layer: 'udp', sport, dport: 4789 }, v, ie, rest),
  ),
  // Geneve carrying Ethernet or directly IP.
  fc.tuple(ether, fc.oneof(ipv4, ipv6), nz(16), geneve, fc.oneof(fc.tuple(ether, l3).map(([ie, r]) => cat(ie, r)), ipUdp)).map(
    ([e, ip, sport, g, rest]) => cat(e, ip, { layer: 'udp', sport, dport: 6081 }, g, rest),
  ),
  // GRE carrying IP, Ethernet or MPLS.
  fc.tuple(ether, fc.oneof(ipv4, ipv6), gre, fc.oneof(ipUdp, fc.tuple(ether, l3).map(([ie, r]) => cat(ie, r)), fc.tuple(fc.array(mpls, { minLength: 1, maxLength: 3 }), ipUdp).map(([m, r]) => cat(m, r)))).map(
    ([e, ip, g, rest]) => cat(e, ip, g, rest),
  ),
  // MPLS label stacks over Ethernet and in UDP.
  fc.tuple(ether, fc.array(mpls, { minLength: 1, maxLength: 4 }), ipUdp).map(([e, m, rest]) => cat(e, m, rest)),
  fc.tuple(ether, ipv4, nz(16), fc.array(mpls, { minLength: 1, maxLength: 2 }), ipUdp).map(([e, ip, sport, m, rest]) =>
    cat(e, ip, { layer: 'udp', sport, dport: 6635 }, m, rest),
  ),
  // IP-in-IP: 4in4, 6in4, 4in6, 6in6.
  fc.tuple(ether, fc.oneof(ipv4, ipv6), ipUdp).map(([e, ip, rest]) => cat(e, ip, rest)),
);
