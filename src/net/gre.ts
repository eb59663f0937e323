/**
 * GRE (RFC 2784 with the RFC 2890 key and sequence number): a 4-byte base header whose C, K
 * and S bits say which optional 32-bit words follow, in the order checksum (+ reserved1), key,
 * sequence. Protocol 0x6558 carries a whole Ethernet frame (transparent bridging, NVGRE).
 * Version 1 is PPTP's enhanced GRE (RFC 2637): the key word holds the payload length and call
 * id, and an acknowledgment number follows the sequence number when the A bit is set; it
 * carries PPP (0x880b).
 */
import { DecodeError, EncodeError } from '../errors.js';
import { internetChecksum } from '../bytes/checksum.js';
import type { ByteWriter } from '../bytes/view.js';
import { AUTO, checkKnownFields, type LayerType, defineLayout, fieldNames, getField, putFields, readFields, setField, shiftIn, takeFields } from './fields.js';
import { needBytes } from './codec.js';
import { nextField } from './protocols.js';
import { KIND, KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

/** ERSPAN (erspan.ts): type I and II share protocol 0x88be, type III has 0x22eb. */
const GRE_PROTO_ERSPAN = 0x88be;
const GRE_PROTO_ERSPAN_III = 0x22eb;
/** GRE-in-UDP (RFC 8086). */
export const UDP_PORT_GRE = 4754;

export const GRE = defineLayout('gre', 4, {
  chksum_present: { bit: 0, width: 1, internal: true },
  routing_present: { bit: 1, width: 1, internal: true },
  key_present: { bit: 2, width: 1, internal: true },
  seq_present: { bit: 3, width: 1, internal: true },
  reserved0: { bit: 4, width: 4, def: 0, hidden: true },
  ack_present: { bit: 8, width: 1, internal: true },
  flags: { bit: 9, width: 4, def: 0, hidden: true },
  version: { bit: 13, width: 3, def: 0 },
  proto: { bit: 16, width: 16, auto: true },
});

/** The optional words, each a layout of its own. */
export const GRE_CHECKSUM = defineLayout('gre', 4, {
  chksum: { bit: 0, width: 16 },
  reserved1: { bit: 16, width: 16, def: 0, hidden: true },
});
export const GRE_KEY = defineLayout('gre', 4, { key: { bit: 0, width: 32 } });
export const GRE_SEQ = defineLayout('gre', 4, { seq: { bit: 0, width: 32 } });
/** Version 1 (PPTP, RFC 2637): the key word holds the payload length and the call id. */
export const GRE_PPTP_KEY = defineLayout('gre', 4, { paylen: { bit: 0, width: 16, auto: true }, callid: { bit: 16, width: 16 } });
/** Version 1: the acknowledgment number, present when the A bit (ack_present) is set. */
export const GRE_ACK = defineLayout('gre', 4, { ack: { bit: 0, width: 32 } });

const F = GRE.f;
/** Protocol type: EtherTypes, plus 0x6558 for a whole Ethernet frame, PPP and ERSPAN (scope `gre`). */
const NEXT = nextField(F.proto, 'ethertype', 'gre');
const NEXT_OF_PROTO = NEXT.table.decode;

/** Presence bits for encodeGre, as they sit in the first 16 bits of the header. */
export const GRE_C = 1 << shiftIn(F.chksum_present, 0, 2);
export const GRE_K = 1 << shiftIn(F.key_present, 0, 2);
export const GRE_S = 1 << shiftIn(F.seq_present, 0, 2);

/**
 * Fast path: write a version-0 GRE header at offset `off` of `out` with the optional words `present` asks
 * for (GRE_C | GRE_K | GRE_S; the checksum word is written as 0, see greChecksum); returns the
 * payload offset.
 */
export function encodeGre(out: ByteWriter, off: number, present: number, proto: number, key: number, seq: number): number {
  const c = present & GRE_C ? GRE_CHECKSUM.length : 0;
  const k = present & GRE_K ? GRE_KEY.length : 0;
  const s = present & GRE_S ? GRE_SEQ.length : 0;
  const p = out.room(off, GRE.length + c + k + s);
  const d = out.view;
  d.setUint16(p + F.chksum_present.byte, present & (GRE_C | GRE_K | GRE_S));
  d.setUint16(p + F.proto.byte, proto);
  let o = p + GRE.length;
  if (c) d.setUint32(o + GRE_CHECKSUM.f.chksum.byte, 0); // checksum and reserved1
  o += c;
  if (k) d.setUint32(o + GRE_KEY.f.key.byte, key);
  o += k;
  if (s) d.setUint32(o + GRE_SEQ.f.seq.byte, seq);
  return off + GRE.length + c + k + s;
}

/** Fast path: compute and write the checksum of the GRE packet at [off, end) of `out` (its C bit must be set); returns it. */
export function greChecksum(out: ByteWriter, off: number, end: number): number {
  const c = internetChecksum(out.bytes, out.room(off, end - off), end);
  out.view.setUint16(out.room(off, GRE.length + GRE_CHECKSUM.length) + GRE.length + GRE_CHECKSUM.f.chksum.byte, c);
  return c;
}

const NAMES = fieldNames(GRE, 'chksum', 'reserved1', 'key', 'seq', 'paylen', 'callid', 'ack');
/**
 * aux slots: checksum (NONE / AUTO / value), reserved1, key (NONE / value), seq (NONE / value),
 * ack (NONE / value), PPTP payload length (NONE / AUTO / value), PPTP call id.
 */
const NONE = -2;
const A_CSUM = 0;
const A_RES1 = 1;
const A_KEY = 2;
const A_SEQ = 3;
const A_ACK = 4;
const A_PAYLEN = 5;
const A_CALLID = 6;

export const greCodec: Codec = {
  kind: 'gre',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, GRE);
    const aux = [NONE, 0, NONE, NONE, NONE, NONE, 0];
    const c = layer.chksum;
    if (c === true) aux[A_CSUM] = AUTO;
    else if (c !== undefined && c !== null && c !== false) {
      aux[A_CSUM] = takeFields({ layer: 'gre', chksum: c, reserved1: layer.reserved1 }, index, GRE_CHECKSUM).nums[0]!;
    }
    if (layer.reserved1 !== undefined && layer.reserved1 !== null) {
      if (aux[A_CSUM] === NONE) throw new EncodeError(index, 'gre', 'reserved1', 'is only present with chksum');
      aux[A_RES1] = takeFields({ layer: 'gre', chksum: 0, reserved1: layer.reserved1 }, index, GRE_CHECKSUM).nums[1]!;
    }
    if (layer.key !== undefined && layer.key !== null) aux[A_KEY] = takeFields(layer, index, GRE_KEY).nums[0]!;
    if (layer.callid !== undefined || layer.paylen !== undefined) {
      if (aux[A_KEY] !== NONE) throw new EncodeError(index, 'gre', 'callid', 'and key cannot both be given (version 1 puts payload length and call id in the key word)');
      const k = takeFields(layer, index, GRE_PPTP_KEY).nums;
      aux[A_PAYLEN] = k[0]!;
      aux[A_CALLID] = k[1]!;
      aux[A_KEY] = 0;
    }
    if (layer.ack !== undefined && layer.ack !== null) aux[A_ACK] = takeFields(layer, index, GRE_ACK).nums[0]!;
    if (layer.seq !== undefined && layer.seq !== null) aux[A_SEQ] = takeFields(layer, index, GRE_SEQ).nums[0]!;
    v.nums[F.chksum_present.index] = aux[A_CSUM] === NONE ? 0 : 1;
    v.nums[F.key_present.index] = aux[A_KEY] === NONE ? 0 : 1;
    v.nums[F.seq_present.index] = aux[A_SEQ] === NONE ? 0 : 1;
    v.nums[F.ack_present.index] = aux[A_ACK] === NONE ? 0 : 1;
    const words = v.nums[F.chksum_present.index]! + v.nums[F.key_present.index]! + v.nums[F.seq_present.index]! + v.nums[F.ack_present.index]!;
    return { index, layer, codec: this, v, headerLength: GRE.length + 4 * words, aux };
  },
  link(list, i) {
    // The registry filled an auto proto from the next layer's binding; ERSPAN type III has its own.
    const next = list[i + 1];
    const p = list[i]!;
    if (next?.codec.kind === 'erspan' && next.layer.ver === 2 && (p.layer.proto === undefined || p.layer.proto === null)) p.v.nums[F.proto.index] = GRE_PROTO_ERSPAN_III;
  },
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const aux = p.aux!;
    putFields(buf, off, GRE, p.v);
    let o = off + GRE.length;
    const csumAt = o;
    if (aux[A_CSUM] !== NONE) {
      setField(buf, o, GRE_CHECKSUM.f.chksum, aux[A_CSUM] === AUTO ? 0 : aux[A_CSUM]!);
      setField(buf, o, GRE_CHECKSUM.f.reserved1, aux[A_RES1]!);
      o += 4;
    }
    if (aux[A_PAYLEN] !== NONE) {
      // The payload length counts the bytes after the GRE header (RFC 2637 §4.1).
      const paylen = aux[A_PAYLEN] === AUTO ? end - off - p.headerLength : aux[A_PAYLEN]!;
      if (paylen > 0xffff) throw new EncodeError(i, 'gre', 'paylen', `${paylen} bytes exceed 65535`);
      setField(buf, o, GRE_PPTP_KEY.f.paylen, paylen);
      setField(buf, o, GRE_PPTP_KEY.f.callid, aux[A_CALLID]!);
      o += 4;
    } else if (aux[A_KEY] !== NONE) {
      setField(buf, o, GRE_KEY.f.key, aux[A_KEY]!);
      o += 4;
    }
    if (aux[A_SEQ] !== NONE) {
      setField(buf, o, GRE_SEQ.f.seq, aux[A_SEQ]!);
      o += 4;
    }
    if (aux[A_ACK] !== NONE) {
      setField(buf, o, GRE_ACK.f.ack, aux[A_ACK]!);
      o += 4;
    }
    // The checksum covers the GRE header and its payload (RFC 2784 §2.5).
    if (aux[A_CSUM] === AUTO) setField(buf, csumAt, GRE_CHECKSUM.f.chksum, internetChecksum(buf, off, end));
  },
};

export const dissectGre: Dissector = {
  scan(buf, off, st) {
    needBytes('gre', off, GRE.length, st);
    if (getField(buf, off, F.routing_present)) {
      throw new DecodeError('gre', off, 'routing present bit set (RFC 1701 source routing is not decoded)');
    }
    const seq = getField(buf, off, F.seq_present);
    const hlen = GRE.length + 4 * (getField(buf, off, F.chksum_present) + getField(buf, off, F.key_present) + seq + getField(buf, off, F.ack_present));
    needBytes('gre', off, hlen, st);
    const version = getField(buf, off, F.version);
    const proto = getField(buf, off, F.proto);
    // ERSPAN type I is 0x88be without a sequence number (no ERSPAN header; Wireshark decides so too).
    if (version > 1) st.next = KIND_RAW;
    else st.next = proto === GRE_PROTO_ERSPAN && !seq ? KIND['erspan-type-i'] : NEXT_OF_PROTO[proto]!;
    return hlen;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'gre' };
    let o = off + GRE.length;
    if (getField(buf, off, F.chksum_present)) {
      readFields(buf, o, GRE_CHECKSUM, layer);
      o += 4;
    }
    if (getField(buf, off, F.key_present)) {
      readFields(buf, o, getField(buf, off, F.version) === 1 ? GRE_PPTP_KEY : GRE_KEY, layer);
      o += 4;
    }
    if (getField(buf, off, F.seq_present)) {
      readFields(buf, o, GRE_SEQ, layer);
      o += 4;
    }
    if (getField(buf, off, F.ack_present)) readFields(buf, o, GRE_ACK, layer);
    readFields(buf, off, GRE, layer);
    return layer;
  },
};

/** A `gre` layer: key, seq and chksum present or not. */
export type GreLayer = LayerType<'gre', typeof GRE, { key?: number; seq?: number; chksum?: number | boolean; reserved1?: number; callid?: number; paylen?: number; ack?: number }>;

export const greProtocol = defineProtocol<GreLayer>({
  kind: 'gre',
  title: 'GRE (RFC 2784, key and sequence number RFC 2890; NVGRE = protocol 0x6558 with a key; version 1 = PPTP enhanced GRE, RFC 2637; GRE-in-UDP RFC 8086)',
  layouts: [GRE, GRE_CHECKSUM, GRE_KEY, GRE_SEQ, GRE_PPTP_KEY, GRE_ACK],
  fields: {
    key: 'key (absent: no K bit)',
    seq: 'sequence number (absent: no S bit)',
    chksum: 'checksum (absent: no C bit; true: C bit and computed; a number: written as given)',
    reserved1: 'the 16 bits after the checksum (0; only with chksum)',
    reserved0: 'the 4 bits after the S bit: strict source route and recursion control (0; written by the decoder only when not 0)',
    flags: 'the 4 bits after the A bit (0; written by the decoder only when not 0)',
    version: 'version (0; 1 for PPTP)',
    proto: 'protocol type: EtherType of the next layer, 0x6558 for Ethernet, 0x880b for PPP, 0x88be / 0x22eb for ERSPAN II / III',
    callid: 'version 1: call id, the low 16 bits of the key word (K bit set)',
    paylen: 'version 1: payload length, the high 16 bits of the key word (auto: bytes after the GRE header)',
    ack: 'version 1: acknowledgment number (absent: no A bit)',
  },
  codec: greCodec,
  dissector: dissectGre,
  selectedBy: [
    { table: 'ipproto', value: 47 },
    { table: 'udp.dport', value: UDP_PORT_GRE },
  ],
  next: NEXT,
  display: {
    name: 'GRE',
    info: (l) => (l.key !== undefined ? `GRE key 0x${Number(l.key).toString(16)}` : l.callid !== undefined ? `PPTP call ${String(l.callid)}` : undefined),
    hex: ['proto', 'chksum'],
  },
});
