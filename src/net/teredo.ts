/**
 * Teredo (RFC 4380, UDP 3544): IPv6 over UDP over IPv4 through NATs. The IPv6 packet may be
 * preceded by an authentication indicator (type 0x0001: client id and authentication value
 * lengths, both, an 8-byte nonce, a confirmation byte) and then an origin indication (type
 * 0x0000: the client's mapped port and IPv4 address, each bit inverted on the wire). A plain
 * data packet has neither: its `teredo` layer has no bytes. The origin is shown as Wireshark
 * shows it, inverted back.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { formatIpv4, parseIpv4 } from '../bytes/addr.js';
import { concatBytes } from '../bytes/view.js';
import { checkKnownFields, hexFieldBytes, defineLayout, getField, setField } from './fields.js';
import { needBytes } from './codec.js';
import { KIND, KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const TEREDO_AUTH = defineLayout('teredo', 4, {
  indicator: { bit: 0, width: 16, def: 1 },
  idlen: { bit: 16, width: 8 },
  aulen: { bit: 24, width: 8 },
});
export const TEREDO_ORIGIN = defineLayout('teredo', 8, {
  indicator: { bit: 0, width: 16, def: 0 },
  port: { bit: 16, width: 16 },
  addr: { bit: 32, width: 32 },
});

export const UDP_PORT_TEREDO = 3544;
const NONCE = 8;
const NAMES: ReadonlySet<string> = new Set(['auth_id', 'auth_value', 'nonce', 'conf', 'orig_port', 'orig_addr']);

function hex(layer: Layer, index: number, name: string, def: string, max: number): Uint8Array {
  return hexFieldBytes(layer, index, 'teredo', name, { atMost: max }) ?? hexToBytes(def)!;
}

export const teredoCodec: Codec = {
  kind: 'teredo',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const parts: Uint8Array[] = [];
    if (['auth_id', 'auth_value', 'nonce', 'conf'].some((n) => layer[n] !== undefined)) {
      const id = hex(layer, index, 'auth_id', '', 255);
      const au = hex(layer, index, 'auth_value', '', 255);
      const nonce = hex(layer, index, 'nonce', '0000000000000000', NONCE);
      if (nonce.length !== NONCE) throw new EncodeError(index, 'teredo', 'nonce', 'is not 8 bytes of hex');
      const conf = layer.conf ?? 0;
      if (typeof conf !== 'number' || !Number.isInteger(conf) || conf < 0 || conf > 255) throw new EncodeError(index, 'teredo', 'conf', `${JSON.stringify(conf)} is out of range 0..255`);
      const b = new Uint8Array(TEREDO_AUTH.length + id.length + au.length + NONCE + 1);
      setField(b, 0, TEREDO_AUTH.f.indicator, 1);
      setField(b, 0, TEREDO_AUTH.f.idlen, id.length);
      setField(b, 0, TEREDO_AUTH.f.aulen, au.length);
      b.set(id, 4);
      b.set(au, 4 + id.length);
      b.set(nonce, 4 + id.length + au.length);
      b[b.length - 1] = conf;
      parts.push(b);
    }
    if (layer.orig_port !== undefined || layer.orig_addr !== undefined) {
      const port = layer.orig_port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 0xffff) throw new EncodeError(index, 'teredo', 'orig_port', `${JSON.stringify(port)} is not a port 0..65535`);
      const addr = typeof layer.orig_addr === 'string' ? parseIpv4(layer.orig_addr) : -1;
      if (addr < 0) throw new EncodeError(index, 'teredo', 'orig_addr', `${JSON.stringify(layer.orig_addr)} is not an IPv4 address`);
      const b = new Uint8Array(TEREDO_ORIGIN.length);
      setField(b, 0, TEREDO_ORIGIN.f.port, port ^ 0xffff);
      setField(b, 0, TEREDO_ORIGIN.f.addr, (addr ^ 0xffffffff) >>> 0);
      parts.push(b);
    }
    const data = concatBytes(parts);
    return { index, layer, codec: this, v: { nums: [], addrs: [] }, headerLength: data.length, data };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    buf.set(list[i]!.data!, off);
  },
};

/** Length of the indicators at `off`: authentication (type 1), then origin (type 0). */
function indicatorsLength(buf: Uint8Array, off: number, end: number): number {
  let o = off;
  if (o + 2 <= end && buf[o] === 0 && buf[o + 1] === 1) {
    if (o + TEREDO_AUTH.length > end) throw new DecodeError('teredo', o, 'authentication indicator cut short');
    o += TEREDO_AUTH.length + getField(buf, o, TEREDO_AUTH.f.idlen) + getField(buf, o, TEREDO_AUTH.f.aulen) + NONCE + 1;
    if (o > end) throw new DecodeError('teredo', off, 'authentication indicator cut short');
  }
  if (o + 2 <= end && buf[o] === 0 && buf[o + 1] === 0) {
    if (o + TEREDO_ORIGIN.length > end) throw new DecodeError('teredo', o, 'origin indication cut short');
    o += TEREDO_ORIGIN.length;
  }
  return o - off;
}

export const dissectTeredo: Dissector = {
  scan(buf, off, st) {
    needBytes('teredo', off, 1, st);
    const len = indicatorsLength(buf, off, st.end);
    st.next = off + len < st.end && buf[off + len]! >>> 4 === 6 ? KIND.ipv6 : KIND_RAW;
    return len;
  },
  fields(buf, off, len) {
    const layer: Layer = { layer: 'teredo' };
    let o = off;
    const end = off + len;
    if (o < end && buf[o + 1] === 1) {
      const idlen = getField(buf, o, TEREDO_AUTH.f.idlen);
      const aulen = getField(buf, o, TEREDO_AUTH.f.aulen);
      let p = o + TEREDO_AUTH.length;
      layer.auth_id = bytesToHex(buf, p, p + idlen);
      p += idlen;
      layer.auth_value = bytesToHex(buf, p, p + aulen);
      p += aulen;
      layer.nonce = bytesToHex(buf, p, p + NONCE);
      layer.conf = buf[p + NONCE]!;
      o = p + NONCE + 1;
    }
    if (o < end) {
      layer.orig_port = getField(buf, o, TEREDO_ORIGIN.f.port) ^ 0xffff;
      layer.orig_addr = formatIpv4((getField(buf, o, TEREDO_ORIGIN.f.addr) ^ 0xffffffff) >>> 0);
    }
    return layer;
  },
};

/** A `teredo` layer. */
export type TeredoLayer = { layer: 'teredo'; auth_id?: string; auth_value?: string; nonce?: string; conf?: number; orig_port?: number; orig_addr?: string };

export const teredoProtocol = defineProtocol<TeredoLayer>({
  kind: 'teredo',
  title: 'Teredo (RFC 4380, UDP 3544): IPv6 over UDP, after optional authentication and origin indicators',
  layouts: [TEREDO_AUTH, TEREDO_ORIGIN],
  fields: {
    auth_id: 'authentication indicator: client identifier, hex (the indicator is present when any auth_ or nonce/conf field is given)',
    auth_value: 'authentication indicator: authentication value, hex ("")',
    nonce: 'authentication indicator: nonce, 8 bytes of hex (zeros)',
    conf: 'authentication indicator: confirmation byte (0)',
    orig_port: 'origin indication: the client\'s mapped UDP port, as Wireshark shows it (inverted on the wire)',
    orig_addr: 'origin indication: the client\'s mapped IPv4 address (inverted on the wire)',
  },
  codec: teredoCodec,
  dissector: dissectTeredo,
  selectedBy: [{ table: 'udp.dport', value: UDP_PORT_TEREDO }],
  display: { name: 'Teredo' },
});
