/** Ethernet II header: destination and source MAC, EtherType. */
import type { ByteWriter } from '../bytes/view.js';
import { defineLayout, fieldNames, type LayerType, getField, putFields, readFields } from './fields.js';
import { prepareFixed, needBytes } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const ETHER = defineLayout('ether', 14, {
  dst: { bit: 0, width: 48, kind: 'mac' },
  src: { bit: 48, width: 48, kind: 'mac' },
  type: { bit: 96, width: 16, auto: true },
});

/**
 * The fast encoders (encodeEther and the fused encodeVxlanFrame) store the two MACs as three
 * big-endian 32-bit words from `atMacs` (dst 0-3 | dst 4-5 src 0-1 | src 2-5), then the
 * 16-bit type at `atType`: that needs dst, src and type back to back, which the layout says
 * (checked here once).
 */
export const ETHER_WORDS = { atMacs: ETHER.f.dst.byte, atType: ETHER.f.type.byte } as const;
if (ETHER.f.src.byte !== ETHER_WORDS.atMacs + 6 || ETHER_WORDS.atType !== ETHER_WORDS.atMacs + 12) throw new Error('ether layout: dst, src and type are not back to back');
const DST = ETHER_WORDS.atMacs;
const NEXT = nextField(ETHER.f.type, 'ethertype');
const NEXT_OF_TYPE = NEXT.table.decode;
const HEADER = ETHER.length;

/** Fast path: write an Ethernet header (MACs as 6-byte arrays) at offset `off` of `out`; returns the payload offset. */
export function encodeEther(out: ByteWriter, off: number, dst: Uint8Array, src: Uint8Array, type: number): number {
  const p = out.room(off, HEADER) + DST;
  const d = out.view;
  // Four stores instead of twelve byte stores; the MAC bytes are read once each.
  d.setUint32(p, (dst[0]! << 24) | (dst[1]! << 16) | (dst[2]! << 8) | dst[3]!);
  d.setUint32(p + 4, (dst[4]! << 24) | (dst[5]! << 16) | (src[0]! << 8) | src[1]!);
  d.setUint32(p + 8, (src[2]! << 24) | (src[3]! << 16) | (src[4]! << 8) | src[5]!);
  d.setUint16(p + 12, type);
  return off + HEADER;
}

export const etherCodec: Codec = {
  kind: 'ether',
  names: fieldNames(ETHER),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, ETHER);
  },
  link() {},
  emit(buf, off, _end, list, i) {
    putFields(buf, off, ETHER, list[i]!.v);
  },
};

export const dissectEther: Dissector = {
  scan(buf, off, st) {
    needBytes('ether', off, ETHER.length, st);
    st.next = NEXT_OF_TYPE[getField(buf, off, ETHER.f.type)]!;
    return ETHER.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'ether' };
    readFields(buf, off, ETHER, layer);
    return layer;
  },
};

/** An `ether` layer. */
export type EtherLayer = LayerType<'ether', typeof ETHER>;

export const etherProtocol = defineProtocol<EtherLayer>({
  kind: 'ether',
  title: 'Ethernet II header (IEEE 802.3): destination and source MAC, EtherType',
  layouts: [ETHER],
  fields: { dst: 'destination MAC address', src: 'source MAC address', type: 'EtherType of the next layer' },
  codec: etherCodec,
  dissector: dissectEther,
  selectedBy: [
    { table: 'ethertype', value: 0x6558, scope: ['gre', 'geneve'] },
    { table: 'gpe', value: 3 },
  ],
  linkType: 1,
  next: NEXT,
  display: { name: 'ETH', addresses: 'link', hex: ['type'] },
});
