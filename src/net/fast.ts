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
import { ByteWriter, writerFor } from '../bytes/view.js';
import type { Field } from './fields.js';

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
 * Write a whole VXLAN-over-IPv4 frame at offset `off` of a byte array (or of its long-lived
 * ByteWriter, see writerFor; pass the writer to skip the lookup) (see VxlanFrameParams);
 * returns the end offset. A buffer too small raises BufferTooSmallError. Every value is range-checked against its field (EncodeError naming the layer index,
 * kind and field as in vxlanFrameLayers), so nothing is silently cut to fit. (Addresses are passed on as int32 bit patterns: V8 passes those to the per-header
 * encoders without boxing, where a uint32 above 2^31 would be a heap number per call.)
 * Headers are written outermost first, lengths computed from the payload length, the
 * inner UDP checksum (over its pseudo-header) after the payload is in place, and the IPv4
 * header checksums from the header values.
 */
export function encodeVxlanFrame(into: ByteWriter | Uint8Array, off: number, p: VxlanFrameParams): number {
  checkParams(p);
  const buf = into instanceof ByteWriter ? into : writerFor(into);
  const payloadLength = p.payloadEnd - p.payloadStart;
  const innerUdpLen = UDP.length + payloadLength;
  const innerIpLen = IPV4.length + innerUdpLen;
  const outerUdpLen = UDP.length + VXLAN.length + ETHER.length + innerIpLen;
  const outerIpLen = IPV4.length + outerUdpLen;
  if (outerIpLen > IPV4.f.len.max) throw new EncodeError(1, 'ipv4', 'len', `${outerIpLen} bytes exceed ${IPV4.f.len.max}`);
  buf.room(off, ETHER.length + outerIpLen);
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

/** A value outside its field's range would be cut to fit silently: refuse it, naming the layer as vxlanFrameLayers numbers them. */
function outOfRange(value: number, f: Field, index: number, kind: string): never {
  throw new EncodeError(index, kind, f.name, `${value} is out of range 0..${f.max}`);
}

const ID_MAX = IPV4.f.id.max;
const TTL_MAX = IPV4.f.ttl.max;
const PORT_MAX = UDP.f.sport.max;
const VNI_MAX = VXLAN.f.vni.max;

/** Value checks written as integer compares (maxima from the layouts), so nothing is boxed on the hot path. */
function checkParams(p: VxlanFrameParams): void {
  if (p.outerSrcIp >>> 0 !== p.outerSrcIp) outOfRange(p.outerSrcIp, IPV4.f.src, 1, 'ipv4');
  if (p.outerDstIp >>> 0 !== p.outerDstIp) outOfRange(p.outerDstIp, IPV4.f.dst, 1, 'ipv4');
  if ((p.outerId & ID_MAX) !== p.outerId) outOfRange(p.outerId, IPV4.f.id, 1, 'ipv4');
  if ((p.outerTtl & TTL_MAX) !== p.outerTtl) outOfRange(p.outerTtl, IPV4.f.ttl, 1, 'ipv4');
  if ((p.sport & PORT_MAX) !== p.sport) outOfRange(p.sport, UDP.f.sport, 2, 'udp');
  if ((p.vni & VNI_MAX) !== p.vni) outOfRange(p.vni, VXLAN.f.vni, 3, 'vxlan');
  if (p.innerSrcIp >>> 0 !== p.innerSrcIp) outOfRange(p.innerSrcIp, IPV4.f.src, 5, 'ipv4');
  if (p.innerDstIp >>> 0 !== p.innerDstIp) outOfRange(p.innerDstIp, IPV4.f.dst, 5, 'ipv4');
  if ((p.innerId & ID_MAX) !== p.innerId) outOfRange(p.innerId, IPV4.f.id, 5, 'ipv4');
  if ((p.innerTtl & TTL_MAX) !== p.innerTtl) outOfRange(p.innerTtl, IPV4.f.ttl, 5, 'ipv4');
  if ((p.innerSport & PORT_MAX) !== p.innerSport) outOfRange(p.innerSport, UDP.f.sport, 6, 'udp');
  if ((p.innerDport & PORT_MAX) !== p.innerDport) outOfRange(p.innerDport, UDP.f.dport, 6, 'udp');
  if (p.outerDstMac.length !== 6 || p.outerSrcMac.length !== 6) throw new EncodeError(0, 'ether', 'dst', 'MACs are 6-byte arrays');
  if (p.innerDstMac.length !== 6 || p.innerSrcMac.length !== 6) throw new EncodeError(4, 'ether', 'dst', 'MACs are 6-byte arrays');
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
