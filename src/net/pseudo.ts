/**
 * The pseudo-header of upper-layer checksums (UDP, TCP, ICMPv6; RFC 768, RFC 9293, RFC 8200 §8.1):
 * the nearest ipv4/ipv6 layer before the upper layer, looking through the layers between that
 * are part of the IP packet's header chain (IPv6 extension headers, ESP in transport mode: their
 * codecs say `ipExtension`). After a routing header with segments left, the destination is the
 * final one, which the routing header's prepare() puts in `finalDst`.
 */
import { onesSum } from '../bytes/checksum.js';
import { IPV4 } from './ipv4.js';
import { IPV6 } from './ipv6.js';
import type { Prepared } from './types.js';

/** The IP layer whose pseudo-header covers list[i], or undefined. */
export function pseudoHeaderLayer(list: readonly Prepared[], i: number): Prepared | undefined {
  for (let j = i - 1; j >= 0; j--) {
    const p = list[j]!;
    const kind = p.codec.kind;
    if (kind === 'ipv4' || kind === 'ipv6') return p;
    if (!p.codec.ipExtension) return undefined;
  }
  return undefined;
}

/** Partial sum of the IPv4 pseudo-header: addresses (32-bit numbers), protocol, upper-layer length. */
export function ipv4PseudoSum(src: number, dst: number, proto: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + length;
}

/** Partial sum of the IPv6 pseudo-header: addresses (16-byte arrays), upper-layer length (32 bits), next header. */
export function ipv6PseudoSum(src: Uint8Array, dst: Uint8Array, proto: number, length: number): number {
  return onesSum(dst, 0, 16, onesSum(src, 0, 16)) + Math.floor(length / 0x10000) + (length & 0xffff) + proto;
}

/** Partial sum of the pseudo-header for list[i] (an upper layer of `length` bytes, protocol `proto`); `ip` from pseudoHeaderLayer. */
export function pseudoHeaderSum(list: readonly Prepared[], i: number, ip: Prepared, proto: number, length: number): number {
  if (ip.codec.kind === 'ipv4') return ipv4PseudoSum(ip.v.nums[IPV4.f.src.index]!, ip.v.nums[IPV4.f.dst.index]!, proto, length);
  let dst = ip.v.addrs[IPV6.f.dst.index]!;
  for (let j = i - 1; list[j] !== ip; j--) {
    const f = list[j]!.finalDst;
    if (f) dst = f;
  }
  return ipv6PseudoSum(ip.v.addrs[IPV6.f.src.index]!, dst, proto, length);
}
