/**
 * NSH, the Network Service Header (RFC 8300): service path id and index for service function
 * chaining, an 8-byte base and service path header, then context headers (`length` counts
 * 4-byte words of the whole header; MD type 1 has 16 bytes of context, type 2 variable TLVs —
 * both kept as `context` hex). Field names are scapy's; `context` joins its context_header/vlch.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, type LayerType, checkKnownFields, hexFieldBytes, defineLayout, fieldNames, getField, readFields, takeFields } from './fields.js';
import { needBytes, putHeader } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const NSH = defineLayout('nsh', 8, {
  ver: { bit: 0, width: 2, def: 0 },
  oam: { bit: 2, width: 1, def: 0 },
  unused1: { bit: 3, width: 1, def: 0, hidden: true },
  ttl: { bit: 4, width: 6, def: 63 },
  length: { bit: 10, width: 6, auto: true },
  unused2: { bit: 16, width: 4, def: 0, hidden: true },
  mdtype: { bit: 20, width: 4, def: 2 },
  nextproto: { bit: 24, width: 8, auto: true },
  spi: { bit: 32, width: 24 },
  si: { bit: 56, width: 8, def: 255 },
});


const F = NSH.f;
const NEXT = nextField(F.nextproto, 'gpe');
const NEXT_OF_GPE = NEXT.table.decode;
const NAMES = fieldNames(NSH, 'context');

export const nshCodec: Codec = {
  kind: 'nsh',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, NSH);
    const data = hexFieldBytes(layer, index, 'nsh', 'context', { multipleOf: 4 }) ?? new Uint8Array(0);
    if (data.length + NSH.length > 63 * 4) throw new EncodeError(index, 'nsh', 'context', `${data.length} bytes exceed the ${63 * 4 - NSH.length} the length field allows`);
    if (v.nums[F.length.index] === AUTO) v.nums[F.length.index] = (NSH.length + data.length) / 4;
    return { index, layer, codec: this, v, headerLength: NSH.length + data.length, data };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    putHeader(buf, off, NSH, p);
  },
};

export const dissectNsh: Dissector = {
  scan(buf, off, st) {
    needBytes('nsh', off, NSH.length, st);
    const len = getField(buf, off, F.length) * 4;
    if (len < NSH.length) throw new DecodeError('nsh', off, `length ${len / 4} words is below the 2-word header`);
    needBytes('nsh', off, len, st);
    st.next = NEXT_OF_GPE[getField(buf, off, F.nextproto)]!;
    return len;
  },
  fields(buf, off, len) {
    const layer: Layer = { layer: 'nsh' };
    readFields(buf, off, NSH, layer);
    layer.context = bytesToHex(buf, off + NSH.length, off + len);
    return layer;
  },
};

/** An `nsh` layer. */
export type NshLayer = LayerType<'nsh', typeof NSH, { context?: string }>;

export const nshProtocol = defineProtocol<NshLayer>({
  kind: 'nsh',
  title: 'NSH, Network Service Header (RFC 8300): service path and index, context headers; after VXLAN-GPE or EtherType 0x894f',
  layouts: [NSH],
  fields: {
    spi: 'service path identifier',
    si: 'service index (255)',
    ver: 'version (0)',
    oam: 'O bit (0)',
    unused1: 'the bit after O (0; written by the decoder only when not 0)',
    ttl: 'time to live (63)',
    length: 'header length in 4-byte words (auto)',
    unused2: 'the 4 bits before mdtype (0; as unused1)',
    mdtype: 'metadata type: 1 fixed 16-byte context, 2 variable TLVs (2)',
    nextproto: 'next protocol: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS (auto)',
    context: 'context headers after the 8-byte base and service path header, hex, a multiple of 4 bytes ("")',
  },
  codec: nshCodec,
  dissector: dissectNsh,
  selectedBy: [
    { table: 'gpe', value: 4 },
    { table: 'ethertype', value: 0x894f },
  ],
  next: NEXT,
  display: { name: 'NSH', info: (l) => `SPI ${String(l.spi)} SI ${String(l.si)}` },
});
