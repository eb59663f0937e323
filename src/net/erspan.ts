/**
 * ERSPAN (draft-foschiano-erspan), the mirrored frames of a remote SPAN session carried in GRE:
 * type I (GRE protocol 0x88be without a sequence number) has no header at all; type II (0x88be,
 * `ver` 1) an 8-byte header; type III (0x22eb, `ver` 2) a 12-byte header, followed by an 8-byte
 * platform-specific sub-header when its `o` bit is set. The payload is the mirrored Ethernet
 * frame (type III frame type `ft` 0; other frame types stay `raw`). Field names are scapy's.
 * Type I is written as `{"layer": "erspan", "ver": 0}`, a layer of no bytes.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { checkKnownFields, type LayerType, defineLayout, fieldNames, getField, putFields, readFields, takeFields, type Layout } from './fields.js';
import { needBytes } from './codec.js';
import { KIND, KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const ERSPAN_II = defineLayout('erspan', 8, {
  ver: { bit: 0, width: 4, def: 1 },
  vlan: { bit: 4, width: 12, def: 0 },
  cos: { bit: 16, width: 3, def: 0 },
  en: { bit: 19, width: 2, def: 0 },
  t: { bit: 21, width: 1, def: 0 },
  session_id: { bit: 22, width: 10 },
  reserved: { bit: 32, width: 12, def: 0, hidden: true },
  index: { bit: 44, width: 20, def: 0 },
});

export const ERSPAN_III = defineLayout('erspan', 12, {
  ver: { bit: 0, width: 4, def: 2 },
  vlan: { bit: 4, width: 12, def: 0 },
  cos: { bit: 16, width: 3, def: 0 },
  bso: { bit: 19, width: 2, def: 0 },
  t: { bit: 21, width: 1, def: 0 },
  session_id: { bit: 22, width: 10 },
  timestamp: { bit: 32, width: 32, def: 0 },
  sgt_other: { bit: 64, width: 16, def: 0 },
  p: { bit: 80, width: 1, def: 0 },
  ft: { bit: 81, width: 5, def: 0 },
  hw: { bit: 86, width: 6, def: 0 },
  d: { bit: 92, width: 1, def: 0 },
  gra: { bit: 93, width: 2, def: 0 },
  o: { bit: 95, width: 1, auto: true },
});

/** The platform-specific sub-header of type III (present when `o` is 1). */
export const ERSPAN_PLATFORM = defineLayout('erspan', 8, {
  platf_id: { bit: 0, width: 6 },
  info1: { bit: 6, width: 26, def: 0 },
  info2: { bit: 32, width: 32, def: 0 },
});

/** GRE protocol types: type I and II share 0x88be, type III has its own. */
export const GRE_PROTO_ERSPAN = 0x88be;
export const GRE_PROTO_ERSPAN_III = 0x22eb;

const NAMES_I: ReadonlySet<string> = new Set(['ver']);
const NAMES_II = fieldNames(ERSPAN_II);
const NAMES_III = fieldNames(ERSPAN_III, ...fieldNames(ERSPAN_PLATFORM));
const PLATFORM_FIELDS = [...fieldNames(ERSPAN_PLATFORM)];

/** aux: [ver, platform sub-header present (0/1)]; data: the platform sub-header's values. */
export const erspanCodec: Codec = {
  kind: 'erspan',
  names: new Set([...NAMES_II, ...NAMES_III]),
  prepare(layer, index) {
    const ver = layer.ver ?? 1;
    if (ver === 0) {
      checkKnownFields(layer, index, NAMES_I);
      return { index, layer, codec: this, v: { nums: [], addrs: [] }, headerLength: 0, aux: [0, 0] };
    }
    if (ver === 1) {
      checkKnownFields(layer, index, NAMES_II);
      return { index, layer, codec: this, v: takeFields(layer, index, ERSPAN_II), headerLength: ERSPAN_II.length, aux: [1, 0] };
    }
    if (ver !== 2) throw new EncodeError(index, 'erspan', 'ver', `${JSON.stringify(ver)} is not 0 (type I), 1 (type II) or 2 (type III)`);
    checkKnownFields(layer, index, NAMES_III);
    const v = takeFields(layer, index, ERSPAN_III);
    const given = PLATFORM_FIELDS.some((n) => layer[n] !== undefined);
    const o = v.nums[ERSPAN_III.f.o.index]!;
    const platform = o === -1 ? given : o === 1;
    if (o === -1) v.nums[ERSPAN_III.f.o.index] = platform ? 1 : 0;
    const pv = platform ? takeFields(layer, index, ERSPAN_PLATFORM) : undefined;
    return { index, layer, codec: this, v, headerLength: ERSPAN_III.length + (platform ? ERSPAN_PLATFORM.length : 0), aux: [2, platform ? 1 : 0, ...(pv?.nums ?? [])] };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    const a = p.aux!;
    if (a[0] === 0) return;
    if (a[0] === 1) {
      putFields(buf, off, ERSPAN_II, p.v);
      return;
    }
    putFields(buf, off, ERSPAN_III, p.v);
    if (a[1]) putFields(buf, off + ERSPAN_III.length, ERSPAN_PLATFORM, { nums: a.slice(2), addrs: [] });
  },
};

function layoutOf(ver: number): Layout | undefined {
  return ver === 1 ? ERSPAN_II : ver === 2 ? ERSPAN_III : undefined;
}

/** Type II and III: the header says which. */
export const dissectErspan: Dissector = {
  scan(buf, off, st) {
    needBytes('erspan', off, 1, st);
    const ver = buf[off]! >>> 4;
    const layout = layoutOf(ver);
    // Another version's header length is unknown: damage, not a guess.
    if (!layout) throw new DecodeError('erspan', off, `version ${ver} is not 1 (type II) or 2 (type III)`);
    needBytes('erspan', off, layout.length, st);
    if (ver === 1) {
      st.next = KIND.ether;
      return layout.length;
    }
    const platform = getField(buf, off, ERSPAN_III.f.o);
    const len = layout.length + (platform ? ERSPAN_PLATFORM.length : 0);
    needBytes('erspan', off, len, st);
    st.next = getField(buf, off, ERSPAN_III.f.ft) === 0 ? KIND.ether : KIND_RAW;
    return len;
  },
  fields(buf, off, len) {
    const layer: Layer = { layer: 'erspan' };
    if (len === 0) return { layer: 'erspan', ver: 0 };
    const layout = layoutOf(buf[off]! >>> 4)!;
    readFields(buf, off, layout, layer);
    if (len > layout.length) readFields(buf, off + layout.length, ERSPAN_PLATFORM, layer);
    return layer;
  },
};

/** Type I: GRE 0x88be without a sequence number, nothing before the mirrored frame. */
export const dissectErspanTypeI: Dissector = {
  scan(_buf, _off, st) {
    st.next = KIND.ether;
    return 0;
  },
  fields() {
    return { layer: 'erspan', ver: 0 };
  },
};

/** An `erspan` layer: type I (ver 0, no fields), II (ver 1, the default) or III (ver 2). */
export type ErspanLayer =
  | { layer: 'erspan'; ver: 0 }
  | LayerType<'erspan', typeof ERSPAN_II, { ver?: 1 }>
  | LayerType<'erspan', typeof ERSPAN_III, { ver: 2; platf_id?: number; info1?: number; info2?: number }>;

export const erspanProtocol = defineProtocol<ErspanLayer>({
  kind: 'erspan',
  title: 'ERSPAN type I, II, III (draft-foschiano-erspan): mirrored Ethernet frames in GRE 0x88be (I: no header, II) and 0x22eb (III)',
  layouts: [ERSPAN_II, ERSPAN_III, ERSPAN_PLATFORM],
  fields: {
    ver: 'version: 0 type I (no header bytes; the GRE header has no sequence number), 1 type II, 2 type III (1)',
    vlan: 'VLAN of the mirrored frame (0)',
    cos: 'class of service (0)',
    en: 'type II: encapsulation type (0)',
    bso: 'type III: bad/short/oversized (0)',
    t: 'truncated (0)',
    session_id: 'session id, 0..1023',
    reserved: 'type II: the 12 bits before index (0; written by the decoder only when not 0)',
    index: 'type II: port index (0)',
    timestamp: 'type III: timestamp (0)',
    sgt_other: 'type III: security group tag (0)',
    p: 'type III: P bit (0)',
    ft: 'type III: frame type, 0 Ethernet (0)',
    hw: 'type III: hardware id (0)',
    d: 'type III: direction, 0 ingress 1 egress (0)',
    gra: 'type III: timestamp granularity (0)',
    o: 'type III: platform sub-header present (auto: 1 when platf_id is given)',
    platf_id: 'type III platform sub-header: platform id',
    info1: 'type III platform sub-header: 26 bits after the platform id (0)',
    info2: 'type III platform sub-header: last 32 bits (0)',
  },
  codec: erspanCodec,
  dissector: dissectErspan,
  selectedBy: [
    { table: 'ethertype', value: GRE_PROTO_ERSPAN, scope: 'gre' },
    { table: 'ethertype', value: GRE_PROTO_ERSPAN_III, scope: 'gre', direction: 'decode' },
  ],
  display: { name: 'ERSPAN', info: (l) => (l.ver === 0 ? 'ERSPAN type I' : `ERSPAN session ${String(l.session_id)}`) },
});

/** Decoder-internal: GRE picks it for 0x88be without a sequence number; its layer is `erspan` with `ver` 0. */
export const erspanTypeIProtocol = defineProtocol<never, 'erspan-type-i'>({
  kind: 'erspan-type-i',
  title: 'ERSPAN type I (no header bytes), decoded as an erspan layer with ver 0',
  layouts: [],
  fields: {},
  dissector: dissectErspanTypeI,
  decodesAs: 'erspan',
  display: { name: 'ERSPAN' },
});
