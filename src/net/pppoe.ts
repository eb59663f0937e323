/**
 * PPPoE session stage (RFC 2516, EtherType 0x8864): a 6-byte header whose length covers the PPP
 * frame that follows (protocol field included); the PPP frame carries no address/control pair.
 */
import { EncodeError } from '../errors.js';
import { AUTO, type LayerType, defineLayout, fieldNames, getField, putFields, readFields } from './fields.js';
import { narrowExtent, needBytes, prepareFixed } from './codec.js';
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
