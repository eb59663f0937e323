/**
 * VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe, UDP port 4790): VXLAN with a next-protocol byte (P flag
 * 0x04), so it carries IPv4, IPv6, Ethernet, NSH or MPLS.
 */
import { type LayerType, defineLayout, fieldNames, putFields, readFields, getField } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const VXLAN_GPE = defineLayout('vxlangpe', 8, {
  flags: { bit: 0, width: 8, def: 0x0c },
  reserved1: { bit: 8, width: 16, hidden: true, def: 0 },
  nextproto: { bit: 24, width: 8, auto: true },
  vni: { bit: 32, width: 24 },
  reserved2: { bit: 56, width: 8, hidden: true, def: 0 },
});

export const UDP_PORT_VXLAN_GPE = 4790;
const NEXT = nextField(VXLAN_GPE.f.nextproto, 'gpe');
const NEXT_OF_GPE = NEXT.table.decode;

export const vxlanGpeCodec: Codec = {
  kind: 'vxlangpe',
  names: fieldNames(VXLAN_GPE),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, VXLAN_GPE);
  },
  link() {},
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

/** A `vxlangpe` layer. */
export type VxlanGpeLayer = LayerType<'vxlangpe', typeof VXLAN_GPE>;

export const vxlanGpeProtocol = defineProtocol<VxlanGpeLayer>({
  kind: 'vxlangpe',
  title: 'VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe, UDP 4790): VXLAN with a next protocol (IPv4, IPv6, Ethernet, NSH, MPLS)',
  layouts: [VXLAN_GPE],
  fields: {
    vni: 'VXLAN network identifier, 0..2^24-1',
    flags: 'flags (0x0c: I and P bits)',
    nextproto: 'next protocol: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS (auto)',
    reserved1: 'the 16 bits after the flags (0; written by the decoder only when not 0)',
    reserved2: 'the 8 bits after the VNI (0; as reserved1)',
  },
  codec: vxlanGpeCodec,
  dissector: dissectVxlanGpe,
  selectedBy: [{ table: 'udp.dport', value: UDP_PORT_VXLAN_GPE }],
  next: NEXT,
  display: { name: 'VXLAN-GPE', info: (l) => `VNI ${String(l.vni)}` },
});
