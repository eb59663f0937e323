/**
 * The fast path for the most common tunnel frame: Ethernet / IPv4 / UDP / VXLAN / Ethernet /
 * IPv4 / UDP / payload, written straight into a caller's buffer as big-endian 32-bit words
 * whose byte offsets and field shifts come from the same layout tables as encodeFrame (and the
 * per-header encoders encodeEther, encodeIpv4, …). Every length and checksum is computed on
 * every call; nothing is allocated. The result is byte-identical to encodeFrame of the equivalent layers
 * (vxlanFrameLayers), which the tests check.
 */
import { EncodeError } from '../errors.js';
import { formatIpv4, formatMac } from '../bytes/addr.js';
import { bytesToHex } from '../bytes/hex.js';
import { ETHER, ETHER_WORDS } from './ether.js';
import { IPV4, IPV4_DF, IPV4_WORD0, IPV4_WORDS, ipv4WordsChecksum } from './ipv4.js';
import { UDP, UDP_WORDS, udpChecksumIpv4 } from './udp.js';
import { ipv4PseudoSum } from './pseudo.js';
import { foldSum, halves, onesSumOf } from '../bytes/checksum.js';
import { UDP_PORT_VXLAN, VXLAN, VXLAN_FLAG_I, VXLAN_WORDS } from './vxlan.js';
import { ETHERTYPE_OF, IPPROTO_OF } from './registry.js';
import type { Layer } from './types.js';
import { BufferTooSmallError, ByteWriter, writerFor } from '../bytes/view.js';
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

// Where each header of the frame starts, from the layouts.
const UDP_LENGTH = UDP.length;
const IPV4_LENGTH = IPV4.length;
const LEN_MAX = IPV4.f.len.max;
const AT_OUTER_IP = ETHER.length;
const AT_OUTER_UDP = AT_OUTER_IP + IPV4.length;
const AT_VXLAN = AT_OUTER_UDP + UDP.length;
const AT_INNER_ETHER = AT_VXLAN + VXLAN.length;
const AT_INNER_IP = AT_INNER_ETHER + ETHER.length;
const AT_INNER_UDP = AT_INNER_IP + IPV4.length;
const AT_PAYLOAD = AT_INNER_UDP + UDP.length;

// The fused writer stores whole big-endian 32-bit words; every field's place in its word comes
// from the layout (the ETHER_WORDS, IPV4_WORDS, UDP_WORDS and VXLAN_WORDS tables of each header's module).
const AT_MACS = ETHER_WORDS.atMacs; // dst then src: 12 bytes as three words
const AT_ETYPE = ETHER_WORDS.atType;
const W = IPV4_WORDS;
const IP_W0 = W.at0;
const IP_LEN = W.len;
const IP_W1 = W.at1;
const IP_ID = W.id;
const IP_FLAGS = W.flags;
const IP_FRAG = W.frag;
const IP_W2 = W.at2;
const IP_TTL = W.ttl;
const IP_PROTO = W.proto;
const IP_CHKSUM = W.chksum;
const IP_SRC = W.atSrc;
const IP_DST = W.atDst;
const IP_WORD0 = IPV4_WORD0; // TOS 0; length added per frame
const IP_WORD2 = P_UDP << IP_PROTO; // ttl added per frame
const UDP_W0 = UDP_WORDS.at0;
const UDP_SPORT = UDP_WORDS.sport;
const UDP_DPORT = UDP_WORDS.dport;
const UDP_W1 = UDP_WORDS.at1;
const UDP_LEN = UDP_WORDS.len;
const UDP_CHKSUM = UDP_WORDS.chksum;
const VX_W0 = VXLAN_WORDS.at0; // flags, reserved1 (zero)
const VX_W1 = VXLAN_WORDS.at1; // vni, reserved2 (zero)
const VX_VNI = VXLAN_WORDS.vni;
const VX_WORD0 = VXLAN_FLAG_I << VXLAN_WORDS.flags;


/**
 * Write a whole VXLAN-over-IPv4 frame at offset `off` of a byte array (or of its long-lived
 * ByteWriter, see writerFor; pass the writer to skip the lookup) (see VxlanFrameParams);
 * returns the end offset. Every byte of the frame is written on every call. A buffer too small
 * raises BufferTooSmallError. Every value is range-checked against its field (EncodeError
 * naming the layer index, kind and field as in vxlanFrameLayers), so nothing is silently cut
 * to fit.
 *
 * One function writes the frame as big-endian 32-bit words through the buffer's DataView (a
 * chain of the per-header encoders outgrows what V8 inlines, and the calls cost more than the
 * stores): the lengths come from the payload length, both IPv4 header checksums from the header
 * values, and the inner UDP checksum from its pseudo-header, header and the sum of the payload
 * bytes as copied into this frame (four 32-bit loads a step). The result is byte-identical to encodeFrame of
 * vxlanFrameLayers(p) (tests check it).
 */
export function encodeVxlanFrame(into: ByteWriter | Uint8Array, off: number, p: VxlanFrameParams): number {
  // Every value is read once; one combined range test, and checkParams names the culprit.
  const outerSrcIp = p.outerSrcIp;
  const outerDstIp = p.outerDstIp;
  const outerId = p.outerId;
  const outerTtl = p.outerTtl;
  const sport = p.sport;
  const vni = p.vni;
  const innerSrcIp = p.innerSrcIp;
  const innerDstIp = p.innerDstIp;
  const innerId = p.innerId;
  const innerTtl = p.innerTtl;
  const innerSport = p.innerSport;
  const innerDport = p.innerDport;
  const m0 = p.outerDstMac;
  const n0 = p.outerSrcMac;
  const m1 = p.innerDstMac;
  const n1 = p.innerSrcMac;
  const outerDf = p.outerDf;
  const outerUdpChecksum = p.outerUdpChecksum;
  if (
    outerSrcIp >>> 0 !== outerSrcIp ||
    outerDstIp >>> 0 !== outerDstIp ||
    (outerId & ID_MAX) !== outerId ||
    (outerTtl & TTL_MAX) !== outerTtl ||
    (sport & PORT_MAX) !== sport ||
    (vni & VNI_MAX) !== vni ||
    innerSrcIp >>> 0 !== innerSrcIp ||
    innerDstIp >>> 0 !== innerDstIp ||
    (innerId & ID_MAX) !== innerId ||
    (innerTtl & TTL_MAX) !== innerTtl ||
    (innerSport & PORT_MAX) !== innerSport ||
    (innerDport & PORT_MAX) !== innerDport ||
    m0.length !== 6 ||
    n0.length !== 6 ||
    m1.length !== 6 ||
    n1.length !== 6
  ) {
    checkParams(p);
  }
  const buf = into instanceof ByteWriter ? into : writerFor(into);
  const payload = p.payload;
  const start = p.payloadStart;
  const payloadLength = p.payloadEnd - start;
  if (!(start >= 0 && payloadLength >= 0 && p.payloadEnd <= payload.length)) throw new BufferTooSmallError(payloadLength, payload.length - start);
  const innerUdpLen = UDP_LENGTH + payloadLength;
  const innerIpLen = IPV4_LENGTH + innerUdpLen;
  const outerUdpLen = AT_INNER_IP - AT_OUTER_UDP + innerIpLen;
  const outerIpLen = IPV4_LENGTH + outerUdpLen;
  if (outerIpLen > LEN_MAX) throw new EncodeError(1, 'ipv4', 'len', `${outerIpLen} bytes exceed ${LEN_MAX}`);
  const o = buf.room(off, AT_OUTER_IP + outerIpLen);
  const d = buf.view;
  const bytes = buf.bytes;
  // The MACs as three 32-bit words per header (dst 0-3 | dst 4-5 src 0-1 | src 2-5), all read
  // before the first store (V8 then checks each array once).
  const outerMacs0 = (m0[0]! << 24) | (m0[1]! << 16) | (m0[2]! << 8) | m0[3]!;
  const outerMacs1 = (m0[4]! << 24) | (m0[5]! << 16) | (n0[0]! << 8) | n0[1]!;
  const outerMacs2 = (n0[2]! << 24) | (n0[3]! << 16) | (n0[4]! << 8) | n0[5]!;
  const innerMacs0 = (m1[0]! << 24) | (m1[1]! << 16) | (m1[2]! << 8) | m1[3]!;
  const innerMacs1 = (m1[4]! << 24) | (m1[5]! << 16) | (n1[0]! << 8) | n1[1]!;
  const innerMacs2 = (n1[2]! << 24) | (n1[3]! << 16) | (n1[4]! << 8) | n1[5]!;
  // Payload first: copied, then summed from the frame's own bytes (the one RFC 1071 sum).
  const q = o + AT_PAYLOAD;
  if (start === 0 && payloadLength === payload.length) bytes.set(payload, q); // one memory copy
  else for (let i = start, t = q; t < q + payloadLength; i++, t++) bytes[t] = payload[i]!; // no subarray object per frame
  const payloadSum = onesSumOf(buf, q, q + payloadLength);
  // Outer Ethernet.
  d.setUint32(o + AT_MACS, outerMacs0);
  d.setUint32(o + AT_MACS + 4, outerMacs1);
  d.setUint32(o + AT_MACS + 8, outerMacs2);
  d.setUint16(o + AT_ETYPE, T_IPV4);
  // Outer IPv4: the header checksum from the words before they are stored.
  let src = outerSrcIp | 0;
  let dst = outerDstIp | 0;
  let w0 = IP_WORD0 | (outerIpLen << IP_LEN);
  let w1 = (outerId << IP_ID) | ((outerDf ? IPV4_DF : 0) << IP_FLAGS) | (0 << IP_FRAG);
  let w2 = IP_WORD2 | (outerTtl << IP_TTL);
  d.setUint32(o + AT_OUTER_IP + IP_W0, w0);
  d.setUint32(o + AT_OUTER_IP + IP_W1, w1);
  d.setUint32(o + AT_OUTER_IP + IP_W2, w2 | (ipv4WordsChecksum(w0, w1, w2, src, dst) << IP_CHKSUM));
  d.setUint32(o + AT_OUTER_IP + IP_SRC, src);
  d.setUint32(o + AT_OUTER_IP + IP_DST, dst);
  // Outer UDP (checksum 0 here; computed at the end when asked for) and VXLAN.
  d.setUint32(o + AT_OUTER_UDP + UDP_W0, (sport << UDP_SPORT) | (UDP_PORT_VXLAN << UDP_DPORT));
  d.setUint32(o + AT_OUTER_UDP + UDP_W1, outerUdpLen << UDP_LEN);
  d.setUint32(o + AT_VXLAN + VX_W0, VX_WORD0);
  d.setUint32(o + AT_VXLAN + VX_W1, vni << VX_VNI); // reserved2 zero
  // Inner Ethernet.
  d.setUint32(o + AT_INNER_ETHER + AT_MACS, innerMacs0);
  d.setUint32(o + AT_INNER_ETHER + AT_MACS + 4, innerMacs1);
  d.setUint32(o + AT_INNER_ETHER + AT_MACS + 8, innerMacs2);
  d.setUint16(o + AT_INNER_ETHER + AT_ETYPE, T_IPV4);
  // Inner IPv4.
  src = innerSrcIp | 0;
  dst = innerDstIp | 0;
  w0 = IP_WORD0 | (innerIpLen << IP_LEN);
  w1 = (innerId << IP_ID) | (0 << IP_FLAGS) | (0 << IP_FRAG);
  w2 = IP_WORD2 | (innerTtl << IP_TTL);
  d.setUint32(o + AT_INNER_IP + IP_W0, w0);
  d.setUint32(o + AT_INNER_IP + IP_W1, w1);
  d.setUint32(o + AT_INNER_IP + IP_W2, w2 | (ipv4WordsChecksum(w0, w1, w2, src, dst) << IP_CHKSUM));
  d.setUint32(o + AT_INNER_IP + IP_SRC, src);
  d.setUint32(o + AT_INNER_IP + IP_DST, dst);
  // Inner UDP: pseudo-header (addresses, protocol, length) + header (ports, length) + payload.
  const ports = (innerSport << UDP_SPORT) | (innerDport << UDP_DPORT);
  const sum = payloadSum + ipv4PseudoSum(src, dst, P_UDP, innerUdpLen) + halves(ports) + innerUdpLen;
  d.setUint32(o + AT_INNER_UDP + UDP_W0, ports);
  d.setUint32(o + AT_INNER_UDP + UDP_W1, (innerUdpLen << UDP_LEN) | ((~foldSum(sum) & 0xffff || 0xffff) << UDP_CHKSUM));
  if (outerUdpChecksum) udpChecksumIpv4(buf, o + AT_OUTER_UDP, outerUdpLen, outerSrcIp | 0, outerDstIp | 0);
  return o + AT_PAYLOAD + payloadLength;
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
