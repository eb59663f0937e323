/**
 * The fast path for the most common tunnel frame: Ethernet / IPv4 / UDP / VXLAN / Ethernet /
 * IPv4 / UDP / payload, written straight into a caller's buffer by the per-header encoders
 * (encodeEther, encodeIpv4, encodeUdp, encodeVxlan), whose byte offsets come from the same
 * layout tables as encodeFrame. Every length and checksum is computed on every call; nothing
 * is allocated. The result is byte-identical to encodeFrame of the equivalent layers
 * (vxlanFrameLayers), which the tests check.
 */
import { EncodeError } from '../errors.js';
import { formatIpv4, formatMac } from '../bytes/addr.js';
import { bytesToHex } from '../bytes/hex.js';
import { encodeEther, ETHER } from './ether.js';
import { encodeIpv4, IPV4, IPV4_DF, IPV4_FLAGS_SHIFT } from './ipv4.js';
import { encodeUdp, UDP, udpChecksumIpv4, udpChecksumIpv4Of } from './udp.js';
import { copyWithSum } from '../bytes/checksum.js';
import { encodeVxlan, VXLAN, VXLAN_FLAG_I } from './vxlan.js';
import { ETHERTYPE_OF, IPPROTO_OF, UDP_PORT_VXLAN } from './protocols.js';
import type { Layer } from './types.js';

/** What varies in a VXLAN-over-IPv4 frame. Addresses are unsigned 32-bit numbers, MACs 6-byte arrays. */
export interface VxlanFrameParams {
  outerDstMac: Uint8Array;
  outerSrcMac: Uint8Array;
  outerSrcIp: number;
  outerDstIp: number;
  outerId: number;
  outerTtl: number;
  /** Set the outer IPv4 DF bit (tunnels usually do). */
  outerDf: boolean;
  /** Outer UDP source port (a flow hash); the destination port is 4789. */
  sport: number;
  /** Compute the outer UDP checksum (false: send 0, as RFC 7348 recommends over IPv4). */
  outerUdpChecksum: boolean;
  vni: number;
  innerDstMac: Uint8Array;
  innerSrcMac: Uint8Array;
  innerSrcIp: number;
  innerDstIp: number;
  innerId: number;
  innerTtl: number;
  innerSport: number;
  innerDport: number;
  /** The inner UDP payload: payload[payloadStart, payloadEnd). */
  payload: Uint8Array;
  payloadStart: number;
  payloadEnd: number;
}

const T_IPV4 = ETHERTYPE_OF.ipv4!;
const P_UDP = IPPROTO_OF.udp!;
/** Outer headers before the inner Ethernet frame: 50 bytes. */
export const VXLAN_IPV4_OVERHEAD = ETHER.length + IPV4.length + UDP.length + VXLAN.length;
const INNER_HEADERS = ETHER.length + IPV4.length + UDP.length;

/** Bytes encodeVxlanFrame writes for a payload of `payloadLength` bytes. */
export function vxlanFrameLength(payloadLength: number): number {
  return VXLAN_IPV4_OVERHEAD + INNER_HEADERS + payloadLength;
}

/**
 * Write a whole VXLAN-over-IPv4 frame at buf[off] (see VxlanFrameParams); returns the end
 * offset. (Addresses are passed on as int32 bit patterns: V8 passes those to the per-header
 * encoders without boxing, where a uint32 above 2^31 would be a heap number per call.)
 * Headers are written outermost first, lengths computed from the payload length, the
 * inner UDP checksum (over its pseudo-header) after the payload is in place, and the IPv4
 * header checksums from the header values.
 */
export function encodeVxlanFrame(buf: Uint8Array, off: number, p: VxlanFrameParams): number {
  const payloadLength = p.payloadEnd - p.payloadStart;
  const innerUdpLen = UDP.length + payloadLength;
  const innerIpLen = IPV4.length + innerUdpLen;
  const outerUdpLen = UDP.length + VXLAN.length + ETHER.length + innerIpLen;
  const outerIpLen = IPV4.length + outerUdpLen;
  if (outerIpLen > 0xffff) throw new EncodeError(1, 'ipv4', 'len', `${outerIpLen} bytes exceed 65535`);
  if (off < 0 || off + ETHER.length + outerIpLen > buf.length) {
    throw new EncodeError(0, 'ether', '', `the ${ETHER.length + outerIpLen}-byte frame does not fit the buffer at offset ${off}`);
  }
  let o = encodeEther(buf, off, p.outerDstMac, p.outerSrcMac, T_IPV4);
  o = encodeIpv4(buf, o, 0, outerIpLen, p.outerId, p.outerDf ? IPV4_DF << IPV4_FLAGS_SHIFT : 0, p.outerTtl, P_UDP, p.outerSrcIp | 0, p.outerDstIp | 0);
  const outerUdp = o;
  o = encodeUdp(buf, o, p.sport, UDP_PORT_VXLAN, outerUdpLen, 0);
  o = encodeVxlan(buf, o, p.vni, VXLAN_FLAG_I);
  o = encodeEther(buf, o, p.innerDstMac, p.innerSrcMac, T_IPV4);
  o = encodeIpv4(buf, o, 0, innerIpLen, p.innerId, 0, p.innerTtl, P_UDP, p.innerSrcIp | 0, p.innerDstIp | 0);
  // The payload is summed while it is copied; the inner UDP checksum then needs only the values.
  const payloadSum = copyWithSum(buf, o + UDP.length, p.payload, p.payloadStart, p.payloadEnd);
  const innerSum = udpChecksumIpv4Of(p.innerSrcIp | 0, p.innerDstIp | 0, p.innerSport, p.innerDport, innerUdpLen, payloadSum);
  o = encodeUdp(buf, o, p.innerSport, p.innerDport, innerUdpLen, innerSum) + payloadLength;
  if (p.outerUdpChecksum) udpChecksumIpv4(buf, outerUdp, outerUdpLen, p.outerSrcIp | 0, p.outerDstIp | 0);
  return o;
}

/** The same frame as a layer list for encodeFrame (what the fast path must equal byte for byte). */
export function vxlanFrameLayers(p: VxlanFrameParams): Layer[] {
  return [
    { layer: 'ether', dst: formatMac(p.outerDstMac), src: formatMac(p.outerSrcMac) },
    { layer: 'ipv4', src: formatIpv4(p.outerSrcIp), dst: formatIpv4(p.outerDstIp), id: p.outerId, ttl: p.outerTtl, flags: p.outerDf ? 'DF' : 0 },
    p.outerUdpChecksum ? { layer: 'udp', sport: p.sport, dport: UDP_PORT_VXLAN } : { layer: 'udp', sport: p.sport, dport: UDP_PORT_VXLAN, chksum: 0 },
    { layer: 'vxlan', vni: p.vni },
    { layer: 'ether', dst: formatMac(p.innerDstMac), src: formatMac(p.innerSrcMac) },
    { layer: 'ipv4', src: formatIpv4(p.innerSrcIp), dst: formatIpv4(p.innerDstIp), id: p.innerId, ttl: p.innerTtl },
    { layer: 'udp', sport: p.innerSport, dport: p.innerDport },
    { layer: 'raw', hex: bytesToHex(p.payload, p.payloadStart, p.payloadEnd) },
  ];
}
