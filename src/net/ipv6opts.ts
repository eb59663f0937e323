/**
 * IPv6 Hop-by-Hop Options (`ipv6hbh`, next header 0) and Destination Options (`ipv6dest`, 60)
 * headers (RFC 8200 §4.3, §4.6): next header, length in 8-byte units not counting the first 8,
 * then option TLVs. The encoder appends one final Pad1 or PadN to reach a multiple of 8 and
 * inserts nothing between the given options; the decoder gives the bytes as found, padding
 * included, so they rebuild unchanged.
 */
import { EncodeError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, checkKnownFields, hexFieldBytes, type LayerType, defineLayout, fieldNames, getField, readFields, takeFields } from './fields.js';
import { needBytes, putHeader } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type DissectState, type Layer, type ProtocolDescriptor } from './types.js';

export const IPV6_OPTIONS = defineLayout('ipv6hbh', 2, {
  nh: { bit: 0, width: 8, auto: true },
  len: { bit: 8, width: 8, auto: true },
});

const F = IPV6_OPTIONS.f;
const NEXT = nextField(F.nh, 'ipproto');
const NEXT_OF_NH = NEXT.table.decode;
const NAMES = fieldNames(IPV6_OPTIONS, 'options');
/** Largest header: (255 + 1) * 8 bytes. */
const MAX_LENGTH = (F.len.max + 1) * 8;

function optionsCodec(kind: 'ipv6hbh' | 'ipv6dest'): Codec {
  return {
    kind,
    names: NAMES,
    ipExtension: true,
    prepare(layer, index) {
      checkKnownFields(layer, index, NAMES);
      const v = takeFields(layer, index, IPV6_OPTIONS);
      const given = hexFieldBytes(layer, index, kind, 'options') ?? new Uint8Array(0);
      const pad = (8 - ((IPV6_OPTIONS.length + given.length) % 8)) % 8;
      const total = IPV6_OPTIONS.length + given.length + pad;
      if (total > MAX_LENGTH) throw new EncodeError(index, kind, 'options', `${given.length} bytes make a header over the ${MAX_LENGTH} bytes its length can count`);
      const data = new Uint8Array(given.length + pad);
      data.set(given);
      // Pad1 is a single zero byte; PadN is type 1, length, zeros (RFC 8200 §4.2).
      if (pad >= 2) {
        data[given.length] = 1;
        data[given.length + 1] = pad - 2;
      }
      return { index, layer, codec: this, v, headerLength: total, data };
    },
    link() {},
    emit(buf, off, _end, list, i) {
      const p = list[i]!;
      if (p.v.nums[F.len.index] === AUTO) p.v.nums[F.len.index] = p.headerLength / 8 - 1;
      putHeader(buf, off, IPV6_OPTIONS, p);
    },
  };
}

/** Scan an extension header whose second byte is its length in 8-byte units after the first 8 (options, routing). */
export function scanExtension(kind: string, buf: Uint8Array, off: number, st: DissectState): number {
  needBytes(kind, off, 2, st);
  const hlen = (buf[off + 1]! + 1) * 8;
  needBytes(kind, off, hlen, st);
  return hlen;
}

function optionsDissector(kind: 'ipv6hbh' | 'ipv6dest'): Dissector {
  return {
    scan(buf, off, st) {
      const hlen = scanExtension(kind, buf, off, st);
      st.next = NEXT_OF_NH[getField(buf, off, F.nh)]!;
      return hlen;
    },
    fields(buf, off, hlen) {
      const layer: Layer = { layer: kind };
      readFields(buf, off, IPV6_OPTIONS, layer);
      layer.options = bytesToHex(buf, off + IPV6_OPTIONS.length, off + hlen);
      return layer;
    },
  };
}

const FIELDS = {
  options: 'option TLVs as hex (""); the encoder appends one Pad1/PadN to reach a multiple of 8 bytes with the 2-byte header; decoded as found, padding included',
  nh: 'next header: IP protocol of the next layer',
  len: 'length in 8-byte units, not counting the first 8',
};

/** An `ipv6hbh` or `ipv6dest` layer. */
export type Ipv6OptionsLayer<K extends 'ipv6hbh' | 'ipv6dest'> = LayerType<K, typeof IPV6_OPTIONS, { options?: string }>;

function optionsProtocol<const K extends 'ipv6hbh' | 'ipv6dest'>(kind: K, title: string, value: number, name: string): ProtocolDescriptor<K, Ipv6OptionsLayer<K>> {
  return defineProtocol<Ipv6OptionsLayer<K>>({
    kind,
    title,
    layouts: [IPV6_OPTIONS],
    fields: FIELDS,
    codec: optionsCodec(kind),
    dissector: optionsDissector(kind),
    selectedBy: [{ table: 'ipproto', value }],
    next: NEXT,
    display: { name },
  });
}

export const ipv6hbhProtocol = optionsProtocol('ipv6hbh', 'IPv6 Hop-by-Hop Options header (RFC 8200 §4.3), next header 0', 0, 'HBH');
export const ipv6destProtocol = optionsProtocol('ipv6dest', 'IPv6 Destination Options header (RFC 8200 §4.6), next header 60', 60, 'DEST');


