/** ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet. */
import { DecodeError } from '../errors.js';
import type { ByteWriter } from '../bytes/view.js';
import { defineLayout, fieldNames, type LayerType, getField, putFields, readFields } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';
import { KIND_RAW } from './kinds.js';

export const ARP = defineLayout('arp', 28, {
  // Hardware/protocol type and address lengths are fixed for Ethernet/IPv4; hidden fields so a
  // crafted packet can still set them.
  hwtype: { bit: 0, width: 16, def: 1, hidden: true },
  ptype: { bit: 16, width: 16, def: 0x0800, hidden: true },
  hwlen: { bit: 32, width: 8, def: 6, hidden: true },
  plen: { bit: 40, width: 8, def: 4, hidden: true },
  op: { bit: 48, width: 16, def: 1 },
  hwsrc: { bit: 64, width: 48, kind: 'mac' },
  psrc: { bit: 112, width: 32, kind: 'ipv4' },
  hwdst: { bit: 144, width: 48, kind: 'mac', def: '00:00:00:00:00:00' },
  pdst: { bit: 192, width: 32, kind: 'ipv4' },
});

const F = ARP.f;

/** Fast path: write an Ethernet/IPv4 ARP packet at offset `off` of `out` (MACs as 6-byte arrays, addresses as 32-bit numbers); returns the end offset. */
export function encodeArp(out: ByteWriter, off: number, op: number, hwsrc: Uint8Array, psrc: number, hwdst: Uint8Array, pdst: number): number {
  const p = out.room(off, ARP.length);
  const b = out.bytes;
  const d = out.view;
  // Ethernet/IPv4: the layout's defaults for hardware/protocol type and address lengths.
  d.setUint16(p + F.hwtype.byte, F.hwtype.def as number);
  d.setUint16(p + F.ptype.byte, F.ptype.def as number);
  d.setUint8(p + F.hwlen.byte, F.hwlen.def as number);
  d.setUint8(p + F.plen.byte, F.plen.def as number);
  d.setUint16(p + F.op.byte, op);
  for (let i = 0; i < 6; i++) {
    b[off + F.hwsrc.byte + i] = hwsrc[i]!;
    b[off + F.hwdst.byte + i] = hwdst[i]!;
  }
  d.setUint32(p + F.psrc.byte, psrc);
  d.setUint32(p + F.pdst.byte, pdst);
  return off + ARP.length;
}

export const arpCodec: Codec = {
  kind: 'arp',
  names: fieldNames(ARP),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, ARP);
  },
  link() {},
  emit(buf, off, _end, list, i) {
    putFields(buf, off, ARP, list[i]!.v);
  },
};

export const dissectArp: Dissector = {
  scan(buf, off, st) {
    needBytes('arp', off, ARP.length, st);
    if (getField(buf, off, F.hwlen) !== 6 || getField(buf, off, F.plen) !== 4) {
      // Other address sizes would move every following field: not this layout.
      throw new DecodeError('arp', off, `address lengths ${getField(buf, off, F.hwlen)}/${getField(buf, off, F.plen)}, only Ethernet/IPv4 (6/4) is decoded`);
    }
    st.next = KIND_RAW; // what follows is Ethernet padding
    return ARP.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'arp' };
    readFields(buf, off, ARP, layer);
    return layer;
  },
};

/** An `arp` layer. */
export type ArpLayer = LayerType<'arp', typeof ARP>;

export const arpProtocol = defineProtocol<ArpLayer>({
  kind: 'arp',
  title: 'ARP for IPv4 over Ethernet (RFC 826)',
  layouts: [ARP],
  fields: {
    op: 'operation: 1 request, 2 reply (1)',
    hwsrc: 'sender MAC address',
    psrc: 'sender IPv4 address',
    hwdst: 'target MAC address ("00:00:00:00:00:00")',
    pdst: 'target IPv4 address',
    hwtype: 'hardware type (1, Ethernet; written by the decoder only when different)',
    ptype: 'protocol type (0x0800; written by the decoder only when different)',
    hwlen: 'hardware address length (6; written by the decoder only when different)',
    plen: 'protocol address length (4; written by the decoder only when different)',
  },
  codec: arpCodec,
  dissector: dissectArp,
  selectedBy: [{ table: 'ethertype', value: 0x0806 }],
  display: { name: 'ARP', info: (l) => (l.op === 2 ? `${String(l.psrc)} is at ${String(l.hwsrc)}` : `Who has ${String(l.pdst)}? Tell ${String(l.psrc)}`) },
});
