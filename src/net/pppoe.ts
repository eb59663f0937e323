/**
 * PPPoE (RFC 2516): the same 6-byte header in both stages.
 * - Session stage (`pppoe`, EtherType 0x8864): the length covers the PPP frame that follows
 *   (protocol field included); the PPP frame carries no address/control pair.
 * - Discovery stage (`pppoed`, EtherType 0x8863): PADI, PADO, PADR, PADS and PADT, whose length
 *   covers the tags (type, length, value) that are the rest of the packet.
 */
import { EncodeError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, type LayerType, checkKnownFields, hexFieldBytes, defineLayout, fieldNames, getField, putFields, readFields, takeFields } from './fields.js';
import { narrowExtent, needBytes, prepareFixed, putHeader } from './codec.js';
import { KIND, KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const PPPOE = defineLayout('pppoe', 6, {
  version: { bit: 0, width: 4, def: 1 },
  type: { bit: 4, width: 4, def: 1 },
  code: { bit: 8, width: 8, def: 0 },
  sessionid: { bit: 16, width: 16 },
  len: { bit: 32, width: 16, auto: true },
});
const F = PPPOE.f;

export const pppoeCodec: Codec = {
  kind: 'pppoe',
  names: fieldNames(PPPOE),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, PPPOE);
  },
  link() {},
  emit(buf, off, end, list, i) {
    const v = list[i]!.v;
    if (v.nums[F.len.index] === AUTO) {
      const len = end - off - PPPOE.length;
      if (len > 0xffff) throw new EncodeError(i, 'pppoe', 'len', `${len} bytes exceed 65535`);
      v.nums[F.len.index] = len;
    }
    putFields(buf, off, PPPOE, v);
  },
};

export const dissectPppoe: Dissector = {
  scan(buf, off, st) {
    needBytes('pppoe', off, PPPOE.length, st);
    narrowExtent('pppoe', off, off + PPPOE.length + getField(buf, off, F.len), st, 'length');
    // Session data (code 0) is a PPP frame; anything else is not a session packet.
    st.next = getField(buf, off, F.code) === 0 ? KIND.ppp : KIND_RAW;
    return PPPOE.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'pppoe' };
    readFields(buf, off, PPPOE, layer);
    return layer;
  },
};

/** A `pppoe` layer. */
export type PppoeLayer = LayerType<'pppoe', typeof PPPOE>;

export const pppoeProtocol = defineProtocol<PppoeLayer>({
  kind: 'pppoe',
  title: 'PPPoE session stage (RFC 2516, EtherType 0x8864): carries a PPP frame',
  layouts: [PPPOE],
  fields: {
    sessionid: 'session id',
    version: 'version (1)',
    type: 'type (1)',
    code: 'code (0: session data)',
    len: 'length of the PPP frame after the header (auto)',
  },
  codec: pppoeCodec,
  dissector: dissectPppoe,
  selectedBy: [{ table: 'ethertype', value: 0x8864 }],
  display: { name: 'PPPoE', info: (l) => `session 0x${Number(l.sessionid).toString(16)}` },
});

/**
 * The same 6 bytes in the discovery stage, where what may be left out differs: the code names
 * the packet (PADI, PADO, …), so it must be given; the session id is 0 until PADS assigns one.
 */
export const PPPOED = defineLayout('pppoed', 6, {
  version: { bit: 0, width: 4, def: 1 },
  type: { bit: 4, width: 4, def: 1 },
  code: { bit: 8, width: 8 },
  sessionid: { bit: 16, width: 16, def: 0 },
  len: { bit: 32, width: 16, auto: true },
});
const D = PPPOED.f;

/** Discovery codes (RFC 2516 §5) by number, as `decode` names them. */
const DISCOVERY_CODE: Readonly<Record<number, string>> = { 0x09: 'PADI', 0x07: 'PADO', 0x19: 'PADR', 0x65: 'PADS', 0xa7: 'PADT' };
const DISCOVERY_NAMES = fieldNames(PPPOED, 'tags');

export const pppoedCodec: Codec = {
  kind: 'pppoed',
  names: DISCOVERY_NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, DISCOVERY_NAMES);
    const v = takeFields(layer, index, PPPOED);
    const tags = hexFieldBytes(layer, index, 'pppoed', 'tags') ?? new Uint8Array(0);
    if (tags.length > 0xffff) throw new EncodeError(index, 'pppoed', 'tags', `${tags.length} bytes exceed 65535`);
    return { index, layer, codec: this, v, headerLength: PPPOED.length + tags.length, data: tags };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    if (p.v.nums[D.len.index] === AUTO) p.v.nums[D.len.index] = p.data!.length;
    putHeader(buf, off, PPPOED, p);
  },
};

export const dissectPppoed: Dissector = {
  scan(buf, off, st) {
    needBytes('pppoed', off, PPPOED.length, st);
    // The tags are this layer's own bytes; what follows the length (Ethernet padding) is raw.
    narrowExtent('pppoed', off, off + PPPOED.length + getField(buf, off, D.len), st, 'length');
    st.next = KIND_RAW;
    return st.end - off;
  },
  fields(buf, off, len) {
    const layer: Layer = { layer: 'pppoed' };
    readFields(buf, off, PPPOED, layer);
    layer.tags = bytesToHex(buf, off + PPPOED.length, off + len);
    return layer;
  },
};

/** A `pppoed` layer. */
export type PppoedLayer = LayerType<'pppoed', typeof PPPOED, { tags?: string }>;

export const pppoedProtocol = defineProtocol<PppoedLayer>({
  kind: 'pppoed',
  title: 'PPPoE discovery stage (RFC 2516, EtherType 0x8863): PADI, PADO, PADR, PADS, PADT and their tags',
  layouts: [PPPOED],
  fields: {
    code: 'code: 0x09 PADI, 0x07 PADO, 0x19 PADR, 0x65 PADS, 0xa7 PADT',
    sessionid: 'session id (0 until PADS assigns one)',
    tags: 'the tags as hex: 2-byte type, 2-byte length, value, repeated (""); not checked',
    version: 'version (1)',
    type: 'type (1)',
    len: 'length of the tags (auto)',
  },
  codec: pppoedCodec,
  dissector: dissectPppoed,
  selectedBy: [{ table: 'ethertype', value: 0x8863 }],
  display: {
    name: 'PPPoED',
    info: (l) => {
      const code = Number(l.code);
      const session = Number(l.sessionid);
      return `${DISCOVERY_CODE[code] ?? `code 0x${code.toString(16)}`}${session ? `, session 0x${session.toString(16)}` : ''}`;
    },
  },
});
