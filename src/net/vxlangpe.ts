/**
 * VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe, UDP port 4790): VXLAN with a next-protocol byte (P flag
 * 0x04), so it carries IPv4, IPv6, Ethernet, NSH or MPLS.
 */
import { defineLayout, fieldNames, putFields, readFields, getField } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import { GPE_PROTO_OF, NEXT_OF_GPE, linkNext } from './protocols.js';
import type { Codec, Dissector, Layer } from './types.js';

export const VXLAN_GPE = defineLayout('vxlangpe', 8, {
  flags: { bit: 0, width: 8, def: 0x0c },
  reserved1: { bit: 8, width: 16, hidden: true, def: 0 },
  nextproto: { bit: 24, width: 8, auto: true },
  vni: { bit: 32, width: 24 },
  reserved2: { bit: 56, width: 8, hidden: true, def: 0 },
});



export const vxlanGpeCodec: Codec = {
  kind: 'vxlangpe',
  names: fieldNames(VXLAN_GPE),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, VXLAN_GPE);
  },
  link(list, i) {
    linkNext(list, i, VXLAN_GPE.f.nextproto.index, 'nextproto', GPE_PROTO_OF);
  },
  emit(buf, off, _end, list, i) {
    putFields(buf, off, VXLAN_GPE, list[i]!.v);
  },
};

export const dissectVxlanGpe: Dissector = {
  scan(buf, off, st) {
    needBytes('vxlangpe', off, VXLAN_GPE.length, st);
    st.next = NEXT_OF_GPE[getField(buf, off, VXLAN_GPE.f.nextproto)]!;
    return VXLAN_GPE.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'vxlangpe' };
    readFields(buf, off, VXLAN_GPE, layer);
    return layer;
  },
};
