/**
 * Layers → bytes. One approach everywhere: every layer is checked and measured first (prepare),
 * auto fields taken from neighbours are resolved (link), then headers are written innermost
 * first (emit), so each header sees its final payload when it computes lengths and checksums.
 */
import { EncodeError } from '../errors.js';
import { BufferTooSmallError } from '../bytes/view.js';
import type { Codec, Layer, Prepared } from './types.js';
import { etherCodec } from './ether.js';
import { dot1qCodec } from './dot1q.js';
import { dot1adCodec } from './dot1ad.js';
import { arpCodec, rarpCodec } from './arp.js';
import { pppCodec } from './ppp.js';
import { pppoeCodec } from './pppoe.js';
import { erspanCodec } from './erspan.js';
import { gtpuCodec } from './gtpu.js';
import { vxlanGpeCodec } from './vxlangpe.js';
import { nshCodec } from './nsh.js';
import { ipv4Codec } from './ipv4.js';
import { ipv6Codec } from './ipv6.js';
import { udpCodec } from './udp.js';
import { icmpCodec } from './icmp.js';
import { vxlanCodec } from './vxlan.js';
import { greCodec } from './gre.js';
import { mplsCodec } from './mpls.js';
import { geneveCodec } from './geneve.js';
import { rawCodec } from './raw.js';

/** Every layer kind the encoder knows, by its `layer` name. */
export const CODECS: ReadonlyMap<string, Codec> = new Map(
  [etherCodec, dot1qCodec, dot1adCodec, arpCodec, ipv4Codec, ipv6Codec, udpCodec, icmpCodec, vxlanCodec, greCodec, mplsCodec, geneveCodec, rawCodec, pppCodec, pppoeCodec, erspanCodec, gtpuCodec, rarpCodec, vxlanGpeCodec, nshCodec].map(
    (c) => [c.kind, c],
  ),
);

function prepareAll(layers: readonly Layer[]): Prepared[] {
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
      throw new EncodeError(i, String(kind), 'layer', `'${String(kind)}' is not a known kind (known: ${[...CODECS.keys()].join(', ')})`);
    }
    list.push(codec.prepare(layer, i));
  }
  return list;
}

function totalLength(list: readonly Prepared[]): number {
  let n = 0;
  for (const p of list) n += p.headerLength;
  return n;
}

function emitAll(list: Prepared[], buf: Uint8Array, offset: number, total: number): number {
  for (let i = 0; i < list.length; i++) list[i]!.codec.link(list, i);
  const starts = new Array<number>(list.length);
  let off = offset;
  for (let i = 0; i < list.length; i++) {
    starts[i] = off;
    off += list[i]!.headerLength;
  }
  const end = offset + total;
  for (let i = list.length - 1; i >= 0; i--) list[i]!.codec.emit(buf, starts[i]!, end, list, i);
  return end;
}

/**
 * Bytes a layer list encodes to. Checks every layer's own fields, but not the auto fields that
 * depend on neighbours, so a slice of a frame (an inner packet, a tunnel's tail) can be measured.
 */
export function encodedLength(layers: readonly Layer[]): number {
  return totalLength(prepareAll(layers));
}

/**
 * Encode a layer list (every auto field filled in) into buf at offset; returns the end offset.
 * Layer errors and a buffer too small (BufferTooSmallError) are found before anything is
 * written; only a computed length over 65535 (found while writing) can leave the buffer partly
 * written.
 */
export function encodeFrameInto(layers: readonly Layer[], buf: Uint8Array, offset: number): number {
  const list = prepareAll(layers);
  const total = totalLength(list);
  if (!Number.isInteger(offset) || offset < 0 || offset + total > buf.length) {
    throw new BufferTooSmallError(total, buf.length - offset);
  }
  return emitAll(list, buf, offset, total);
}

/** Encode a layer list into a new byte array, every auto field filled in. */
export function encodeFrame(layers: readonly Layer[]): Uint8Array {
  const list = prepareAll(layers);
  const total = totalLength(list);
  const buf = new Uint8Array(total);
  emitAll(list, buf, 0, total);
  return buf;
}
