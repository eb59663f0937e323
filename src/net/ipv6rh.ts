/**
 * IPv6 Routing header (`ipv6rh`, next header 43; RFC 8200 §4.4): next header, length, routing
 * type, segments left, then type-specific data (a multiple of 8 bytes with the first 4). With
 * segments left > 0 the upper-layer pseudo-header uses the final destination (RFC 8200 §8.1):
 * the last address for types 0 and 2, Segment List[0] for type 4 (RFC 8754), the IPv6
 * destination otherwise.
 */
import { EncodeError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, checkKnownFields, hexFieldBytes, type LayerType, defineLayout, fieldNames, getField, readFields, takeFields } from './fields.js';
import { putHeader } from './codec.js';
import { nextField } from './protocols.js';
import { scanExtension } from './ipv6opts.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const IPV6_ROUTING = defineLayout('ipv6rh', 4, {
  nh: { bit: 0, width: 8, auto: true },
  len: { bit: 8, width: 8, auto: true },
  type: { bit: 16, width: 8 },
  segleft: { bit: 24, width: 8 },
});

const F = IPV6_ROUTING.f;
const NEXT = nextField(F.nh, 'ipproto');
const NEXT_OF_NH = NEXT.table.decode;
const NAMES = fieldNames(IPV6_ROUTING, 'data');
const MAX_LENGTH = (F.len.max + 1) * 8;
/** Segment Routing Header (RFC 8754): Segment List[0] starts after last entry, flags and tag. */
const SRH_TYPE = 4;
const SRH_SEGMENT0 = 4;

/** The final destination a routing header names (RFC 8200 §8.1), or undefined when it is the IPv6 destination. */
export function routingFinalDestination(type: number, segleft: number, data: Uint8Array): Uint8Array | undefined {
  if (segleft === 0) return undefined;
  if ((type === 0 || type === 2) && data.length >= 16) return data.subarray(data.length - 16);
  if (type === SRH_TYPE && data.length >= SRH_SEGMENT0 + 16) return data.subarray(SRH_SEGMENT0, SRH_SEGMENT0 + 16);
  return undefined;
}

export const ipv6rhCodec: Codec = {
  kind: 'ipv6rh',
  names: NAMES,
  ipExtension: true,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, IPV6_ROUTING);
    const data = hexFieldBytes(layer, index, 'ipv6rh', 'data') ?? new Uint8Array(0);
    const total = IPV6_ROUTING.length + data.length;
    if (total % 8 !== 0 || total > MAX_LENGTH) throw new EncodeError(index, 'ipv6rh', 'data', `${data.length} bytes: with the 4-byte start the header must be a multiple of 8 up to ${MAX_LENGTH}`);
    const finalDst = routingFinalDestination(v.nums[F.type.index]!, v.nums[F.segleft.index]!, data);
    return finalDst ? { index, layer, codec: this, v, headerLength: total, data, finalDst } : { index, layer, codec: this, v, headerLength: total, data };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    if (p.v.nums[F.len.index] === AUTO) p.v.nums[F.len.index] = p.headerLength / 8 - 1;
    putHeader(buf, off, IPV6_ROUTING, p);
  },
};

export const dissectIpv6rh: Dissector = {
  scan(buf, off, st) {
    const hlen = scanExtension('ipv6rh', buf, off, st);
    st.next = NEXT_OF_NH[getField(buf, off, F.nh)]!;
    return hlen;
  },
  fields(buf, off, hlen) {
    const layer: Layer = { layer: 'ipv6rh' };
    readFields(buf, off, IPV6_ROUTING, layer);
    layer.data = bytesToHex(buf, off + IPV6_ROUTING.length, off + hlen);
    return layer;
  },
};

/** An `ipv6rh` layer. */
export type Ipv6rhLayer = LayerType<'ipv6rh', typeof IPV6_ROUTING, { data?: string }>;

export const ipv6rhProtocol = defineProtocol<Ipv6rhLayer>({
  kind: 'ipv6rh',
  title: 'IPv6 Routing header (RFC 8200 §4.4; type 4 = Segment Routing, RFC 8754), next header 43',
  layouts: [IPV6_ROUTING],
  fields: {
    type: 'routing type',
    segleft: 'segments left',
    data: 'hex after the first 4 bytes (""); a multiple of 8 bytes with them',
    nh: 'next header: IP protocol of the next layer',
    len: 'length in 8-byte units, not counting the first 8',
  },
  codec: ipv6rhCodec,
  dissector: dissectIpv6rh,
  selectedBy: [{ table: 'ipproto', value: 43 }],
  next: NEXT,
  display: { name: 'RH', info: (l) => `RH type ${String(l.type)} segleft ${String(l.segleft)}` },
});
