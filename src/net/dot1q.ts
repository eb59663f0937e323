/**
 * IEEE 802.1Q tag (C-tag, `dot1q`): the 4 bytes after the TPID (the TPID is the previous
 * layer's EtherType, 0x8100). The 802.1ad S-tag (dot1ad.ts) has the same layout.
 */
import type { ByteWriter } from '../bytes/view.js';
import { defineLayout, fieldNames, type LayerType, getField, putFields, readFields, shiftIn } from './fields.js';
import { prepareFixed, needBytes } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type Layer, type ProtocolDescriptor } from './types.js';

export const VLAN_TAG = defineLayout('dot1q', 4, {
  pcp: { bit: 0, width: 3, def: 0 },
  dei: { bit: 3, width: 1, def: 0 },
  vid: { bit: 4, width: 12 },
  type: { bit: 16, width: 16, auto: true },
});

const TCI = VLAN_TAG.f.pcp.byte;
const NEXT = nextField(VLAN_TAG.f.type, 'ethertype');
const NEXT_OF_TYPE = NEXT.table.decode;
const PCP_SHIFT = shiftIn(VLAN_TAG.f.pcp, TCI, 2);
const DEI_SHIFT = shiftIn(VLAN_TAG.f.dei, TCI, 2);
const VID_SHIFT = shiftIn(VLAN_TAG.f.vid, TCI, 2);

/** Fast path: write a tag's TCI and inner EtherType at offset `off` of `out`; returns the payload offset. */
export function encodeVlanTag(out: ByteWriter, off: number, pcp: number, dei: number, vid: number, type: number): number {
  const p = out.room(off, VLAN_TAG.length);
  const d = out.view;
  d.setUint16(p + TCI, (pcp << PCP_SHIFT) | (dei << DEI_SHIFT) | (vid << VID_SHIFT));
  d.setUint16(p + VLAN_TAG.f.type.byte, type);
  return off + VLAN_TAG.length;
}

/** The codec of a VLAN tag layer (dot1q here, dot1ad in dot1ad.ts). */
export function tagCodec(kind: 'dot1q' | 'dot1ad'): Codec {
  return {
    kind,
    names: fieldNames(VLAN_TAG),
    prepare(layer, index) {
      return prepareFixed(layer, index, this, VLAN_TAG);
    },
    link() {},
    emit(buf, off, _end, list, i) {
      putFields(buf, off, VLAN_TAG, list[i]!.v);
    },
  };
}


/** The dissector of a VLAN tag layer. */
export function tagDissector(kind: 'dot1q' | 'dot1ad'): Dissector {
  return {
    scan(buf, off, st) {
      needBytes(kind, off, VLAN_TAG.length, st);
      st.next = NEXT_OF_TYPE[getField(buf, off, VLAN_TAG.f.type)]!;
      return VLAN_TAG.length;
    },
    fields(buf, off) {
      const layer: Layer = { layer: kind };
      readFields(buf, off, VLAN_TAG, layer);
      return layer;
    },
  };
}


/** A `dot1q` or `dot1ad` layer. */
export type TagLayer<K extends 'dot1q' | 'dot1ad'> = LayerType<K, typeof VLAN_TAG>;

const TAG_FIELDS = {
  vid: 'VLAN identifier, 0..4095',
  pcp: 'priority code point (0)',
  dei: 'drop eligible indicator (0)',
  type: 'EtherType of the next layer',
};

/** The descriptor of a VLAN tag kind (dot1q here, dot1ad in dot1ad.ts): the same layout, another TPID. */
export function tagProtocol<const K extends 'dot1q' | 'dot1ad'>(kind: K, title: string, name: string, selectedBy: ProtocolDescriptor['selectedBy']): ProtocolDescriptor<K, TagLayer<K>> {
  return defineProtocol<TagLayer<K>>({
    kind,
    title,
    layouts: [VLAN_TAG],
    fields: TAG_FIELDS,
    codec: tagCodec(kind),
    dissector: tagDissector(kind),
    selectedBy,
    next: NEXT,
    display: { name, info: (l) => `VLAN ${String(l.vid)}`, hex: ['type'] },
  });
}

export const dot1qProtocol = tagProtocol('dot1q', 'IEEE 802.1Q C-tag (TPID 0x8100): PCP, DEI, VLAN ID, EtherType', '802.1Q', [{ table: 'ethertype', value: 0x8100 }]);
