/**
 * GTP-U (3GPP TS 29.281, UDP port 2152): the user plane of mobile core networks. An 8-byte
 * header; when any of the E, S, PN flags is set a 4-byte word follows (sequence number, N-PDU
 * number, next extension header type), then the extension headers when `next_ex` is not 0
 * (each a length in 4-byte units, its content, and the next type; kept as `ext` hex). A G-PDU
 * (type 255) carries an IPv4 or IPv6 packet (by its version nibble, as Wireshark decides);
 * other message types stay `raw`. Field names are scapy's (GTP_U_Header), in lower case.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { AUTO, type LayerType, checkKnownFields, hexFieldBytes, defineLayout, fieldNames, getField, putFields, readFields, takeFields } from './fields.js';
import { narrowExtent, needBytes, putHeader } from './codec.js';
import { KIND, KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const GTPU = defineLayout('gtpu', 8, {
  version: { bit: 0, width: 3, def: 1 },
  pt: { bit: 3, width: 1, def: 1 },
  reserved: { bit: 4, width: 1, def: 0, hidden: true },
  e: { bit: 5, width: 1, def: 0 },
  s: { bit: 6, width: 1, def: 0 },
  pn: { bit: 7, width: 1, def: 0 },
  gtp_type: { bit: 8, width: 8, def: 255 },
  length: { bit: 16, width: 16, auto: true },
  teid: { bit: 32, width: 32 },
});
/** Present when any of E, S, PN is set. */
export const GTPU_OPT = defineLayout('gtpu', 4, {
  seq: { bit: 0, width: 16, def: 0 },
  npdu: { bit: 16, width: 8, def: 0 },
  next_ex: { bit: 24, width: 8, def: 0 },
});


export const UDP_PORT_GTPU = 2152;
/** G-PDU: the message carries a user packet. */
export const GTPU_TYPE_GPDU = 255;

const F = GTPU.f;
const NAMES = fieldNames(GTPU, ...fieldNames(GTPU_OPT), 'ext');
const OPT_NAMES = [...fieldNames(GTPU_OPT)];

export const gtpuCodec: Codec = {
  kind: 'gtpu',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, GTPU);
    const flags = v.nums[F.e.index]! | v.nums[F.s.index]! | v.nums[F.pn.index]!;
    const optGiven = OPT_NAMES.some((n) => layer[n] !== undefined) || layer.ext !== undefined;
    if (optGiven && !flags) throw new EncodeError(index, 'gtpu', OPT_NAMES.find((n) => layer[n] !== undefined) ?? 'ext', 'is only present when e, s or pn is 1');
    let data: Uint8Array = new Uint8Array(0);
    if (flags) {
      const o = takeFields(layer, index, GTPU_OPT);
      const ext = hexFieldBytes(layer, index, 'gtpu', 'ext', { multipleOf: 4 }) ?? new Uint8Array(0);
      data = new Uint8Array(GTPU_OPT.length + ext.length);
      putFields(data, 0, GTPU_OPT, o);
      data.set(ext, GTPU_OPT.length);
    }
    return { index, layer, codec: this, v, headerLength: GTPU.length + data.length, data };
  },
  link() {},
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const n = p.v.nums;
    if (n[F.length.index] === AUTO) {
      // Everything after the mandatory 8 bytes: optional word, extension headers, payload.
      const len = end - off - GTPU.length;
      if (len > 0xffff) throw new EncodeError(i, 'gtpu', 'length', `${len} bytes exceed 65535`);
      n[F.length.index] = len;
    }
    putHeader(buf, off, GTPU, p);
  },
};

export const dissectGtpu: Dissector = {
  /** Port 2152 carrying something else (not version 1 with PT 1): payload, as Wireshark leaves it. */
  accepts(buf, off, st) {
    return off < st.end && buf[off]! >>> 4 === 0x3;
  },
  scan(buf, off, st) {
    needBytes('gtpu', off, GTPU.length, st);
    const version = getField(buf, off, F.version);
    if (version !== 1) throw new DecodeError('gtpu', off, `version ${version}, expected 1`);
    narrowExtent('gtpu', off, off + GTPU.length + getField(buf, off, F.length), st, 'length');
    let len = GTPU.length;
    if (getField(buf, off, F.e) | getField(buf, off, F.s) | getField(buf, off, F.pn)) {
      needBytes('gtpu', off, len + GTPU_OPT.length, st);
      len += GTPU_OPT.length;
      let next = buf[off + len - 1]!;
      while (next !== 0) {
        needBytes('gtpu', off, len + 1, st);
        const words = buf[off + len]!;
        if (words === 0) throw new DecodeError('gtpu', off + len, 'extension header of length 0');
        needBytes('gtpu', off, len + 4 * words, st);
        len += 4 * words;
        next = buf[off + len - 1]!;
      }
    }
    st.next = KIND_RAW;
    if (getField(buf, off, F.gtp_type) === GTPU_TYPE_GPDU && off + len < st.end) {
      const nibble = buf[off + len]! >>> 4;
      st.next = nibble === 4 ? KIND.ipv4 : nibble === 6 ? KIND.ipv6 : KIND_RAW;
    }
    return len;
  },
  fields(buf, off, len) {
    const layer: Layer = { layer: 'gtpu' };
    readFields(buf, off, GTPU, layer);
    if (len > GTPU.length) {
      readFields(buf, off + GTPU.length, GTPU_OPT, layer);
      if (len > GTPU.length + GTPU_OPT.length) layer.ext = bytesToHex(buf, off + GTPU.length + GTPU_OPT.length, off + len);
    }
    return layer;
  },
};

/** A `gtpu` layer. */
export type GtpuLayer = LayerType<'gtpu', typeof GTPU, { seq?: number; npdu?: number; next_ex?: number; ext?: string }>;

export const gtpuProtocol = defineProtocol<GtpuLayer>({
  kind: 'gtpu',
  title: 'GTP-U (3GPP TS 29.281, UDP 2152): a G-PDU carries IPv4 or IPv6',
  layouts: [GTPU, GTPU_OPT],
  fields: {
    teid: 'tunnel endpoint identifier',
    gtp_type: 'message type (255, G-PDU)',
    version: 'version (1)',
    pt: 'protocol type (1, GTP)',
    reserved: 'the bit after pt (0; written by the decoder only when not 0)',
    e: 'extension header flag (0)',
    s: 'sequence number flag (0)',
    pn: 'N-PDU number flag (0)',
    length: 'bytes after the first 8 (auto)',
    seq: 'sequence number (0; present when e, s or pn is 1)',
    npdu: 'N-PDU number (0; as seq)',
    next_ex: 'next extension header type (0; as seq)',
    ext: 'the extension headers after next_ex, hex (each: length in 4-byte units, content, next type)',
  },
  codec: gtpuCodec,
  dissector: dissectGtpu,
  selectedBy: [{ table: 'udp.dport', value: UDP_PORT_GTPU }],
  display: { name: 'GTP-U', info: (l) => `TEID 0x${Number(l.teid).toString(16)}` },
});
