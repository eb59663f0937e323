/** IPv4 header (RFC 791): fixed 20 bytes, then options (IHL counts 32-bit words of both). */
import { DecodeError, EncodeError } from '../errors.js';
import type { ByteWriter } from '../bytes/view.js';
import { foldSum, internetChecksum } from '../bytes/checksum.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { AUTO, checkKnownFields, defineLayout, fieldNames, getField, putFields, readFields, setField, shiftIn, takeFields } from './fields.js';
import { narrowExtent, needBytes } from './codec.js';
import { IPPROTO_OF, NEXT_OF_IPPROTO, linkNext } from './protocols.js';
import { KIND_RAW } from './kinds.js';
import type { Codec, Dissector, Layer } from './types.js';

export const IPV4 = defineLayout('ipv4', 20, {
  version: { bit: 0, width: 4, def: 4 },
  ihl: { bit: 4, width: 4, auto: true },
  tos: { bit: 8, width: 8, def: 0 },
  len: { bit: 16, width: 16, auto: true },
  id: { bit: 32, width: 16, def: 1 },
  flags: { bit: 48, width: 3, def: 0 },
  frag: { bit: 51, width: 13, def: 0 },
  ttl: { bit: 64, width: 8, def: 64 },
  proto: { bit: 72, width: 8, auto: true },
  chksum: { bit: 80, width: 16, auto: true },
  src: { bit: 96, width: 32, kind: 'ipv4' },
  dst: { bit: 128, width: 32, kind: 'ipv4' },
});

/** Flags bit values (of the 3-bit field): DF = 2, MF = 1. */
export const IPV4_DF = 2;
export const IPV4_MF = 1;
const FLAG_NAMES: Readonly<Record<string, number>> = { DF: 2, MF: 1, 'DF+MF': 3, 'MF+DF': 3, '': 0 };
const FLAG_TEXT = [0, 'MF', 'DF', 'DF+MF'] as const;
const MAX_OPTIONS = 40; // IHL is 4 bits: at most 15 words

const F = IPV4.f;
/** Shifts of the fields packed into 16-bit words by encodeIpv4 (from the layout). */
const VERSION_SHIFT = shiftIn(F.version, 0, 2);
const IHL_SHIFT = shiftIn(F.ihl, 0, 2);
const TTL_SHIFT = shiftIn(F.ttl, F.ttl.byte, 2);
/** Shift of the flags in the 16-bit flags/fragment-offset word: flagsFrag = flags << IPV4_FLAGS_SHIFT | frag. */
export const IPV4_FLAGS_SHIFT = shiftIn(F.flags, F.flags.byte, 2);
const WORD0 = (4 << VERSION_SHIFT) | (5 << IHL_SHIFT); // version 4, 5-word header, tos 0
// Byte offsets as plain constants: small fast-path bytecode that V8 inlines into its callers.
const AT_WORD0 = F.version.byte;
const AT_LEN = F.len.byte;
const AT_ID = F.id.byte;
const AT_FLAGS = F.flags.byte;
const AT_TTL = F.ttl.byte;
const AT_CHKSUM = F.chksum.byte;
const AT_SRC = F.src.byte;
const AT_DST = F.dst.byte;
const HEADER = IPV4.length;

/**
 * Fast path: write a 20-byte IPv4 header (no options) at offset `off` of `out` with its header checksum,
 * computed from the values rather than re-read from memory. Addresses are 32-bit numbers
 * (unsigned, or the same bits as int32, which V8 passes without boxing); flagsFrag is
 * flags << IPV4_FLAGS_SHIFT | fragment offset. Returns the payload offset.
 */
export function encodeIpv4(
  out: ByteWriter,
  off: number,
  tos: number,
  totalLength: number,
  id: number,
  flagsFrag: number,
  ttl: number,
  proto: number,
  src: number,
  dst: number,
): number {
  const w0 = WORD0 | tos;
  const w4 = (ttl << TTL_SHIFT) | proto;
  const sum = w0 + totalLength + id + flagsFrag + w4 + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  const p = out.room(off, HEADER);
  const d = out.view;
  d.setUint16(p + AT_WORD0, w0);
  d.setUint16(p + AT_LEN, totalLength);
  d.setUint16(p + AT_ID, id);
  d.setUint16(p + AT_FLAGS, flagsFrag);
  d.setUint16(p + AT_TTL, w4);
  d.setUint16(p + AT_CHKSUM, ~foldSum(sum) & 0xffff);
  d.setUint32(p + AT_SRC, src);
  d.setUint32(p + AT_DST, dst);
  return off + HEADER;
}

const NAMES = fieldNames(IPV4, 'options');

export const ipv4Codec: Codec = {
  kind: 'ipv4',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    let src = layer;
    if (typeof layer.flags === 'string') {
      const n = FLAG_NAMES[layer.flags];
      if (n === undefined) throw new EncodeError(index, 'ipv4', 'flags', `'${layer.flags}' is not one of 0..7, "DF", "MF", "DF+MF"`);
      src = { ...layer, flags: n };
    }
    const v = takeFields(src, index, IPV4);
    let data = new Uint8Array(0);
    if (layer.options !== undefined && layer.options !== null) {
      const raw = typeof layer.options === 'string' ? hexToBytes(layer.options) : null;
      if (!raw) throw new EncodeError(index, 'ipv4', 'options', 'is not an even number of hex digits');
      if (raw.length > MAX_OPTIONS) throw new EncodeError(index, 'ipv4', 'options', `${raw.length} bytes exceed the ${MAX_OPTIONS} an IPv4 header holds`);
      // Padded with zeros (End of Options List) to a 32-bit boundary.
      data = new Uint8Array((raw.length + 3) & ~3);
      data.set(raw);
    }
    return { index, layer, codec: this, v, headerLength: IPV4.length + data.length, data };
  },
  link(list, i) {
    linkNext(list, i, F.proto.index, 'proto', IPPROTO_OF);
  },
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const n = p.v.nums;
    if (n[F.ihl.index] === AUTO) n[F.ihl.index] = p.headerLength / 4;
    if (n[F.len.index] === AUTO) {
      const len = end - off;
      if (len > 0xffff) throw new EncodeError(i, 'ipv4', 'len', `${len} bytes exceed 65535`);
      n[F.len.index] = len;
    }
    const autoSum = n[F.chksum.index] === AUTO;
    if (autoSum) n[F.chksum.index] = 0;
    putFields(buf, off, IPV4, p.v);
    buf.set(p.data!, off + IPV4.length);
    if (autoSum) setField(buf, off, F.chksum, internetChecksum(buf, off, off + p.headerLength));
  },
};

export const dissectIpv4: Dissector = {
  scan(buf, off, st) {
    needBytes('ipv4', off, IPV4.length, st);
    const version = getField(buf, off, F.version);
    if (version !== 4) throw new DecodeError('ipv4', off, `version ${version}, expected 4`);
    const ihl = getField(buf, off, F.ihl);
    if (ihl < 5) throw new DecodeError('ipv4', off, `header length ${ihl} words is below the minimum 5`);
    const hlen = ihl * 4;
    needBytes('ipv4', off, hlen, st);
    const len = getField(buf, off, F.len);
    if (len < hlen) throw new DecodeError('ipv4', off, `total length ${len} is shorter than the ${hlen}-byte header`);
    narrowExtent('ipv4', off, off + len, st, 'total length');
    // A fragment's payload is not a whole upper-layer packet: keep it raw.
    const fragment = getField(buf, off, F.frag) !== 0 || (getField(buf, off, F.flags) & IPV4_MF) !== 0;
    st.next = fragment ? KIND_RAW : NEXT_OF_IPPROTO[getField(buf, off, F.proto)]!;
    return hlen;
  },
  fields(buf, off, hlen) {
    const layer: Layer = { layer: 'ipv4' };
    readFields(buf, off, IPV4, layer);
    const flags = getField(buf, off, F.flags);
    layer.flags = flags < 4 ? FLAG_TEXT[flags] : flags;
    layer.options = bytesToHex(buf, off + IPV4.length, off + hlen);
    return layer;
  },
};
