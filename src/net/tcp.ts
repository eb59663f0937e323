/**
 * TCP header (RFC 9293): 20 bytes, then options (data offset counts 32-bit words of both); the
 * checksum covers the pseudo-header of the IP layer before it (pseudo.ts), the header and the data.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { foldSum, onesSum } from '../bytes/checksum.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, checkKnownFields, wordPaddedOptions, type LayerType, defineLayout, fieldNames, getField, readFields, setField, takeFields } from './fields.js';
import { needBytes, putHeader } from './codec.js';
import { KIND_RAW } from './kinds.js';
import { pseudoHeaderLayer, pseudoHeaderSum } from './pseudo.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const TCP = defineLayout('tcp', 20, {
  sport: { bit: 0, width: 16 },
  dport: { bit: 16, width: 16 },
  seq: { bit: 32, width: 32, def: 0 },
  ack: { bit: 64, width: 32, def: 0 },
  dataofs: { bit: 96, width: 4, auto: true },
  reserved: { bit: 100, width: 4, def: 0 },
  flags: { bit: 104, width: 8, def: 0x02 },
  window: { bit: 112, width: 16, def: 8192 },
  chksum: { bit: 128, width: 16, auto: true },
  urgptr: { bit: 144, width: 16, def: 0 },
});

/** IP protocol number of TCP. */
export const IPPROTO_TCP = 6;
/** scapy's flag letters, lowest bit first: FIN, SYN, RST, PSH, ACK, URG, ECE, CWR. */
const FLAG_LETTERS = 'FSRPAUEC';
const F = TCP.f;
/** The data offset counts 32-bit words of the whole header: at most 15, so 40 bytes of options. */
const MAX_OPTIONS = F.dataofs.max * 4 - TCP.length;
const NAMES = fieldNames(TCP, 'options');

/** TCP flags as a number: a number as it is, or scapy's letters ("SA", "PA"); -1 if neither. */
export function tcpFlags(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return -1;
  let n = 0;
  for (const c of v) {
    const bit = FLAG_LETTERS.indexOf(c);
    if (bit < 0) return -1;
    n |= 1 << bit;
  }
  return n;
}

/** Flags as scapy's letters ("SA"), for display. */
export function tcpFlagLetters(n: number): string {
  let s = '';
  for (let bit = 0; bit < 8; bit++) if (n & (1 << bit)) s += FLAG_LETTERS[bit];
  return s;
}

export const tcpCodec: Codec = {
  kind: 'tcp',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    let src = layer;
    if (typeof layer.flags === 'string') {
      const n = tcpFlags(layer.flags);
      if (n < 0) throw new EncodeError(index, 'tcp', 'flags', `'${layer.flags}' is not a number or letters of "${FLAG_LETTERS}"`);
      src = { ...layer, flags: n };
    }
    const v = takeFields(src, index, TCP);
    const data = wordPaddedOptions(layer, index, 'tcp', MAX_OPTIONS, 'a TCP header');
    return { index, layer, codec: this, v, headerLength: TCP.length + data.length, data };
  },
  link(list, i) {
    if (list[i]!.v.nums[F.chksum.index] === AUTO && !pseudoHeaderLayer(list, i)) {
      throw new EncodeError(i, 'tcp', 'chksum', 'is auto but no ipv4/ipv6 layer comes before tcp for the pseudo-header; give it explicitly');
    }
  },
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const n = p.v.nums;
    if (n[F.dataofs.index] === AUTO) n[F.dataofs.index] = p.headerLength / 4;
    const autoSum = n[F.chksum.index] === AUTO;
    if (autoSum) n[F.chksum.index] = 0;
    putHeader(buf, off, TCP, p);
    if (autoSum) {
      const len = end - off;
      if (len > 0xffff) throw new EncodeError(i, 'tcp', 'chksum', `the ${len}-byte segment exceeds 65535`);
      const sum = onesSum(buf, off, end, pseudoHeaderSum(list, i, pseudoHeaderLayer(list, i)!, IPPROTO_TCP, len));
      setField(buf, off, F.chksum, ~foldSum(sum) & 0xffff);
    }
  },
};

export const dissectTcp: Dissector = {
  scan(buf, off, st) {
    needBytes('tcp', off, TCP.length, st);
    const hlen = getField(buf, off, F.dataofs) * 4;
    if (hlen < TCP.length) throw new DecodeError('tcp', off, `data offset ${hlen / 4} words is below the minimum 5`);
    needBytes('tcp', off, hlen, st);
    st.next = KIND_RAW; // the data
    return hlen;
  },
  fields(buf, off, hlen) {
    const layer: Layer = { layer: 'tcp' };
    readFields(buf, off, TCP, layer);
    layer.options = bytesToHex(buf, off + TCP.length, off + hlen);
    return layer;
  },
};

/** A `tcp` layer. */
export type TcpLayer = LayerType<'tcp', typeof TCP, { flags?: number | string; options?: string }>;

export const tcpProtocol = defineProtocol<TcpLayer>({
  kind: 'tcp',
  title: 'TCP header (RFC 9293), checksum over the IPv4 or IPv6 pseudo-header',
  layouts: [TCP],
  fields: {
    sport: 'source port',
    dport: 'destination port',
    seq: 'sequence number (0)',
    ack: 'acknowledgment number (0)',
    flags: 'flags (0x02, SYN): a number, or scapy\'s letters "FSRPAUEC" such as "SA", "PA"; decoded as a number',
    window: 'window (8192)',
    urgptr: 'urgent pointer (0)',
    options: 'options as hex (""), padded with zero bytes to 4',
    reserved: 'the 4 bits between data offset and flags (0; the lowest is the old ECN-nonce bit)',
    dataofs: 'data offset: header length in 32-bit words',
    chksum: 'checksum over the pseudo-header of the ipv4/ipv6 layer before it',
  },
  codec: tcpCodec,
  dissector: dissectTcp,
  selectedBy: [{ table: 'ipproto', value: IPPROTO_TCP }],
  display: { name: 'TCP', ports: true, info: (l) => (typeof l.flags === 'number' ? `[${tcpFlagLetters(l.flags)}]` : undefined), hex: ['chksum'] },
});
