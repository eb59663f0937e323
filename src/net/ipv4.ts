/** IPv4 header (RFC 791): fixed 20 bytes, then options (IHL counts 32-bit words of both). */
import { DecodeError, EncodeError } from '../errors.js';
import type { ByteWriter } from '../bytes/view.js';
import { foldSum, internetChecksum } from '../bytes/checksum.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, checkKnownFields, wordPaddedOptions, type LayerType, defineLayout, fieldNames, getField, readFields, setField, shiftIn, takeFields } from './fields.js';
import { narrowExtent, needBytes, putHeader } from './codec.js';
import { nextField } from './protocols.js';
import { KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

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
// A Map: a name from the user ("constructor", "__proto__") must find nothing inherited.
const FLAG_NAMES: ReadonlyMap<string, number> = new Map([['DF', 2], ['MF', 1], ['DF+MF', 3], ['MF+DF', 3], ['', 0]]);
const FLAG_TEXT = [0, 'MF', 'DF', 'DF+MF'] as const;

const F = IPV4.f;
/** IHL counts 32-bit words of the whole header: at most 15, so 40 bytes of options. */
const MAX_OPTIONS = F.ihl.max * 4 - IPV4.length;
const NEXT = nextField(F.proto, 'ipproto');
const NEXT_OF_PROTO = NEXT.table.decode;
/** Shift of the flags in the 16-bit flags/fragment-offset word: flagsFrag = flags << IPV4_FLAGS_SHIFT | frag. */
export const IPV4_FLAGS_SHIFT = shiftIn(F.flags, F.flags.byte, 2);

/**
 * The 20-byte fixed header as five big-endian 32-bit words, for the fast encoders (encodeIpv4
 * and the fused encodeVxlanFrame): each word's byte offset and each field's shift inside its
 * word, all from the layout (shiftIn throws at load time if a field is not in the word named).
 */
export const IPV4_WORDS = {
  /** version, ihl, tos, len */
  at0: F.version.byte,
  version: shiftIn(F.version, F.version.byte, 4),
  ihl: shiftIn(F.ihl, F.version.byte, 4),
  tos: shiftIn(F.tos, F.version.byte, 4),
  len: shiftIn(F.len, F.version.byte, 4),
  /** id, flags, frag */
  at1: F.id.byte,
  id: shiftIn(F.id, F.id.byte, 4),
  flags: shiftIn(F.flags, F.id.byte, 4),
  frag: shiftIn(F.frag, F.id.byte, 4),
  /** ttl, proto, chksum */
  at2: F.ttl.byte,
  ttl: shiftIn(F.ttl, F.ttl.byte, 4),
  proto: shiftIn(F.proto, F.ttl.byte, 4),
  chksum: shiftIn(F.chksum, F.ttl.byte, 4),
  atSrc: F.src.byte,
  atDst: F.dst.byte,
} as const;
if (IPV4_WORDS.frag + IPV4_FLAGS_SHIFT !== IPV4_WORDS.flags) throw new Error('ipv4 layout: flags and fragment offset do not share a 16-bit word');
const W = IPV4_WORDS;
/** Word 0 of a header without options (version 4, IHL 5 words), before TOS and length. */
export const IPV4_WORD0 = (4 << W.version) | ((IPV4.length / 4) << W.ihl);

/**
 * The header checksum of the five words (chksum bits zero), from the values rather than
 * re-read from memory: one's-complement sum of their 16-bit halves, folded, complemented.
 */
export function ipv4WordsChecksum(w0: number, w1: number, w2: number, src: number, dst: number): number {
  const sum = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

// Byte offsets and shifts as plain constants: small fast-path bytecode that V8 inlines.
const AT0 = W.at0;
const AT1 = W.at1;
const AT2 = W.at2;
const AT_SRC = W.atSrc;
const AT_DST = W.atDst;
const TOS = W.tos;
const LEN = W.len;
const ID = W.id;
const FRAG = W.frag;
const TTL = W.ttl;
const PROTO = W.proto;
const CHKSUM = W.chksum;
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
  const w0 = IPV4_WORD0 | (tos << TOS) | (totalLength << LEN);
  const w1 = (id << ID) | (flagsFrag << FRAG);
  const w2 = (ttl << TTL) | (proto << PROTO);
  const p = out.room(off, HEADER);
  const d = out.view;
  d.setUint32(p + AT0, w0);
  d.setUint32(p + AT1, w1);
  d.setUint32(p + AT2, w2 | (ipv4WordsChecksum(w0, w1, w2, src, dst) << CHKSUM));
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
      const n = FLAG_NAMES.get(layer.flags);
      if (n === undefined) throw new EncodeError(index, 'ipv4', 'flags', `'${layer.flags}' is not one of 0..7, "DF", "MF", "DF+MF"`);
      src = { ...layer, flags: n };
    }
    const v = takeFields(src, index, IPV4);
    const data = wordPaddedOptions(layer, index, 'ipv4', MAX_OPTIONS, 'an IPv4 header');
    return { index, layer, codec: this, v, headerLength: IPV4.length + data.length, data };
  },
  link() {},
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
    putHeader(buf, off, IPV4, p);
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
    if (len === 0) {
      // Captured before TCP segmentation / generic segmentation offload split it: the packet is
      // the rest of the frame, as Wireshark takes it. `len` stays 0 so the frame rebuilds.
      st.note ??= `ipv4 at ${off}: total length 0, taken as the rest of the frame (TSO/GSO capture)`;
    } else {
      if (len < hlen) throw new DecodeError('ipv4', off, `total length ${len} is shorter than the ${hlen}-byte header`);
      narrowExtent('ipv4', off, off + len, st, 'total length');
    }
    // A later fragment's payload is no upper-layer header: raw. The first fragment (offset 0)
    // starts with one, decoded as Wireshark does without reassembly; its lengths and checksums
    // cover more bytes than the fragment holds, which is expected, not damage.
    if (getField(buf, off, F.frag) !== 0) st.next = KIND_RAW;
    else {
      if (getField(buf, off, F.flags) & IPV4_MF) st.quoted = true;
      st.next = NEXT_OF_PROTO[getField(buf, off, F.proto)]!;
    }
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

/** An `ipv4` layer. */
export type Ipv4Layer = LayerType<'ipv4', typeof IPV4, { flags?: number | 'DF' | 'MF' | 'DF+MF' | 'MF+DF' | ''; options?: string }>;

export const ipv4Protocol = defineProtocol<Ipv4Layer>({
  kind: 'ipv4',
  title: 'IPv4 header (RFC 791): 20 bytes, then options',
  layouts: [IPV4],
  fields: {
    src: 'source address',
    dst: 'destination address',
    ttl: 'time to live (64)',
    id: 'identification (1)',
    tos: 'type of service / DSCP and ECN (0)',
    flags: 'flags (0): bit 1 DF, bit 0 MF, or "DF", "MF", "DF+MF"',
    frag: 'fragment offset in 8-byte units (0)',
    options: 'options as hex (""), padded with zeros to 4 bytes',
    version: 'version (4)',
    ihl: 'header length in 32-bit words',
    len: 'total length',
    chksum: 'header checksum',
    proto: 'IP protocol of the next layer',
  },
  codec: ipv4Codec,
  dissector: dissectIpv4,
  selectedBy: [
    { table: 'ethertype', value: 0x0800 },
    { table: 'ipproto', value: 4 },
    { table: 'ppp', value: 0x0021 },
    { table: 'gpe', value: 1 },
    { table: 'bsd.af', value: 2 },
  ],
  linkType: 228,
  next: NEXT,
  display: { name: 'IPv4', addresses: 'network', hex: ['chksum'] },
});
