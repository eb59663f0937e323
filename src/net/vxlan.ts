/** VXLAN header (RFC 7348): flags (I bit 0x08), 24-bit VNI; always carries an Ethernet frame. */
import type { ByteWriter } from '../bytes/view.js';
import { defineLayout, fieldNames, type LayerType, putFields, readFields, shiftIn } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';
import { KIND } from './kinds.js';

export const VXLAN = defineLayout('vxlan', 8, {
  flags: { bit: 0, width: 8, def: 0x08 },
  reserved1: { bit: 8, width: 24, hidden: true, def: 0 },
  vni: { bit: 32, width: 24 },
  reserved2: { bit: 56, width: 8, hidden: true, def: 0 },
});

/** UDP destination port of VXLAN (IANA). */
export const UDP_PORT_VXLAN = 4789;

/** The I flag: the VNI is valid. */
export const VXLAN_FLAG_I = 0x08;

/**
 * The header as two big-endian 32-bit words (flags + reserved1, vni + reserved2), for the fast
 * encoders (encodeVxlan and the fused encodeVxlanFrame): byte offsets and shifts from the layout;
 * the reserved fields are checked to share those words (they are written as zero).
 */
export const VXLAN_WORDS = {
  at0: VXLAN.f.flags.byte,
  flags: shiftIn(VXLAN.f.flags, VXLAN.f.flags.byte, 4),
  reserved1: shiftIn(VXLAN.f.reserved1, VXLAN.f.flags.byte, 4),
  at1: VXLAN.f.vni.byte,
  vni: shiftIn(VXLAN.f.vni, VXLAN.f.vni.byte, 4),
  reserved2: shiftIn(VXLAN.f.reserved2, VXLAN.f.vni.byte, 4),
} as const;
const AT_FLAGS = VXLAN_WORDS.at0;
const AT_VNI = VXLAN_WORDS.at1;
const FLAGS_SHIFT = VXLAN_WORDS.flags;
const VNI_SHIFT = VXLAN_WORDS.vni;
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
    st.next = KIND.ether;
    return VXLAN.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'vxlan' };
    readFields(buf, off, VXLAN, layer);
    return layer;
  },
};

/** A `vxlan` layer. */
export type VxlanLayer = LayerType<'vxlan', typeof VXLAN>;

export const vxlanProtocol = defineProtocol<VxlanLayer>({
  kind: 'vxlan',
  title: 'VXLAN header (RFC 7348): flags, 24-bit VNI; carries an Ethernet frame',
  layouts: [VXLAN],
  fields: {
    vni: 'VXLAN network identifier, 0..2^24-1',
    flags: 'flags (0x08, the I bit)',
    reserved1: 'the 24 bits after the flags (0; written by the decoder only when not 0)',
    reserved2: 'the 8 bits after the VNI (0; written by the decoder only when not 0)',
  },
  codec: vxlanCodec,
  dissector: dissectVxlan,
  selectedBy: [{ table: 'udp.dport', value: UDP_PORT_VXLAN }],
  display: { name: 'VXLAN', info: (l) => `VNI ${String(l.vni)}` },
});
