/**
 * MPLS label stack entry (RFC 3032). The S bit marks the bottom of the stack; what follows it
 * is not named in the bytes, so the decoder looks at the first nibble (4 IPv4, 6 IPv6) unless
 * told that the label carries an Ethernet pseudowire (DecodeOptions.mplsEthernet).
 */
import type { ByteWriter } from '../bytes/view.js';
import { AUTO, defineLayout, type LayerType, fieldNames, getField, putFields, readFields, shiftIn } from './fields.js';
import { needBytes, prepareFixed, rawLayer } from './codec.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';
import { KIND, KIND_RAW } from './kinds.js';

export const MPLS = defineLayout('mpls', 4, {
  label: { bit: 0, width: 20 },
  tc: { bit: 20, width: 3, def: 0 },
  s: { bit: 23, width: 1, auto: true },
  ttl: { bit: 24, width: 8, def: 64 },
});

const F = MPLS.f;
const LABEL_SHIFT = shiftIn(F.label, 0, 4);
const TC_SHIFT = shiftIn(F.tc, 0, 4);
const S_SHIFT = shiftIn(F.s, 0, 4);
const TTL_SHIFT = shiftIn(F.ttl, 0, 4);

/** Fast path: write one label stack entry at offset `off` of `out`; returns the next offset. */
export function encodeMpls(out: ByteWriter, off: number, label: number, tc: number, s: number, ttl: number): number {
  out.view.setUint32(out.room(off, MPLS.length) + F.label.byte, (label << LABEL_SHIFT) | (tc << TC_SHIFT) | (s << S_SHIFT) | (ttl << TTL_SHIFT));
  return off + MPLS.length;
}

export const mplsCodec: Codec = {
  kind: 'mpls',
  names: fieldNames(MPLS),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, MPLS);
  },
  link(list, i) {
    // Bottom of stack: the last entry of a run of mpls layers.
    const n = list[i]!.v.nums;
    if (n[F.s.index] === AUTO) n[F.s.index] = list[i + 1]?.codec.kind === 'mpls' ? 0 : 1;
  },
  emit(buf, off, _end, list, i) {
    putFields(buf, off, MPLS, list[i]!.v);
  },
};

/** Internal dissector kind: the 4-byte pseudowire control word (RFC 4385), decoded as `raw`. */
export const PW_CONTROL_WORD = 'pw-control-word' as const;
/** MPLS-in-UDP (RFC 7510); Wireshark decodes it by this port too. */
export const UDP_PORT_MPLS = 6635;

export const dissectMpls: Dissector = {
  scan(buf, off, st) {
    needBytes('mpls', off, MPLS.length, st);
    if (getField(buf, off, F.s) === 0) st.next = KIND.mpls;
    else if (st.opts.mplsEthernet === 'cw') st.next = KIND[PW_CONTROL_WORD];
    else if (st.opts.mplsEthernet === 'nocw') st.next = KIND.ether;
    else {
      const p = off + MPLS.length;
      const nibble = p < st.end ? buf[p]! >>> 4 : 0;
      st.next = nibble === 4 ? KIND.ipv4 : nibble === 6 ? KIND.ipv6 : KIND_RAW;
    }
    return MPLS.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'mpls' };
    readFields(buf, off, MPLS, layer);
    return layer;
  },
};

export const dissectPwControlWord: Dissector = {
  scan(_buf, off, st) {
    needBytes('mpls', off, 4, st);
    st.next = KIND.ether;
    return 4;
  },
  fields(buf, off) {
    return rawLayer(buf, off, off + 4);
  },
};

/** An `mpls` layer (one label stack entry). */
export type MplsLayer = LayerType<'mpls', typeof MPLS>;

export const mplsProtocol = defineProtocol<MplsLayer>({
  kind: 'mpls',
  title: 'MPLS label stack entry (RFC 3032); in IP as protocol 137 (RFC 4023), in UDP on port 6635 (RFC 7510)',
  layouts: [MPLS],
  fields: {
    label: 'label, 0..2^20-1',
    tc: 'traffic class (0)',
    ttl: 'time to live (64)',
    s: 'bottom of stack (1 on the last mpls of a run of them)',
  },
  codec: mplsCodec,
  dissector: dissectMpls,
  selectedBy: [
    { table: 'ethertype', value: 0x8847 },
    { table: 'ethertype', value: 0x8848, direction: 'decode' },
    { table: 'ipproto', value: 137 },
    { table: 'udp.dport', value: UDP_PORT_MPLS },
  ],
  display: { name: 'MPLS', info: (l) => `label ${String(l.label)}` },
});

/** The pseudowire control word before an Ethernet frame (decoded when DecodeOptions.mplsEthernet is 'cw'); shown as `raw`. */
export const pwControlWordProtocol = defineProtocol<never, typeof PW_CONTROL_WORD>({
  kind: PW_CONTROL_WORD,
  title: 'Ethernet pseudowire control word (RFC 4385), decoded as a 4-byte raw layer',
  layouts: [],
  fields: {},
  dissector: dissectPwControlWord,
  display: { name: 'DATA' },
});
