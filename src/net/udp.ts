/** UDP header (RFC 768) and its checksum over the IPv4 or IPv6 pseudo-header. */
import { DecodeError, EncodeError } from '../errors.js';
import type { ByteWriter } from '../bytes/view.js';
import { foldSum, onesSum } from '../bytes/checksum.js';
import { AUTO, defineLayout, type LayerType, fieldNames, getField, putFields, readFields, setField, shiftIn } from './fields.js';
import { narrowExtent, needBytes, prepareFixed } from './codec.js';
import { ipv4PseudoSum, ipv6PseudoSum, pseudoHeaderLayer, pseudoHeaderSum } from './pseudo.js';
import { nextTable } from './protocols.js';
import { KIND, KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const UDP = defineLayout('udp', 8, {
  sport: { bit: 0, width: 16 },
  dport: { bit: 16, width: 16 },
  len: { bit: 32, width: 16, auto: true },
  chksum: { bit: 48, width: 16, auto: true },
});

const F = UDP.f;
/**
 * The header as two big-endian 32-bit words, for the fast encoders (encodeUdp and the fused
 * encodeVxlanFrame): byte offsets and field shifts from the layout.
 */
export const UDP_WORDS = {
  /** sport, dport */
  at0: F.sport.byte,
  sport: shiftIn(F.sport, F.sport.byte, 4),
  dport: shiftIn(F.dport, F.sport.byte, 4),
  /** len, chksum */
  at1: F.len.byte,
  len: shiftIn(F.len, F.len.byte, 4),
  chksum: shiftIn(F.chksum, F.len.byte, 4),
} as const;
const AT0 = UDP_WORDS.at0;
const AT1 = UDP_WORDS.at1;
const SPORT = UDP_WORDS.sport;
const DPORT = UDP_WORDS.dport;
const LEN = UDP_WORDS.len;
const CHKSUM = UDP_WORDS.chksum;
const HEADER = UDP.length;
/** IP protocol number of UDP. */
export const IPPROTO_UDP = 17;
const PROTO_UDP = IPPROTO_UDP;
/** The decoder picks what a UDP datagram carries by its destination port (the source port is a flow hash). */
const NEXT_OF_DPORT = nextTable('udp.dport').decode;

/** Fast path: write a UDP header at offset `off` of `out` (checksum as given: 0 for none); returns the payload offset. */
export function encodeUdp(out: ByteWriter, off: number, sport: number, dport: number, length: number, chksum: number): number {
  const p = out.room(off, HEADER);
  const d = out.view;
  d.setUint32(p + AT0, (sport << SPORT) | (dport << DPORT));
  d.setUint32(p + AT1, (length << LEN) | (chksum << CHKSUM));
  return off + HEADER;
}

/**
 * Fast path: compute and write the checksum of the UDP datagram at [off, off+length) of `out` (header
 * written with checksum 0, payload in place) over the IPv4 pseudo-header; returns the value
 * written (a computed 0 is sent as 0xffff, RFC 768).
 */
export function udpChecksumIpv4(out: ByteWriter, off: number, length: number, src: number, dst: number): number {
  const pseudo = ipv4PseudoSum(src, dst, PROTO_UDP, length);
  const at = out.room(off, Math.max(length, UDP.length));
  const c = ~foldSum(onesSum(out.bytes, at, at + length, pseudo)) & 0xffff || 0xffff;
  out.view.setUint16(at + F.chksum.byte, c);
  return c;
}

/**
 * Fast path: the UDP checksum over IPv4 from the header values and the payload's partial sum
 * (e.g. from copyWithSum), without reading the header back; a computed 0 becomes 0xffff.
 */
export function udpChecksumIpv4Of(src: number, dst: number, sport: number, dport: number, length: number, payloadSum: number): number {
  // Pseudo-header (addresses, protocol, length) + header (ports, length; checksum 0) + payload.
  const sum = ipv4PseudoSum(src, dst, PROTO_UDP, length) + sport + dport + length + payloadSum;
  return ~foldSum(sum) & 0xffff || 0xffff;
}

/**
 * Fast path: compute and write the checksum of the UDP datagram at [off, off+length) of `out` over the
 * IPv6 pseudo-header (addresses as 16-byte arrays); returns the value written (0 → 0xffff).
 */
export function udpChecksumIpv6(out: ByteWriter, off: number, length: number, src: Uint8Array, dst: Uint8Array): number {
  const pseudo = ipv6PseudoSum(src, dst, PROTO_UDP, length);
  const at = out.room(off, Math.max(length, UDP.length));
  const c = ~foldSum(onesSum(out.bytes, at, at + length, pseudo)) & 0xffff || 0xffff;
  out.view.setUint16(at + F.chksum.byte, c);
  return c;
}

export const udpCodec: Codec = {
  kind: 'udp',
  names: fieldNames(UDP),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, UDP);
  },
  link(list, i) {
    const p = list[i]!;
    if (p.v.nums[F.chksum.index] !== AUTO) return;
    if (!pseudoHeaderLayer(list, i)) {
      throw new EncodeError(i, 'udp', 'chksum', 'is auto but no ipv4/ipv6 layer comes right before udp for the pseudo-header; give it explicitly');
    }
  },
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const n = p.v.nums;
    if (n[F.len.index] === AUTO) {
      const len = end - off;
      if (len > 0xffff) throw new EncodeError(i, 'udp', 'len', `${len} bytes exceed 65535`);
      n[F.len.index] = len;
    }
    const autoSum = n[F.chksum.index] === AUTO;
    if (autoSum) n[F.chksum.index] = 0;
    putFields(buf, off, UDP, p.v);
    if (autoSum) {
      const len = n[F.len.index]!;
      // The receiver sums the datagram as its length field delimits it (never past our bytes).
      const stop = Math.min(end, off + Math.max(len, UDP.length));
      const c = ~foldSum(onesSum(buf, off, stop, pseudoHeaderSum(list, i, pseudoHeaderLayer(list, i)!, PROTO_UDP, len))) & 0xffff;
      setField(buf, off, F.chksum, c === 0 ? 0xffff : c);
    }
  },
};

export const dissectUdp: Dissector = {
  scan(buf, off, st) {
    needBytes('udp', off, UDP.length, st);
    const len = getField(buf, off, F.len);
    if (len < UDP.length) throw new DecodeError('udp', off, `length ${len} is below the 8-byte header`);
    narrowExtent('udp', off, off + len, st, 'length');
    // The destination port names the protocol; when it names none, the source port does: the
    // server end of a tunnel answers from its well-known port (Teredo 3544, AYIYA 5072), which
    // Wireshark recognises on either port. The destination goes first so that a source port
    // that is a flow hash (VXLAN, Geneve) never decides.
    const byDport = NEXT_OF_DPORT[getField(buf, off, F.dport)]!;
    let next = byDport !== KIND_RAW ? byDport : NEXT_OF_DPORT[getField(buf, off, F.sport)]!;
    // NAT-T port 4500: a keepalive (one 0xff byte) or IKE (non-ESP marker: 4 zero bytes) is not ESP.
    if (next === KIND.esp) {
      const p = off + UDP.length;
      if (st.end - p < 8 || (buf[p]! | buf[p + 1]! | buf[p + 2]! | buf[p + 3]!) === 0) next = KIND_RAW;
    }
    st.next = next;
    return UDP.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'udp' };
    readFields(buf, off, UDP, layer);
    return layer;
  },
};

/** A `udp` layer. */
export type UdpLayer = LayerType<'udp', typeof UDP>;

export const udpProtocol = defineProtocol<UdpLayer>({
  kind: 'udp',
  title: 'UDP header (RFC 768), checksum over the IPv4 or IPv6 pseudo-header',
  layouts: [UDP],
  fields: {
    sport: 'source port',
    dport: 'destination port (never guessed: VXLAN is 4789, Geneve 6081 by convention)',
    len: 'length of header and payload',
    chksum: 'checksum over the pseudo-header of the ipv4/ipv6 layer before it; a computed 0 is sent as 0xffff; 0 = none over IPv4',
  },
  codec: udpCodec,
  dissector: dissectUdp,
  selectedBy: [{ table: 'ipproto', value: IPPROTO_UDP }],
  display: { name: 'UDP', ports: true, hex: ['chksum'] },
});
