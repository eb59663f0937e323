/** IPv6 fixed header (RFC 8200). Extension headers are not decoded: their bytes stay `raw`. */
import { DecodeError, EncodeError } from '../errors.js';
import type { ByteWriter } from '../bytes/view.js';
import { AUTO, defineLayout, type LayerType, fieldNames, getField, putFields, readFields, shiftIn } from './fields.js';
import { narrowExtent, needBytes, prepareFixed } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const IPV6 = defineLayout('ipv6', 40, {
  version: { bit: 0, width: 4, def: 6 },
  tc: { bit: 4, width: 8, def: 0 },
  fl: { bit: 12, width: 20, def: 0 },
  plen: { bit: 32, width: 16, auto: true },
  nh: { bit: 48, width: 8, auto: true },
  hlim: { bit: 56, width: 8, def: 64 },
  src: { bit: 64, width: 128, kind: 'ipv6' },
  dst: { bit: 192, width: 128, kind: 'ipv6' },
});

const F = IPV6.f;
const NEXT = nextField(F.nh, 'ipproto');
const NEXT_OF_NH = NEXT.table.decode;
const VERSION_SHIFT = shiftIn(F.version, 0, 4);
const TC_SHIFT = shiftIn(F.tc, 0, 4);
const FL_SHIFT = shiftIn(F.fl, 0, 4);

export const ipv6Codec: Codec = {
  kind: 'ipv6',
  names: fieldNames(IPV6),
  prepare(layer, index) {
    return prepareFixed(layer, index, this, IPV6);
  },
  link() {},
  emit(buf, off, end, list, i) {
    const n = list[i]!.v.nums;
    if (n[F.plen.index] === AUTO) {
      const plen = end - off - IPV6.length;
      if (plen > 0xffff) throw new EncodeError(i, 'ipv6', 'plen', `${plen} bytes exceed 65535 (jumbograms are not supported)`);
      n[F.plen.index] = plen;
    }
    putFields(buf, off, IPV6, list[i]!.v);
  },
};

export const dissectIpv6: Dissector = {
  scan(buf, off, st) {
    needBytes('ipv6', off, IPV6.length, st);
    const version = getField(buf, off, F.version);
    if (version !== 6) throw new DecodeError('ipv6', off, `version ${version}, expected 6`);
    narrowExtent('ipv6', off, off + IPV6.length + getField(buf, off, F.plen), st, 'payload length');
    st.next = NEXT_OF_NH[getField(buf, off, F.nh)]!;
    return IPV6.length;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'ipv6' };
    readFields(buf, off, IPV6, layer);
    return layer;
  },
};

/**
 * Fast path: write a 40-byte IPv6 header at offset `off` of `out` (addresses as 16-byte arrays); returns
 * the payload offset.
 */
export function encodeIpv6(
  out: ByteWriter,
  off: number,
  tc: number,
  flowLabel: number,
  payloadLength: number,
  nextHeader: number,
  hopLimit: number,
  src: Uint8Array,
  dst: Uint8Array,
): number {
  const p = out.room(off, IPV6.length);
  const b = out.bytes;
  const d = out.view;
  d.setUint32(p + F.version.byte, (6 << VERSION_SHIFT) | (tc << TC_SHIFT) | (flowLabel << FL_SHIFT));
  d.setUint16(p + F.plen.byte, payloadLength);
  d.setUint8(p + F.nh.byte, nextHeader);
  d.setUint8(p + F.hlim.byte, hopLimit);
  for (let i = 0; i < 16; i++) {
    b[off + F.src.byte + i] = src[i]!;
    b[off + F.dst.byte + i] = dst[i]!;
  }
  return off + IPV6.length;
}

/** An `ipv6` layer. */
export type Ipv6Layer = LayerType<'ipv6', typeof IPV6>;

export const ipv6Protocol = defineProtocol<Ipv6Layer>({
  kind: 'ipv6',
  title: 'IPv6 fixed header (RFC 8200)',
  layouts: [IPV6],
  fields: {
    src: 'source address',
    dst: 'destination address',
    hlim: 'hop limit (64)',
    tc: 'traffic class (0)',
    fl: 'flow label (0)',
    version: 'version (6)',
    plen: 'payload length (extension headers included)',
    nh: 'next header: IP protocol of the next layer',
  },
  codec: ipv6Codec,
  dissector: dissectIpv6,
  selectedBy: [
    { table: 'ethertype', value: 0x86dd },
    { table: 'ipproto', value: 41 },
    // BSD loopback: AF_INET6 is 24 on NetBSD/OpenBSD (written), 28 on FreeBSD, 30 on macOS.
    { table: 'bsd.af', value: 24 },
    { table: 'bsd.af', value: 28, direction: 'decode' },
    { table: 'bsd.af', value: 30, direction: 'decode' },
  ],
  linkType: 229,
  next: NEXT,
  display: { name: 'IPv6', addresses: 'network' },
});
