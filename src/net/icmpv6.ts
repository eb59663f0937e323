/**
 * ICMPv6 (RFC 4443; Neighbor Discovery RFC 4861). The first 4 bytes are common; what follows
 * depends on the type: echo (128/129) id and seq; Packet Too Big (2) the MTU; Parameter Problem
 * (4) the pointer; Destination Unreachable and Time Exceeded (1, 3) 4 unused bytes; Neighbor
 * Solicitation/Advertisement (135/136) a flags byte, 3 reserved bytes, the target address and ND
 * options; any other type its bytes after the first 4 as `data`. Error messages (1–4) quote the
 * packet that caused them, decoded as layers. The checksum covers the IPv6 pseudo-header.
 */
import { EncodeError } from '../errors.js';
import { foldSum, onesSum } from '../bytes/checksum.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, checkKnownFields, hexFieldBytes, defineLayout, type LayerType, fieldNames, getField, readFields, setField, takeField, takeFields, type FieldSpec, type Layout } from './fields.js';
import { needBytes, putHeader } from './codec.js';
import { KIND, KIND_RAW } from './kinds.js';
import { pseudoHeaderLayer, pseudoHeaderSum } from './pseudo.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

const COMMON = {
  type: { bit: 0, width: 8 },
  code: { bit: 8, width: 8, def: 0 },
  chksum: { bit: 16, width: 16, auto: true },
} as const satisfies Record<string, FieldSpec>;

export const ICMPV6_ECHO = defineLayout('icmpv6', 8, { ...COMMON, id: { bit: 32, width: 16 }, seq: { bit: 48, width: 16 } });
export const ICMPV6_PACKET_TOO_BIG = defineLayout('icmpv6', 8, { ...COMMON, mtu: { bit: 32, width: 32 } });
export const ICMPV6_PARAM_PROBLEM = defineLayout('icmpv6', 8, { ...COMMON, pointer: { bit: 32, width: 32 } });
export const ICMPV6_ERROR = defineLayout('icmpv6', 8, { ...COMMON, unused: { bit: 32, width: 32, def: 0 } });
export const ICMPV6_ND = defineLayout('icmpv6', 24, {
  ...COMMON,
  flags: { bit: 32, width: 8, def: 0 },
  reserved: { bit: 40, width: 24, def: 0, hidden: true },
  target: { bit: 64, width: 128, kind: 'ipv6' },
});
export const ICMPV6_OTHER = defineLayout('icmpv6', 4, COMMON);

/** IP protocol (IPv6 next header) number of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG_TYPE = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAMETER_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;

/** The layout of a type, and the name of its variable part (after the layout), if any. */
export function icmpv6Layout(type: number): Layout {
  switch (type) {
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      return ICMPV6_ECHO;
    case ICMPV6_PACKET_TOO_BIG_TYPE:
      return ICMPV6_PACKET_TOO_BIG;
    case ICMPV6_PARAMETER_PROBLEM:
      return ICMPV6_PARAM_PROBLEM;
    case ICMPV6_DEST_UNREACHABLE:
    case ICMPV6_TIME_EXCEEDED:
      return ICMPV6_ERROR;
    case ICMPV6_NEIGHBOR_SOLICITATION:
    case ICMPV6_NEIGHBOR_ADVERTISEMENT:
      return ICMPV6_ND;
    default:
      return ICMPV6_OTHER;
  }
}

/** The hex field after a layout's fixed part: ND options, or an unknown type's data. */
function tailName(layout: Layout): 'options' | 'data' | undefined {
  return layout === ICMPV6_ND ? 'options' : layout === ICMPV6_OTHER ? 'data' : undefined;
}

const LAYOUTS = [ICMPV6_ECHO, ICMPV6_PACKET_TOO_BIG, ICMPV6_PARAM_PROBLEM, ICMPV6_ERROR, ICMPV6_ND, ICMPV6_OTHER];
const NAMES = new Map<Layout, ReadonlySet<string>>(LAYOUTS.map((l) => [l, tailName(l) ? fieldNames(l, tailName(l)!) : fieldNames(l)]));
const ALL_NAMES = new Set([...NAMES.values()].flatMap((s) => [...s]));
const CHKSUM = ICMPV6_OTHER.f.chksum;

export const icmpv6Codec: Codec = {
  kind: 'icmpv6',
  names: ALL_NAMES,
  prepare(layer, index) {
    const head = { nums: [0, 0, 0], addrs: [] };
    takeField(layer, index, ICMPV6_OTHER.f.type, head);
    const type = head.nums[0]!;
    const layout = icmpv6Layout(type);
    const names = NAMES.get(layout)!;
    checkKnownFields(layer, index, ALL_NAMES, { names, what: `ICMPv6 type ${type}` });
    const v = takeFields(layer, index, layout);
    const tail = tailName(layout);
    let data: Uint8Array = new Uint8Array(0);
    if (tail) {
      data = hexFieldBytes(layer, index, 'icmpv6', tail) ?? data;
    }
    return { index, layer, codec: this, v, headerLength: layout.length + data.length, data, layout };
  },
  link(list, i) {
    if (list[i]!.v.nums[CHKSUM.index] === AUTO && !pseudoHeaderLayer(list, i)) {
      throw new EncodeError(i, 'icmpv6', 'chksum', 'is auto but no ipv6 layer comes before icmpv6 for the pseudo-header; give it explicitly');
    }
  },
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const layout = p.layout!;
    const autoSum = p.v.nums[CHKSUM.index] === AUTO;
    if (autoSum) p.v.nums[CHKSUM.index] = 0;
    putHeader(buf, off, layout, p);
    if (autoSum) {
      const sum = onesSum(buf, off, end, pseudoHeaderSum(list, i, pseudoHeaderLayer(list, i)!, IPPROTO_ICMPV6, end - off));
      setField(buf, off, CHKSUM, ~foldSum(sum) & 0xffff);
    }
  },
};

export const dissectIcmpv6: Dissector = {
  scan(buf, off, st) {
    needBytes('icmpv6', off, ICMPV6_OTHER.length, st);
    const type = getField(buf, off, ICMPV6_OTHER.f.type);
    const layout = icmpv6Layout(type);
    if (layout === ICMPV6_OTHER) {
      st.next = KIND_RAW;
      return st.end - off; // the data belongs to the layer
    }
    needBytes('icmpv6', off, layout.length, st);
    if (type >= ICMPV6_DEST_UNREACHABLE && type <= ICMPV6_PARAMETER_PROBLEM) {
      // The quoted packet is decoded, knowing it is cut short by design.
      st.next = KIND.ipv6;
      st.quoted = true;
      return layout.length;
    }
    st.next = KIND_RAW; // echo data
    return layout === ICMPV6_ND ? st.end - off : layout.length;
  },
  fields(buf, off, len) {
    const layout = icmpv6Layout(getField(buf, off, ICMPV6_OTHER.f.type));
    const layer: Layer = { layer: 'icmpv6' };
    readFields(buf, off, layout, layer);
    const tail = tailName(layout);
    if (tail) layer[tail] = bytesToHex(buf, off + layout.length, off + len);
    return layer;
  },
};

/** An `icmpv6` layer: its fields depend on the type. */
export type Icmpv6Layer =
  | LayerType<'icmpv6', typeof ICMPV6_ECHO>
  | LayerType<'icmpv6', typeof ICMPV6_PACKET_TOO_BIG>
  | LayerType<'icmpv6', typeof ICMPV6_PARAM_PROBLEM>
  | LayerType<'icmpv6', typeof ICMPV6_ERROR>
  | LayerType<'icmpv6', typeof ICMPV6_ND, { options?: string }>
  | LayerType<'icmpv6', typeof ICMPV6_OTHER, { data?: string }>;

export const icmpv6Protocol = defineProtocol<Icmpv6Layer>({
  kind: 'icmpv6',
  title: 'ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861); error messages quote the packet that caused them, decoded as layers',
  layouts: LAYOUTS,
  fields: {
    type: 'message type',
    code: 'code (0)',
    chksum: 'checksum over the IPv6 pseudo-header and the whole message',
    id: 'identifier (echo, types 128 and 129)',
    seq: 'sequence number (echo, types 128 and 129)',
    mtu: 'MTU of the next hop (type 2, Packet Too Big)',
    pointer: 'offset of the problem in the quoted packet (type 4, Parameter Problem)',
    unused: 'the 4 bytes after the checksum (types 1 and 3; 0)',
    flags: 'the byte after the checksum (types 135/136; 0): NA R 0x80, S 0x40, O 0x20',
    reserved: 'the 3 bytes after flags (types 135/136; 0; written by the decoder only when not 0)',
    target: 'target address (types 135/136)',
    options: 'ND options after the target as hex (types 135/136; "")',
    data: 'the bytes after the 4-byte header as hex (other types; "")',
  },
  codec: icmpv6Codec,
  dissector: dissectIcmpv6,
  selectedBy: [{ table: 'ipproto', value: IPPROTO_ICMPV6 }],
  display: {
    name: 'ICMPv6',
    quotes: true,
    info: (layer) => {
      const l = layer as Layer; // the fields depend on the type
      switch (l.type) {
        case ICMPV6_ECHO_REQUEST:
          return `Echo request id=${String(l.id)} seq=${String(l.seq)}`;
        case ICMPV6_ECHO_REPLY:
          return `Echo reply id=${String(l.id)} seq=${String(l.seq)}`;
        case ICMPV6_PACKET_TOO_BIG_TYPE:
          return `Packet too big mtu ${String(l.mtu)}`;
        case ICMPV6_NEIGHBOR_SOLICITATION:
          return `Neighbor solicitation for ${String(l.target)}`;
        case ICMPV6_NEIGHBOR_ADVERTISEMENT:
          return `Neighbor advertisement ${String(l.target)}`;
        default:
          return `type ${String(l.type)} code ${String(l.code)}`;
      }
    },
    hex: ['chksum'],
  },
});
