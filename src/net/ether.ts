/** Ethernet II header: destination and source MAC, EtherType. */
import type { ByteWriter } from '../bytes/view.js';
import { defineLayout, fieldNames, getField, putFields, readFields } from './fields.js';
import { prepareFixed, needBytes } from './codec.js';
import { ETHERTYPE_OF, KIND_OF_ETHERTYPE, linkNext } from './protocols.js';
import type { Codec, Dissector, Layer } from './types.js';

export const ETHER = defineLayout('ether', 14, {
  dst: { bit: 0, width: 48, kind: 'mac' },
  src: { bit: 48, width: 48, kind: 'mac' },
  type: { bit: 96, width: 16, auto: true },
});

const DST = ETHER.f.dst.byte;
const SRC = ETHER.f.src.byte;
const TYPE = ETHER.f.type.byte;
const HEADER = ETHER.length;

/** Fast path: write an Ethernet header (MACs as 6-byte arrays) at offset `off` of `out`; returns the payload offset. */
export function encodeEther(out: ByteWriter, off: number, dst: Uint8Array, src: Uint8Array, type: number): number {
  const p = out.room(off, HEADER);
  const b = out.bytes;
  for (let i = 0; i < 6; i++) {
    b[off + DST + i] = dst[i]!;
    b[off + SRC + i] = src[i]!;
  }
  out.view.setUint16(p + TYPE, type);
  return off + HEADER;
}

export const etherCodec: Codec = {
  kind: 'ether',
  names: fieldNames(ETHER),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, ETHER);
  },
  link(list, i) {
    linkNext(list, i, ETHER.f.type.index, 'type', ETHERTYPE_OF);
  },
  emit(buf, off, _end, list, i) {
    putFields(buf, off, ETHER, list[i]!.v);
  },
};

export const dissectEther: Dissector = {
  scan(buf, off, st) {
    needBytes('ether', off, ETHER.length, st);
    st.next = KIND_OF_ETHERTYPE.get(getField(buf, off, ETHER.f.type)) ?? '';
    return ETHER.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'ether' };
    readFields(buf, off, ETHER, layer);
    return layer;
  },
};
