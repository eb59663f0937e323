/**
 * IPv6 Fragment header (`ipv6frag`, next header 44; RFC 8200 §4.5): 8 bytes. A first fragment
 * (offset 0) is followed by the upper-layer header, decoded as usual (lengths that claim the
 * whole packet are expected when more fragments follow); after a later fragment the rest is `raw`.
 */
import { defineLayout, fieldNames, type LayerType, getField, putFields, readFields } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import { nextField } from './protocols.js';
import { KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const IPV6_FRAGMENT = defineLayout('ipv6frag', 8, {
  nh: { bit: 0, width: 8, auto: true },
  res: { bit: 8, width: 8, def: 0 },
  offset: { bit: 16, width: 13, def: 0 },
  res2: { bit: 29, width: 2, def: 0 },
  m: { bit: 31, width: 1, def: 0 },
  id: { bit: 32, width: 32, def: 0 },
});

/** Next header value of the Fragment header. */
export const IPPROTO_IPV6_FRAGMENT = 44;
const F = IPV6_FRAGMENT.f;
const NEXT = nextField(F.nh, 'ipproto');
const NEXT_OF_NH = NEXT.table.decode;

export const ipv6fragCodec: Codec = {
  kind: 'ipv6frag',
  names: fieldNames(IPV6_FRAGMENT),
  ipExtension: true,
  prepare(layer, index) {
    return prepareFixed(layer, index, this, IPV6_FRAGMENT);
  },
  link() {},
  emit(buf, off, _end, list, i) {
    putFields(buf, off, IPV6_FRAGMENT, list[i]!.v);
  },
};

export const dissectIpv6frag: Dissector = {
  scan(buf, off, st) {
    needBytes('ipv6frag', off, IPV6_FRAGMENT.length, st);
    if (getField(buf, off, F.offset) !== 0) {
      st.next = KIND_RAW;
    } else {
      st.next = NEXT_OF_NH[getField(buf, off, F.nh)]!;
      // A first fragment holds the start of the upper-layer packet: lengths claiming the whole
      // packet are expected, and a header cut at the fragment's end is the rest of it, not damage.
      if (getField(buf, off, F.m)) st.quoted = true;
    }
    return IPV6_FRAGMENT.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'ipv6frag' };
    readFields(buf, off, IPV6_FRAGMENT, layer);
    return layer;
  },
};

/** An `ipv6frag` layer. */
export type Ipv6fragLayer = LayerType<'ipv6frag', typeof IPV6_FRAGMENT>;

export const ipv6fragProtocol = defineProtocol<Ipv6fragLayer>({
  kind: 'ipv6frag',
  title: 'IPv6 Fragment header (RFC 8200 §4.5), next header 44',
  layouts: [IPV6_FRAGMENT],
  fields: {
    offset: 'fragment offset in 8-byte units (0)',
    m: 'M flag: more fragments follow (0)',
    id: 'identification (0)',
    res: 'the reserved byte after nh (0)',
    res2: 'the 2 reserved bits before M (0)',
    nh: 'next header: IP protocol of the next layer (of the whole packet, also in later fragments)',
  },
  codec: ipv6fragCodec,
  dissector: dissectIpv6frag,
  selectedBy: [{ table: 'ipproto', value: IPPROTO_IPV6_FRAGMENT }],
  next: NEXT,
  display: { name: 'FRAG', info: (l) => `frag offset ${String(l.offset)}${l.m ? ' M' : ''} id ${String(l.id)}` },
});
