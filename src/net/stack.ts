/**
 * Layers → bytes. One approach everywhere: every layer is checked and measured first (prepare),
 * auto fields taken from neighbours are resolved (link), then headers are written innermost
 * first (emit), so each header sees its final payload when it computes lengths and checksums.
 */
import { EncodeError } from '../errors.js';
import { BufferTooSmallError } from '../bytes/view.js';
import type { Codec, EncodeContext, EncodeOptions, Layer, Prepared } from './types.js';
import { toSaTable } from './esp/sa.js';
import { CODECS, DESCRIPTORS, KNOWN_KINDS, type AnyLayer, type LayerOf } from './registry.js';
import type { FieldNameOf } from './types.js';
import { linkNext, type NextField } from './protocols.js';

export { CODECS };

/**
 * A layer as the type checker sees it in encodeFrame: one whose `layer` is a known literal kind
 * must be that kind's type (LayerOf), with no field the kind lacks; an untyped layer (`layer`
 * a plain string, as parsed from JSON) is checked at run time only.
 */
export type CheckedLayer<L> = L extends { layer: infer K }
  ? string extends K
    ? L
    : K extends AnyLayer['layer']
      ? LayerOf<K> & { [P in Exclude<keyof L, FieldNameOf<LayerOf<K>> | 'layer'>]: never }
      : AnyLayer
  : never;

/** A layer list checked element by element (CheckedLayer). */
export type CheckedLayers<T extends readonly Layer[]> = { readonly [I in keyof T]: CheckedLayer<T[I]> };

/** The auto next-protocol field of each codec (from its descriptor), looked up once per layer while linking. */
const NEXT_OF_CODEC: ReadonlyMap<Codec, NextField> = new Map(
  [...DESCRIPTORS.values()].filter((d) => d.codec && d.next).map((d) => [d.codec!, d.next!]),
);

function prepareAll(layers: readonly Layer[], opts?: EncodeOptions): Prepared[] {
  const ctx: EncodeContext = { sa: toSaTable(opts?.sa) };
  if (!Array.isArray(layers)) throw new EncodeError(-1, 'frame', '', 'a frame is an array of layers');
  const list: Prepared[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) {
      throw new EncodeError(i, typeof layer, 'layer', 'is not an object with a "layer" kind');
    }
    const kind = layer.layer;
    const codec = typeof kind === 'string' ? CODECS.get(kind) : undefined;
    if (!codec) {
      throw new EncodeError(i, String(kind), 'layer', `'${String(kind)}' is not a known kind (known: ${KNOWN_KINDS.join(', ')})`);
    }
    list.push(codec.prepare(layer, i, ctx));
  }
  // Trailers that depend on the length of what they follow: measured innermost first.
  let inner = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const p = list[i]!;
    p.codec.measure?.(list, i, inner);
    inner += p.headerLength + (p.trailerLength ?? 0);
  }
  return list;
}

function totalLength(list: readonly Prepared[]): number {
  let n = 0;
  for (const p of list) n += p.headerLength + (p.trailerLength ?? 0);
  return n;
}

/**
 * Link, then write innermost first. Each layer gets its own end: a layer with a trailer (ESP,
 * an FCS) ends after it, and the layers inside it end before it.
 */
function emitAll(list: Prepared[], buf: Uint8Array, offset: number, total: number): number {
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    const next = NEXT_OF_CODEC.get(p.codec);
    if (next) linkNext(list, i, next);
    p.codec.link(list, i);
  }
  const starts = new Array<number>(list.length);
  const ends = new Array<number>(list.length);
  let off = offset;
  let end = offset + total;
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    starts[i] = off;
    ends[i] = end;
    off += p.headerLength;
    end -= p.trailerLength ?? 0;
  }
  for (let i = list.length - 1; i >= 0; i--) list[i]!.codec.emit(buf, starts[i]!, ends[i]!, list, i);
  return offset + total;
}

/**
 * Bytes a layer list encodes to. Checks every layer's own fields, but not the auto fields that
 * depend on neighbours, so a slice of a frame (an inner packet, a tunnel's tail) can be measured.
 */
export function encodedLength<const T extends readonly Layer[]>(layers: T & CheckedLayers<T>, opts?: EncodeOptions): number {
  return totalLength(prepareAll(layers, opts));
}

/**
 * Encode a layer list (every auto field filled in) into buf at offset; returns the end offset.
 * Layer errors and a buffer too small (BufferTooSmallError) are found before anything is
 * written; only a computed length over 65535 (found while writing) can leave the buffer partly
 * written.
 */
export function encodeFrameInto<const T extends readonly Layer[]>(layers: T & CheckedLayers<T>, buf: Uint8Array, offset: number, opts?: EncodeOptions): number {
  const list = prepareAll(layers, opts);
  const total = totalLength(list);
  if (!Number.isInteger(offset) || offset < 0 || offset + total > buf.length) {
    throw new BufferTooSmallError(total, buf.length - offset);
  }
  return emitAll(list, buf, offset, total);
}

/** Encode a layer list into a new byte array, every auto field filled in. */
export function encodeFrame<const T extends readonly Layer[]>(layers: T & CheckedLayers<T>, opts?: EncodeOptions): Uint8Array {
  const list = prepareAll(layers, opts);
  const total = totalLength(list);
  const buf = new Uint8Array(total);
  emitAll(list, buf, 0, total);
  return buf;
}
