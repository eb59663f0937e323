/**
 * BSD loopback header (`loopback`, link type 0, DLT_NULL): the 4-byte address family of the
 * packet in the capturing host's byte order — what BSD and macOS loopback and tunnel interfaces
 * give. Little-endian is written by default (`byteorder` "le"; "be" for big-endian hosts); the
 * decoder takes the order whose value is a small family number.
 */
import { EncodeError } from '../errors.js';
import { AUTO, checkKnownFields, defineLayout, fieldNames, getField, takeFields, type LayerType } from './fields.js';
import { needBytes } from './codec.js';
import { nextField } from './protocols.js';
import { KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

/** The family as the layout sees it: 32 bits (its byte order is the layer's `byteorder`). */
export const LOOPBACK = defineLayout('loopback', 4, {
  family: { bit: 0, width: 32, auto: true },
});

export const LINKTYPE_NULL = 0;
const F = LOOPBACK.f;
const NEXT = nextField(F.family, 'bsd.af');
const NEXT_OF_FAMILY = NEXT.table.decode;
const NAMES = fieldNames(LOOPBACK, 'byteorder');

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

export const loopbackCodec: Codec = {
  kind: 'loopback',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const order = layer.byteorder ?? 'le';
    if (order !== 'le' && order !== 'be') throw new EncodeError(index, 'loopback', 'byteorder', `${JSON.stringify(order)} is not "le" or "be"`);
    return { index, layer, codec: this, v: takeFields(layer, index, LOOPBACK), headerLength: LOOPBACK.length, aux: [order === 'le' ? 1 : 0] };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    const family = p.v.nums[F.family.index]!;
    if (family === AUTO) throw new EncodeError(i, 'loopback', 'family', 'was not resolved');
    const v = p.aux![0] ? swap32(family) : family;
    buf[off] = v >>> 24;
    buf[off + 1] = v >>> 16;
    buf[off + 2] = v >>> 8;
    buf[off + 3] = v;
  },
};

/** The family and whether it was stored little-endian: the order whose value is below 2^16. */
function readFamily(buf: Uint8Array, off: number): [number, boolean] {
  const be = getField(buf, off, F.family);
  const le = swap32(be);
  return le < be ? [le, true] : [be, false];
}

export const dissectLoopback: Dissector = {
  scan(buf, off, st) {
    needBytes('loopback', off, LOOPBACK.length, st);
    const [family] = readFamily(buf, off);
    st.next = family < NEXT_OF_FAMILY.length ? NEXT_OF_FAMILY[family]! : KIND_RAW;
    return LOOPBACK.length;
  },
  fields(buf, off) {
    const [family, le] = readFamily(buf, off);
    const layer: Layer = { layer: 'loopback', family };
    if (!le) layer.byteorder = 'be';
    return layer;
  },
};

/** A `loopback` layer. */
export type LoopbackLayer = LayerType<'loopback', typeof LOOPBACK, { byteorder?: 'le' | 'be' }>;

export const loopbackProtocol = defineProtocol<LoopbackLayer>({
  kind: 'loopback',
  title: 'BSD loopback header (link type 0, DLT_NULL): the address family in host byte order',
  layouts: [LOOPBACK],
  fields: {
    family: 'address family of the next layer: 2 IPv4, 24 IPv6 (28 and 30, FreeBSD and macOS, also decoded)',
    byteorder: 'byte order of family: "le" (default) or "be" (decoded as found; written only when "be")',
  },
  codec: loopbackCodec,
  dissector: dissectLoopback,
  linkType: LINKTYPE_NULL,
  next: NEXT,
  display: { name: 'NULL' },
});
