/**
 * ICMP for IPv4 (RFC 792). The first 4 bytes are common; the next 4 depend on the type: echo
 * (0/8) has id and seq, destination unreachable / fragmentation needed (3/4) the next-hop MTU
 * (RFC 1191), every other type 4 `unused` bytes. The checksum covers the whole message,
 * including a quoted packet given as the following layers.
 */
import { AUTO, checkKnownFields, defineLayout, type LayerType, fieldNames, getField, putFields, readFields, setField, takeField, takeFields, type FieldSpec, type Layout } from './fields.js';
import { internetChecksum } from '../bytes/checksum.js';
import type { ByteWriter } from '../bytes/view.js';
import { needBytes } from './codec.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';
import { KIND, KIND_RAW } from './kinds.js';

const COMMON = {
  type: { bit: 0, width: 8 },
  code: { bit: 8, width: 8, def: 0 },
  chksum: { bit: 16, width: 16, auto: true },
} as const satisfies Record<string, FieldSpec>;

export const ICMP_ECHO = defineLayout('icmp', 8, {
  ...COMMON,
  id: { bit: 32, width: 16 },
  seq: { bit: 48, width: 16 },
});

export const ICMP_FRAG_NEEDED = defineLayout('icmp', 8, {
  ...COMMON,
  unused: { bit: 32, width: 16, def: 0, hidden: true },
  mtu: { bit: 48, width: 16 },
});

export const ICMP_OTHER = defineLayout('icmp', 8, {
  ...COMMON,
  unused: { bit: 32, width: 32, def: 0 },
});

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_CODE_FRAG_NEEDED = 4;

/** The layout of the rest-of-header for a type/code. */
export function icmpLayout(type: number, code: number): Layout {
  if (type === ICMP_ECHO_REPLY || type === ICMP_ECHO_REQUEST) return ICMP_ECHO;
  if (type === ICMP_DEST_UNREACHABLE && code === ICMP_CODE_FRAG_NEEDED) return ICMP_FRAG_NEEDED;
  return ICMP_OTHER;
}

const E = ICMP_ECHO.f;

/**
 * Fast path: write an 8-byte ICMP header at offset `off` of `out`: type, code, then `rest` as the 32-bit
 * rest-of-header (echo: id << 16 | seq; frag needed: the MTU; others: unused). The checksum is
 * written as 0: call icmpChecksum once the data is in place. Returns the data offset.
 */
export function encodeIcmp(out: ByteWriter, off: number, type: number, code: number, rest: number): number {
  const p = out.room(off, ICMP_ECHO.length);
  const d = out.view;
  d.setUint8(p + E.type.byte, type);
  d.setUint8(p + E.code.byte, code);
  d.setUint16(p + E.chksum.byte, 0);
  d.setUint32(p + E.id.byte, rest);
  return off + ICMP_ECHO.length;
}

/** Fast path: compute and write the checksum of the ICMP message at [off, end) of `out`; returns it. */
export function icmpChecksum(out: ByteWriter, off: number, end: number): number {
  const c = internetChecksum(out.bytes, out.room(off, end - off), end);
  out.view.setUint16(out.room(off, ICMP_ECHO.length) + E.chksum.byte, c);
  return c;
}

const NAMES = new Map<Layout, ReadonlySet<string>>([ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_OTHER].map((l) => [l, fieldNames(l)]));
const ALL_NAMES = new Set([...NAMES.values()].flatMap((s) => [...s]));
const CHKSUM = ICMP_OTHER.f.chksum;

export const icmpCodec: Codec = {
  kind: 'icmp',
  names: ALL_NAMES,
  prepare(layer, index) {
    const head = { nums: [0, 0, 0], addrs: [] };
    takeField(layer, index, ICMP_OTHER.f.type, head);
    takeField(layer, index, ICMP_OTHER.f.code, head);
    const layout = icmpLayout(head.nums[0]!, head.nums[1]!);
    const names = NAMES.get(layout)!;
    checkKnownFields(layer, index, ALL_NAMES, { names, what: `ICMP type ${head.nums[0]} code ${head.nums[1]}` });
    return { index, layer, codec: this, v: takeFields(layer, index, layout), headerLength: layout.length, layout };
  },
  link() {},
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const layout = p.layout!;
    const autoSum = p.v.nums[CHKSUM.index] === AUTO;
    if (autoSum) p.v.nums[CHKSUM.index] = 0;
    putFields(buf, off, layout, p.v);
    if (autoSum) setField(buf, off, CHKSUM, internetChecksum(buf, off, end));
  },
};

/** Error messages, whose data is the start of the IPv4 packet that caused them (RFC 792). */
export const ICMP_ERROR_TYPES: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);

export const dissectIcmp: Dissector = {
  scan(buf, off, st) {
    needBytes('icmp', off, 8, st);
    if (ICMP_ERROR_TYPES.has(getField(buf, off, ICMP_OTHER.f.type))) {
      // The quoted packet is decoded, knowing it is cut short by design.
      st.next = KIND.ipv4;
      st.quoted = true;
    } else {
      st.next = KIND_RAW; // echo data and the like
    }
    return 8;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'icmp' };
    readFields(buf, off, icmpLayout(getField(buf, off, ICMP_OTHER.f.type), getField(buf, off, ICMP_OTHER.f.code)), layer);
    return layer;
  },
};

/** An `icmp` layer: its fields depend on the type. */
export type IcmpLayer = LayerType<'icmp', typeof ICMP_ECHO> | LayerType<'icmp', typeof ICMP_FRAG_NEEDED> | LayerType<'icmp', typeof ICMP_OTHER>;

export const icmpProtocol = defineProtocol<IcmpLayer>({
  kind: 'icmp',
  title: 'ICMP for IPv4 (RFC 792); an error message quotes the packet that caused it, decoded as layers',
  layouts: [ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_OTHER],
  fields: {
    type: 'message type',
    code: 'code (0)',
    chksum: 'checksum over the whole message, quoted packet included',
    id: 'identifier (echo, types 0 and 8)',
    seq: 'sequence number (echo, types 0 and 8)',
    mtu: 'next-hop MTU (type 3 code 4, RFC 1191)',
    unused: 'the 4 bytes after the checksum (other types; 0)',
  },
  codec: icmpCodec,
  dissector: dissectIcmp,
  selectedBy: [{ table: 'ipproto', value: 1 }],
  display: {
    name: 'ICMP',
    quotes: true,
    info: (layer) => {
      const l = layer as Layer; // the fields depend on the type
      return (l.type === 8 ? `Echo request id=${String(l.id)} seq=${String(l.seq)}` : l.type === 0 ? `Echo reply id=${String(l.id)} seq=${String(l.seq)}` : `type ${String(l.type)} code ${String(l.code)}${l.mtu !== undefined ? ` mtu ${String(l.mtu)}` : ''}`);
    },
    hex: ['chksum'],
  },
});
