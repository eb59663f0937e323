/**
 * Bytes → layers. One scan loop over dissectors chosen by dispatch tables (EtherType, IP
 * protocol, UDP destination port, MPLS payload nibble) records each layer's kind, start and
 * length in a LayerTable; decodeFrame then turns the table into layer objects, and FrameView
 * (view.ts) reads fields straight from the bytes instead. Damage becomes `error` plus a trailing
 * `raw` layer, and bytes past an IP or UDP length (Ethernet padding) come out as `raw` after
 * the packet they pad, so encodeFrame(decodeFrame(b).layers) equals b for every byte string.
 */
import { DecodeError } from '../errors.js';
import { rawLayer } from './codec.js';
import type { DecodedFrame, DecodeOptions, DissectState, Layer } from './types.js';
import { DISSECTORS, KIND_OF_LINKTYPE, LAYER_NAME_OF_CODE } from './registry.js';
import { KIND, KIND_RAW } from './kinds.js';
import { nextTable } from './protocols.js';
import { openEspPacket } from './esp/esp.js';

/** What an ESP payload starts with, by its next header (IP protocol numbers). */
const NEXT_OF_ESP_NH = nextTable('ipproto').decode;
/** Next header "no next header": an ESP dummy packet (RFC 4303 §2.6). */
const NH_NONE = 59;
/** 1 for the kind codes whose dissector may decline the bytes (Dissector.accepts). */
const HAS_ACCEPTS = Uint8Array.from(DISSECTORS, (d) => (d?.accepts ? 1 : 0));

export { KIND_RAW, LAYER_NAME_OF_CODE };

/** pcap link types: Ethernet, and raw IP (the version nibble tells IPv4 from IPv6). */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

/** The link types the decoder knows: raw IP and those a descriptor starts (registry). */
export const LINKTYPES_DECODED: readonly number[] = [...new Set([...KIND_OF_LINKTYPE.keys(), LINKTYPE_RAW])].sort((a, b) => a - b);

/** Kind code of a frame's first layer for a capture link type; -1 when the link type is not decoded. */
export function firstKind(linkType: number, bytes: Uint8Array, end: number): number {
  if (linkType === LINKTYPE_RAW) {
    const nibble = end > 0 ? bytes[0]! >>> 4 : 0;
    return nibble === 4 ? KIND.ipv4 : nibble === 6 ? KIND.ipv6 : KIND_RAW;
  }
  return KIND_OF_LINKTYPE.get(linkType) ?? -1;
}

/**
 * Why a frame's first layer does not fit a capture link type (undefined when it does): a link
 * type the decoder knows starts with its own kind (raw IP with ipv4 or ipv6); a `raw` first
 * layer fits any link type.
 */
export function linkTypeMismatch(first: string | undefined, linkType: number): string | undefined {
  if (first === undefined || first === 'raw' || !LINKTYPES_DECODED.includes(linkType)) return undefined;
  const want = linkType === LINKTYPE_RAW ? ['ipv4', 'ipv6'] : [LAYER_NAME_OF_CODE[KIND_OF_LINKTYPE.get(linkType)!]!];
  return want.includes(first) ? undefined : `starts with '${first}', but link type ${linkType} frames start with ${want.map((k) => `'${k}'`).join(' or ')}`;
}

/** Where each layer of a frame lies: parallel typed arrays, reusable from frame to frame. */
export class LayerTable {
  count = 0;
  /** The frame's note (DecodedFrame.note), if a dissector left one. */
  note: string | undefined = undefined;
  kind = new Uint8Array(16);
  start = new Int32Array(16);
  length = new Int32Array(16);
  error: DecodeError | undefined = undefined;
  /** Scratch for scanFrame: ends of the enclosing extents (a stack). */
  outer = new Int32Array(16);

  push(kind: number, start: number, length: number): void {
    if (this.count === this.kind.length) {
      const grow = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.kind = grow(this.kind, (n) => new Uint8Array(n));
      this.start = grow(this.start, (n) => new Int32Array(n));
      this.length = grow(this.length, (n) => new Int32Array(n));
    }
    this.kind[this.count] = kind;
    this.start[this.count] = start;
    this.length[this.count] = length;
    this.count++;
  }
}

/**
 * Scan bytes[0, end) as a frame starting with Ethernet into `table` (cleared first). Never
 * throws for any bytes: damage is table.error and a final raw entry.
 */
export function scanFrame(bytes: Uint8Array, end: number, opts: DecodeOptions, table: LayerTable, st: DissectState = { opts, next: KIND_RAW, end }, first?: number): void {
  table.count = 0;
  table.error = undefined;
  table.note = undefined;
  if (end > bytes.length) end = bytes.length;
  st.end = end;
  st.short = undefined;
  st.quoted = false;
  st.note = undefined;
  const linkType = opts.linkType;
  // `first`: where a decrypted ESP payload starts (its next header), not a link layer.
  const kind = first !== undefined ? first : linkType === undefined || linkType === LINKTYPE_ETHERNET ? KIND.ether : firstKind(linkType, bytes, end);
  st.next = kind;
  if (kind < 0 || end === 0) {
    scanUndecodable(bytes, end, table, st, linkType);
    return;
  }

  // Ends of enclosing extents: what lies between an inner extent's end and its parent's is padding.
  let depth = 0;
  let off = 0;
  for (;;) {
    const code = off < st.end ? st.next : KIND_RAW;
    if (code === KIND_RAW) {
      // Payload (or nothing) up to the end of this extent, then back out to the enclosing one.
      if (off < st.end) table.push(KIND_RAW, off, st.end - off);
      off = st.end;
      if (depth === 0) break;
      st.end = table.outer[--depth]!;
      st.next = KIND_RAW;
      continue;
    }
    const before = st.end;
    const dissector = DISSECTORS[code]!;
    if (HAS_ACCEPTS[code] === 1 && !dissector.accepts!(bytes, off, st)) {
      st.next = KIND_RAW;
      continue;
    }
    let len: number;
    try {
      len = dissector.scan(bytes, off, st);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      if (st.quoted) {
        // An ICMP error's quote (or a first fragment) ends where its bytes do: the rest of it is raw, not damage.
        st.next = KIND_RAW;
        continue;
      }
      // A fatal error outranks a length that merely claimed too much earlier.
      table.error = e;
      table.note = st.note;
      if (off < end) table.push(KIND_RAW, off, end - off);
      return;
    }
    table.push(code, off, len);
    off += len;
    if (st.end < before) {
      if (depth === table.outer.length) {
        const grown = new Int32Array(depth * 2);
        grown.set(table.outer);
        table.outer = grown;
      }
      table.outer[depth++] = before;
    }
    if (st.short && !table.error) table.error = st.short;
  }
  table.note = st.note;
}

/** A frame of a link type not decoded (kind < 0), or an empty one. */
function scanUndecodable(bytes: Uint8Array, end: number, table: LayerTable, st: DissectState, linkType: number | undefined): void {
  if (st.next < 0) {
    table.error = new DecodeError('frame', 0, `link type ${linkType} is not decoded (known: ${LINKTYPES_DECODED.join(', ')})`);
    if (end > 0) table.push(KIND_RAW, 0, end);
    return;
  }
  // One rule for every frame too short for its first header, empty ones included: the first
  // dissector says what it needs (`ether at byte 0: needs 14 bytes, 0 left`).
  if (st.next === KIND_RAW) return;
  try {
    DISSECTORS[st.next]!.scan(bytes, 0, st);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    table.error = e;
  }
}

const scratch = new LayerTable();

function shifted(e: DecodeError, shift: number): DecodeError {
  return shift === 0 ? e : new DecodeError(e.layer, e.offset + shift, e.reason);
}

/**
 * Turn a scanned table into layer objects, appended to `layers`. With SAs in `opts`, an `esp`
 * entry is opened (decrypted, checked) and its payload decoded in turn, starting from the kind
 * its next header names. Returns the first error (the table's, the ESP's, the payload's), its
 * offset counted in the frame (`shift` = where bytes[0] lies in it; decrypted byte k of an ESP
 * payload is reported at the frame offset of its ciphertext).
 */
function tableLayers(bytes: Uint8Array, table: LayerTable, opts: DecodeOptions, layers: Layer[], shift: number): DecodeError | undefined {
  let error = table.error && shifted(table.error, shift);
  // After an ICMP/ICMPv6 layer an esp is part of a quoted packet (header + 8 bytes): nothing to open.
  let quoted = false;
  for (let i = 0; i < table.count; i++) {
    const start = table.start[i]!;
    const len = table.length[i]!;
    const kind = table.kind[i]!;
    if (kind === KIND.icmp || kind === KIND.icmpv6) quoted = true;
    if (kind === KIND.esp && opts.sa !== undefined && !quoted) {
      const opened = openEspPacket(bytes, start, start + len, opts);
      layers.push(opened.layer);
      if (opened.error) error ??= shifted(opened.error, shift);
      const payload = opened.payload;
      if (payload && payload.length > 0) {
        // A fresh table: the caller's is still being read.
        const inner = new LayerTable();
        scanFrame(payload, payload.length, opts, inner, undefined, opened.nh === NH_NONE ? KIND_RAW : NEXT_OF_ESP_NH[opened.nh!]!);
        const innerError = tableLayers(payload, inner, opts, layers, shift + opened.payloadAt!);
        error ??= innerError;
      }
      continue;
    }
    const d = DISSECTORS[kind];
    layers.push(d ? d.fields(bytes, start, len) : rawLayer(bytes, start, start + len));
  }
  return error;
}

/** Decode a frame (Ethernet unless opts.linkType says otherwise) into layer objects (every field). Never throws for any bytes. */
export function decodeFrame(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedFrame {
  scanFrame(bytes, bytes.length, opts, scratch);
  const layers: Layer[] = [];
  const error = tableLayers(bytes, scratch, opts, layers, 0);
  const frame: DecodedFrame = error ? { layers, error } : { layers };
  if (scratch.note !== undefined) frame.note = scratch.note;
  return frame;
}
