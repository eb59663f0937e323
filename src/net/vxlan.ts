/** VXLAN header (RFC 7348): flags (I bit 0x08), 24-bit VNI; always carries an Ethernet frame. */
import type { ByteWriter } from '../bytes/view.js';
import { defineLayout, fieldNames, putFields, readFields, shiftIn } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import type { Codec, Dissector, Layer } from './types.js';
import { KIND_ETHER } from './kinds.js';

export const VXLAN = defineLayout('vxlan', 8, {
  flags: { bit: 0, width: 8, def: 0x08 },
  reserved1: { bit: 8, width: 24, hidden: true, def: 0 },
  vni: { bit: 32, width: 24 },
  reserved2: { bit: 56, width: 8, hidden: true, def: 0 },
});

/** The I flag: the VNI is valid. */
export const VXLAN_FLAG_I = 0x08;

const AT_FLAGS = VXLAN.f.flags.byte;
const AT_VNI = VXLAN.f.vni.byte;
const FLAGS_SHIFT = shiftIn(VXLAN.f.flags, AT_FLAGS, 4);
const VNI_SHIFT = shiftIn(VXLAN.f.vni, AT_VNI, 4);
const HEADER = VXLAN.length;

/** Fast path: write a VXLAN header at offset `off` of `out` (reserved fields zero); returns the payload offset. */
export function encodeVxlan(out: ByteWriter, off: number, vni: number, flags: number): number {
  const p = out.room(off, HEADER);
  const d = out.view;
  d.setUint32(p + AT_FLAGS, flags << FLAGS_SHIFT); // reserved1 zero
  d.setUint32(p + AT_VNI, vni << VNI_SHIFT); // reserved2 zero
  return off + HEADER;
}

export const vxlanCodec: Codec = {
  kind: 'vxlan',
  names: fieldNames(VXLAN),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, VXLAN);
  },
  link() {},
  emit(buf, off, _end, list, i) {
    putFields(buf, off, VXLAN, list[i]!.v);
  },
};

export const dissectVxlan: Dissector = {
  scan(_buf, off, st) {
    needBytes('vxlan', off, VXLAN.length, st);
    st.next = KIND_ETHER;
    return VXLAN.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'vxlan' };
    readFields(buf, off, VXLAN, layer);
    return layer;
  },
};
