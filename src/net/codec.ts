/** Small helpers shared by the header codecs (not a second description of any header). */
import { DecodeError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { checkKnownFields, putFields, takeFields, type Layout } from './fields.js';
import type { Codec, DissectState, Layer, Prepared } from './types.js';

/** Prepare a layer whose header is exactly its layout's fixed part. */
export function prepareFixed(layer: Layer, index: number, codec: Codec, layout: Layout): Prepared {
  checkKnownFields(layer, index, codec.names);
  return { index, layer, codec, v: takeFields(layer, index, layout), headerLength: layout.length };
}

/** Write a layer's fixed part (its layout's fields) and then its variable part (`p.data`: options, tags, …). */
export function putHeader(buf: Uint8Array, off: number, layout: Layout, p: Prepared): void {
  putFields(buf, off, layout, p.v);
  buf.set(p.data!, off + layout.length);
}

/** Raise DecodeError unless `need` bytes from `off` lie inside the current extent. */
export function needBytes(kind: string, off: number, need: number, st: DissectState): void {
  const left = st.end - off;
  if (need > left) throw new DecodeError(kind, off, `needs ${need} bytes, ${left} left`);
}

/** A `raw` layer holding bytes[start, end). */
export function rawLayer(buf: Uint8Array, start: number, end: number): Layer {
  return { layer: 'raw', hex: bytesToHex(buf, start, end) };
}

/** Limit the current extent to a length field's claim; a claim past the bytes is reported (not fatal). */
export function narrowExtent(kind: string, off: number, claimedEnd: number, st: DissectState, what: string): void {
  if (claimedEnd > st.end) {
    if (!st.quoted) st.short ??= new DecodeError(kind, off, `${what} claims ${claimedEnd - off} bytes, only ${st.end - off} present`);
  } else {
    st.end = claimedEnd;
  }
}
