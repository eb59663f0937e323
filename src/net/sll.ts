/**
 * Linux cooked capture headers, what `tcpdump -i any` writes: SLL (`sll`, link type 113, 16
 * bytes) and SLL2 (`sll2`, link type 276, 20 bytes, with the interface index). Both carry the
 * packet type (0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 outgoing), the ARPHRD
 * hardware type, the link-layer address (8 bytes, `halen` of them used) and the EtherType of
 * what follows.
 */
import { defineLayout, fieldNames, getField, putFields, readFields, type LayerType } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const SLL = defineLayout('sll', 16, {
  pkttype: { bit: 0, width: 16, def: 0 },
  hatype: { bit: 16, width: 16, def: 1 },
  halen: { bit: 32, width: 16, def: 6 },
  addr: { bit: 48, width: 64, kind: 'bytes', def: '' },
  proto: { bit: 112, width: 16, auto: true },
});

export const SLL2 = defineLayout('sll2', 20, {
  proto: { bit: 0, width: 16, auto: true },
  reserved: { bit: 16, width: 16, def: 0, hidden: true },
  ifindex: { bit: 32, width: 32, def: 0 },
  hatype: { bit: 64, width: 16, def: 1 },
  pkttype: { bit: 80, width: 8, def: 0 },
  halen: { bit: 88, width: 8, def: 6 },
  addr: { bit: 96, width: 64, kind: 'bytes', def: '' },
});

export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

const NEXT_SLL = nextField(SLL.f.proto, 'ethertype');
const NEXT_SLL2 = nextField(SLL2.f.proto, 'ethertype');

function cookedCodec(kind: 'sll' | 'sll2', layout: typeof SLL | typeof SLL2): Codec {
  return {
    kind,
    names: fieldNames(layout),
    prepare(layer, index) {
      return prepareFixed(layer, index, this, layout);
    },
    link() {},
    emit(buf, off, _end, list, i) {
      putFields(buf, off, layout, list[i]!.v);
    },
  };
}

function cookedDissector(kind: 'sll' | 'sll2', layout: typeof SLL | typeof SLL2, next: Uint8Array): Dissector {
  const proto = layout.f.proto;
  return {
    scan(buf, off, st) {
      needBytes(kind, off, layout.length, st);
      st.next = next[getField(buf, off, proto)]!;
      return layout.length;
    },
    fields(buf, off) {
      const layer: Layer = { layer: kind };
      readFields(buf, off, layout, layer);
      return layer;
    },
  };
}

const COMMON_FIELDS = {
  pkttype: 'packet type (0): 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us',
  hatype: 'ARPHRD hardware type (1, Ethernet)',
  halen: 'link-layer address length (6)',
  addr: 'link-layer address as hex, 8 bytes ("" = zeros; a shorter value is padded with zeros)',
  proto: 'EtherType of the next layer',
};

/** An `sll` layer. */
export type SllLayer = LayerType<'sll', typeof SLL>;
/** An `sll2` layer. */
export type Sll2Layer = LayerType<'sll2', typeof SLL2>;

export const sllProtocol = defineProtocol<SllLayer>({
  kind: 'sll',
  title: 'Linux cooked capture header v1 (SLL, link type 113), as `tcpdump -i any` writes',
  layouts: [SLL],
  fields: COMMON_FIELDS,
  codec: cookedCodec('sll', SLL),
  dissector: cookedDissector('sll', SLL, NEXT_SLL.table.decode),
  linkType: LINKTYPE_LINUX_SLL,
  next: NEXT_SLL,
  display: { name: 'SLL', hex: ['proto'] },
});

export const sll2Protocol = defineProtocol<Sll2Layer>({
  kind: 'sll2',
  title: 'Linux cooked capture header v2 (SLL2, link type 276): SLL with the interface index',
  layouts: [SLL2],
  fields: { ...COMMON_FIELDS, ifindex: 'interface index (0)', reserved: 'the 16 reserved bits (0; written by the decoder only when not 0)' },
  codec: cookedCodec('sll2', SLL2),
  dissector: cookedDissector('sll2', SLL2, NEXT_SLL2.table.decode),
  linkType: LINKTYPE_LINUX_SLL2,
  next: NEXT_SLL2,
  display: { name: 'SLL2', info: (l) => (l.ifindex ? `if ${String(l.ifindex)}` : undefined), hex: ['proto'] },
});
