/**
 * ESP (RFC 4303): SPI and sequence number, the IV, then the protected payload — the layers
 * after `esp` — followed by a trailer the codec owns: padding (1, 2, 3, …), pad length, next
 * header, all encrypted, and the ICV. NAT traversal (RFC 3948) is the same header inside UDP
 * port 4500.
 *
 *   encode: the inner layers are written first (so their lengths and checksums are final), then
 *           the trailer is appended and sealEsp encrypts and authenticates in place.
 *   decode: the header and everything up to the end of its extent are one `esp` entry; with an
 *           SA for the SPI decodeEspLayers decrypts, checks the ICV and the padding and decodes
 *           the inner layers, without one the layer carries the protected bytes as `data`.
 */
import { DecodeError, EncodeError } from '../../errors.js';
import { bytesToHex } from '../../bytes/hex.js';
import { AUTO, checkKnownFields, hexFieldBytes, defineLayout, getField, putFields, readFields, takeFields, type LayerType } from '../fields.js';
import { needBytes } from '../codec.js';
import { nextTable } from '../protocols.js';
import { KIND_RAW } from '../kinds.js';
import { defineProtocol, type Codec, type DecodeOptions, type Dissector, type Layer, type Prepared } from '../types.js';
import { deriveIv, minimalPadLength, openEsp, sealEsp } from './suites.js';
import { toSaTable, type CompiledSa, type SaTable } from './sa.js';

export const ESP = defineLayout('esp', 8, {
  spi: { bit: 0, width: 32 },
  seq: { bit: 32, width: 32 },
});

/** Next header of a dummy packet (RFC 4303 §2.6) and of "no next header" (RFC 8200). */
export const ESP_NH_NONE = 59;

const F = ESP.f;
const NAMES: ReadonlySet<string> = new Set(['spi', 'seq', 'seqhi', 'iv', 'pad', 'padlen', 'nh', 'data']);

interface EspPrepared extends Prepared {
  /** The SA (absent when the layer gives `data`: the protected bytes as they are). */
  sa?: CompiledSa;
  /** The IV as given; undefined = derived from SA and sequence number. */
  iv?: Uint8Array;
  /** High-order 32 bits of the extended sequence number (RFC 4303 §2.2.1); undefined without ESN. */
  seqHi?: number;
  /** The padding as given; undefined = minimal 1, 2, 3, …. */
  pad?: Uint8Array;
  padLength: number;
  /** Pad length and next header fields (AUTO until measured / linked). */
  padlen: number;
  nh: number;
}

function byteField(layer: Layer, index: number, name: string): number {
  const v = layer[name];
  if (v === undefined || v === null) return AUTO;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new EncodeError(index, 'esp', name, `${JSON.stringify(v)} is out of range 0..255`);
  return v;
}

function hexBytes(layer: Layer, index: number, name: string): Uint8Array | undefined {
  return hexFieldBytes(layer, index, 'esp', name);
}

function spiText(spi: number): string {
  return `${spi} (0x${spi.toString(16).padStart(8, '0')})`;
}

/** The IP protocol table: what the next header names (as for IPv4's protocol field). */
const IPPROTO = nextTable('ipproto');
/** IP protocol 50 (RFC 4303); UDP port 4500 for NAT traversal (RFC 3948). */
export const IPPROTO_ESP = 50;
export const UDP_PORT_NAT_T = 4500;

/** Kind of a layer after `esp` → the next-header number (IP protocol), as for IP. */
function nextHeaderOf(kind: string): number | undefined {
  return IPPROTO.encode[kind];
}

export const espCodec: Codec = {
  kind: 'esp',
  names: NAMES,
  // In transport mode the upper layer's pseudo-header is the IP header's before the esp.
  ipExtension: true,
  prepare(layer, index, ctx) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, ESP);
    const data = hexBytes(layer, index, 'data');
    const p: EspPrepared = { index, layer, codec: this, v, headerLength: ESP.length, padLength: 0, padlen: byteField(layer, index, 'padlen'), nh: byteField(layer, index, 'nh') };
    if (data) {
      for (const f of ['iv', 'pad', 'padlen', 'nh', 'seqhi']) {
        if (layer[f] !== undefined) throw new EncodeError(index, 'esp', f, 'cannot be given with data (data is the whole protected part, written as it is)');
      }
      p.data = data;
      p.headerLength += data.length;
      return p;
    }
    const spi = v.nums[F.spi.index]!;
    const sa = ctx?.sa?.get(spi);
    if (!sa) {
      const how = ctx?.sa?.size ? `the SAs given have SPIs ${[...ctx.sa.bySpi.keys()].join(', ')}` : 'no SAs were given';
      throw new EncodeError(index, 'esp', 'spi', `${spiText(spi)} has no security association (${how}: add one to the spec's "sa", --sa FILE or encodeFrame(layers, { sa })), or give the protected bytes as data`);
    }
    p.sa = sa;
    const seqhi = layer.seqhi;
    if (seqhi !== undefined && seqhi !== null) {
      if (sa.sa.esn === undefined) throw new EncodeError(index, 'esp', 'seqhi', `is for extended sequence numbers, which the SA of spi ${spiText(spi)} does not use (give the SA "esn")`);
      if (typeof seqhi !== 'number' || !Number.isInteger(seqhi) || seqhi < 0 || seqhi > 0xffffffff) throw new EncodeError(index, 'esp', 'seqhi', `${JSON.stringify(seqhi)} is out of range 0..4294967295`);
      p.seqHi = seqhi;
    } else {
      p.seqHi = sa.sa.esn;
    }
    const suite = sa.keys.cipher;
    p.iv = hexBytes(layer, index, 'iv');
    if (p.iv && p.iv.length !== suite.ivLength) throw new EncodeError(index, 'esp', 'iv', `has ${p.iv.length} bytes; ${suite.name} takes ${suite.ivLength}`);
    p.pad = hexBytes(layer, index, 'pad');
    if (p.pad && p.pad.length > 255) throw new EncodeError(index, 'esp', 'pad', `has ${p.pad.length} bytes; at most 255`);
    p.headerLength += suite.ivLength;
    return p;
  },
  measure(list, i, payloadLength) {
    const p = list[i] as EspPrepared;
    if (!p.sa) {
      if (i + 1 < list.length) throw new EncodeError(i, 'esp', 'data', `holds the whole protected part: no layer may follow (a '${list[i + 1]!.codec.kind}' does)`);
      p.trailerLength = 0;
      return;
    }
    const align = p.sa.keys.cipher.align;
    if (p.pad) {
      if ((payloadLength + p.pad.length + 2) % align !== 0) {
        throw new EncodeError(i, 'esp', 'pad', `of ${p.pad.length} bytes leaves payload (${payloadLength}) + pad + 2 not a multiple of ${align} for ${p.sa.keys.cipher.name}; minimal is ${minimalPadLength(payloadLength, align)}`);
      }
      p.padLength = p.pad.length;
    } else {
      p.padLength = minimalPadLength(payloadLength, align);
    }
    p.trailerLength = p.padLength + 2 + p.sa.keys.icvLength;
  },
  link(list, i) {
    const p = list[i] as EspPrepared;
    if (!p.sa || p.nh !== AUTO) return;
    const next = list[i + 1];
    if (!next) {
      p.nh = ESP_NH_NONE;
      return;
    }
    const nh = nextHeaderOf(next.codec.kind);
    if (nh === undefined) throw new EncodeError(i, 'esp', 'nh', `cannot be derived (a '${next.codec.kind}' layer follows); give it explicitly`);
    p.nh = nh;
  },
  emit(buf, off, end, list, i) {
    const p = list[i] as EspPrepared;
    putFields(buf, off, ESP, p.v);
    if (!p.sa) {
      buf.set(p.data!, off + ESP.length);
      return;
    }
    const keys = p.sa.keys;
    const ivAt = off + ESP.length;
    if (p.iv) buf.set(p.iv, ivAt);
    else deriveIv(keys, p.v.nums[F.spi.index]!, p.seqHi ?? 0, p.v.nums[F.seq.index]!, buf, ivAt);
    const icvAt = end - keys.icvLength;
    const padAt = icvAt - 2 - p.padLength;
    if (p.pad) buf.set(p.pad, padAt);
    else for (let k = 0; k < p.padLength; k++) buf[padAt + k] = k + 1;
    buf[icvAt - 2] = p.padlen === AUTO ? p.padLength : p.padlen;
    buf[icvAt - 1] = p.nh;
    sealEsp(keys, buf, off, icvAt, p.seqHi);
  },
};

/**
 * The dissector sees the header and claims everything up to the end of its extent (payload,
 * trailer and ICV are one unit until decrypted); decodeEspLayers expands it.
 */
export const dissectEsp: Dissector = {
  scan(buf, off, st) {
    needBytes('esp', off, ESP.length, st);
    st.next = KIND_RAW;
    return st.end - off;
  },
  fields(buf, off, len) {
    return espDataLayer(buf, off, off + len);
  },
};

function espDataLayer(buf: Uint8Array, off: number, end: number): Layer {
  const layer: Layer = { layer: 'esp' };
  readFields(buf, off, ESP, layer);
  layer['data'] = bytesToHex(buf, off + ESP.length, end);
  return layer;
}

/** The SA table of decode options, compiled once per options object. */
const tables = new WeakMap<object, SaTable | undefined>();
export function saTableOf(opts: DecodeOptions): SaTable | undefined {
  const sa = opts.sa;
  if (sa === undefined) return undefined;
  if (!tables.has(sa)) tables.set(sa, toSaTable(sa));
  return tables.get(sa);
}

/** What decodeEspLayers found: the `esp` layer, the plaintext payload to decode further, or why not. */
export interface EspOpened {
  layer: Layer;
  /** Decrypted payload (without padding and trailer) and the frame offset its byte 0 came from. */
  payload?: Uint8Array;
  payloadAt?: number;
  /** Next header: what the payload starts with. */
  nh?: number;
  error?: DecodeError;
}

/**
 * Open the ESP packet at buf[off, end) with the SAs of `opts`: decrypt, check ICV, pad length
 * and padding. Never throws for any bytes: failures come back as `error` with the `esp` layer
 * in its `data` form (so the frame still rebuilds byte for byte).
 */
export function openEspPacket(buf: Uint8Array, off: number, end: number, opts: DecodeOptions): EspOpened {
  const table = saTableOf(opts);
  const spi = getField(buf, off, F.spi);
  const sa = table?.get(spi);
  if (!sa) {
    const layer = espDataLayer(buf, off, end);
    return table ? { layer, error: new DecodeError('esp', off, `no security association for spi ${spiText(spi)}`) } : { layer };
  }
  const keys = sa.keys;
  const fail = (reason: string): EspOpened => ({ layer: espDataLayer(buf, off, end), error: new DecodeError('esp', off, `spi ${spiText(spi)}: ${reason}`) });
  const ivLength = keys.cipher.ivLength;
  // A capture holds the low 32 bits of an extended sequence number: the SA says the rest.
  const seqHi = sa.sa.esn;
  const plain = openEsp(keys, buf, off, end, seqHi);
  if (typeof plain === 'string') return fail(plain);
  const n = plain.length;
  const padLength = plain[n - 2]!;
  const nh = plain[n - 1]!;
  if (padLength + 2 > n) return fail(`pad length ${padLength} exceeds the ${n - 2} bytes before it`);
  const payloadLength = n - 2 - padLength;
  const align = keys.cipher.align;
  if (n % align !== 0) return fail(`payload + padding + 2 is ${n} bytes, not a multiple of ${align} for ${keys.cipher.name}`);
  const layer: Layer = { layer: 'esp' };
  readFields(buf, off, ESP, layer);
  if (seqHi !== undefined) layer['seqhi'] = seqHi;
  if (ivLength > 0) layer['iv'] = bytesToHex(buf, off + ESP.length, off + ESP.length + ivLength);
  let monotonic = true;
  for (let k = 0; k < padLength; k++) if (plain[payloadLength + k] !== k + 1) monotonic = false;
  if (!monotonic || padLength !== minimalPadLength(payloadLength, align)) layer['pad'] = bytesToHex(plain, payloadLength, payloadLength + padLength);
  layer['padlen'] = padLength;
  layer['nh'] = nh;
  const opened: EspOpened = { layer, payload: plain.subarray(0, payloadLength), payloadAt: off + ESP.length + ivLength, nh };
  if (!monotonic) opened.error = new DecodeError('esp', off + ESP.length + ivLength + payloadLength, `spi ${spiText(spi)}: padding bytes are not 1, 2, 3, … (RFC 4303 2.4)`);
  return opened;
}

/** An `esp` layer: the layout's spi and seq, and the protected part's fields. */
export type EspLayer = LayerType<'esp', typeof ESP, { seqhi?: number; iv?: string; pad?: string; padlen?: number; nh?: number; data?: string }>;

export const espProtocol = defineProtocol<EspLayer>({
  kind: 'esp',
  title: 'ESP (RFC 4303): SPI, sequence number, IV; the layers after it are encrypted and authenticated with the SA of its SPI (AES-GCM RFC 4106, AES-CBC RFC 3602 + HMAC, NULL); padding, pad length, next header and ICV follow them',
  layouts: [ESP],
  fields: {
    spi: 'security parameters index: selects the security association (SA)',
    seq: 'sequence number (32 bits; the low half of an extended one)',
    seqhi: 'high-order 32 bits of an extended sequence number (RFC 4303 §2.2.1): authenticated, not sent; default the SA\'s esn; only with an SA that has esn',
    iv: 'hex; default derived: GCM the 64-bit sequence number (seqhi ‖ seq), CBC AES(key, SPI ‖ 0000 ‖ seqhi ‖ seq), none for null',
    pad: 'hex padding; default the minimal 1, 2, 3, … (payload + pad + 2 a multiple of 4, 16 for CBC)',
    padlen: 'pad length (auto: the padding\'s length)',
    nh: 'next header: IP protocol of the first protected layer (auto; 59 when none follows)',
    data: 'hex: the protected part as it is (IV, ciphertext, ICV) when there is no SA; no layer follows',
  },
  codec: espCodec,
  dissector: dissectEsp,
  selectedBy: [
    { table: 'ipproto', value: IPPROTO_ESP },
    { table: 'udp.dport', value: UDP_PORT_NAT_T },
  ],
  display: { name: 'ESP', info: (l) => `SPI 0x${Number(l.spi).toString(16).padStart(8, '0')}, seq ${String(l.seq)}`, hex: ['spi'] },
});
