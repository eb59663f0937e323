/**
 * NSH, the Network Service Header (RFC 8300): service path id and index for service function
 * chaining, an 8-byte base and service path header, then context headers (`length` counts
 * 4-byte words of the whole header; MD type 1 has 16 bytes of context, type 2 variable TLVs —
 * both kept as `context` hex). Field names are scapy's; `context` joins its context_header/vlch.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { AUTO, checkKnownFields, defineLayout, fieldNames, getField, putFields, readFields, takeFields } from './fields.js';
import { needBytes } from './codec.js';
import { GPE_PROTO_OF, NEXT_OF_GPE, linkNext } from './protocols.js';
import type { Codec, Dissector, Layer } from './types.js';

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
const NAMES = fieldNames(NSH, 'context');

export const nshCodec: Codec = {
  kind: 'nsh',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, NSH);
    let data: Uint8Array = new Uint8Array(0);
    if (layer.context !== undefined) {
      const b = typeof layer.context === 'string' ? hexToBytes(layer.context) : null;
      if (!b || b.length % 4 !== 0) throw new EncodeError(index, 'nsh', 'context', 'is not hex of a multiple of 4 bytes');
      if (b.length + NSH.length > 63 * 4) throw new EncodeError(index, 'nsh', 'context', `${b.length} bytes exceed the ${63 * 4 - NSH.length} the length field allows`);
      data = b;
    }
    if (v.nums[F.length.index] === AUTO) v.nums[F.length.index] = (NSH.length + data.length) / 4;
    return { index, layer, codec: this, v, headerLength: NSH.length + data.length, data };
  },
  link(list, i) {
    linkNext(list, i, F.nextproto.index, 'nextproto', GPE_PROTO_OF);
  },
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    putFields(buf, off, NSH, p.v);
    buf.set(p.data!, off + NSH.length);
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
