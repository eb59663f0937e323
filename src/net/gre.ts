/**
 * GRE (RFC 2784 with the RFC 2890 key and sequence number): a 4-byte base header whose C, K
 * and S bits say which optional 32-bit words follow, in the order checksum (+ reserved1), key,
 * sequence. Protocol 0x6558 carries a whole Ethernet frame (transparent bridging, NVGRE).
 */
import { DecodeError, EncodeError } from '../errors.js';
import { internetChecksum } from '../bytes/checksum.js';
import type { ByteWriter } from '../bytes/view.js';
import { AUTO, checkKnownFields, type LayerType, defineLayout, fieldNames, getField, putFields, readFields, setField, shiftIn, takeFields } from './fields.js';
import { needBytes } from './codec.js';
import { nextField } from './protocols.js';
import { KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const GRE = defineLayout('gre', 4, {
  chksum_present: { bit: 0, width: 1, internal: true },
  routing_present: { bit: 1, width: 1, internal: true },
  key_present: { bit: 2, width: 1, internal: true },
  seq_present: { bit: 3, width: 1, internal: true },
  reserved0: { bit: 4, width: 9, def: 0, hidden: true },
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

const F = GRE.f;
/** Protocol type: EtherTypes, plus 0x6558 for a whole Ethernet frame (scope `tunnel`). */
const NEXT = nextField(F.proto, 'ethertype', 'tunnel');
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

const NAMES = fieldNames(GRE, 'chksum', 'reserved1', 'key', 'seq');
/** aux slots: checksum (NONE / AUTO / value), reserved1, key (NONE / value), seq (NONE / value). */
const NONE = -2;
const A_CSUM = 0;
const A_RES1 = 1;
const A_KEY = 2;
const A_SEQ = 3;

export const greCodec: Codec = {
  kind: 'gre',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, GRE);
    const aux = [NONE, 0, NONE, NONE];
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
    if (layer.seq !== undefined && layer.seq !== null) aux[A_SEQ] = takeFields(layer, index, GRE_SEQ).nums[0]!;
    v.nums[F.chksum_present.index] = aux[A_CSUM] === NONE ? 0 : 1;
    v.nums[F.key_present.index] = aux[A_KEY] === NONE ? 0 : 1;
    v.nums[F.seq_present.index] = aux[A_SEQ] === NONE ? 0 : 1;
    const words = v.nums[F.chksum_present.index]! + v.nums[F.key_present.index]! + v.nums[F.seq_present.index]!;
    return { index, layer, codec: this, v, headerLength: GRE.length + 4 * words, aux };
  },
  link() {},
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
    if (aux[A_KEY] !== NONE) {
      setField(buf, o, GRE_KEY.f.key, aux[A_KEY]!);
      o += 4;
    }
    if (aux[A_SEQ] !== NONE) {
      setField(buf, o, GRE_SEQ.f.seq, aux[A_SEQ]!);
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
    const hlen = GRE.length + 4 * (getField(buf, off, F.chksum_present) + getField(buf, off, F.key_present) + getField(buf, off, F.seq_present));
    needBytes('gre', off, hlen, st);
    // Version 1 (PPTP) has another layout after the base header: keep its payload raw.
    st.next = getField(buf, off, F.version) === 0 ? NEXT_OF_PROTO[getField(buf, off, F.proto)]! : KIND_RAW;
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
      readFields(buf, o, GRE_KEY, layer);
      o += 4;
    }
    if (getField(buf, off, F.seq_present)) readFields(buf, o, GRE_SEQ, layer);
    readFields(buf, off, GRE, layer);
    return layer;
  },
};

/** A `gre` layer: key, seq and chksum present or not. */
export type GreLayer = LayerType<'gre', typeof GRE, { key?: number; seq?: number; chksum?: number | boolean; reserved1?: number }>;

export const greProtocol = defineProtocol<GreLayer>({
  kind: 'gre',
  title: 'GRE (RFC 2784, key and sequence number RFC 2890; NVGRE = protocol 0x6558 with a key)',
  layouts: [GRE, GRE_CHECKSUM, GRE_KEY, GRE_SEQ],
  fields: {
    key: 'key (absent: no K bit)',
    seq: 'sequence number (absent: no S bit)',
    chksum: 'checksum (absent: no C bit; true: C bit and computed; a number: written as given)',
    reserved1: 'the 16 bits after the checksum (0; only with chksum)',
    reserved0: 'the 9 reserved bits of the flags (0; written by the decoder only when not 0)',
    version: 'version (0)',
    proto: 'protocol type: EtherType of the next layer, 0x6558 for Ethernet',
  },
  codec: greCodec,
  dissector: dissectGre,
  selectedBy: [{ table: 'ipproto', value: 47 }],
  next: NEXT,
  display: { name: 'GRE', info: (l) => (l.key !== undefined ? `GRE key 0x${Number(l.key).toString(16)}` : undefined), hex: ['proto', 'chksum'] },
});
