/**
 * Zero-copy decoding: FrameView runs the decoder's scan (the same checks and dispatch as
 * decodeFrame) and records where each layer lies, without building layer objects or strings;
 * fields are read from the bytes only when asked, through the same layout tables. Reuse one
 * view for many frames: scanning allocates nothing per frame.
 */
import { getField, type Field } from './fields.js';
import { LAYER_NAME_OF_CODE, LayerTable, scanFrame } from './dissect.js';
import type { DecodeError } from '../errors.js';
import type { DecodedFrame, DecodeOptions, DissectState, Layer } from './types.js';
import { decodeFrame } from './dissect.js';

const EMPTY = new Uint8Array(0);

export class FrameView {
  private readonly table = new LayerTable();
  private readonly st: DissectState;
  private bytes: Uint8Array = EMPTY;
  private end = 0;

  constructor(readonly opts: DecodeOptions = {}) {
    this.st = { opts, next: 0, end: 0 };
  }

  /** Scan bytes[0, end) as an Ethernet frame; returns the number of layers. Never throws for any bytes. */
  scan(bytes: Uint8Array, end: number = bytes.length): number {
    this.bytes = bytes;
    this.end = end;
    scanFrame(bytes, end, this.opts, this.table, this.st);
    return this.table.count;
  }

  get count(): number {
    return this.table.count;
  }

  /** The first thing that could not be decoded, as decodeFrame would report it. */
  get error(): DecodeError | undefined {
    return this.table.error;
  }

  /** Layer kind of layer i ('raw' for payload, padding and undecoded bytes). */
  kind(i: number): string {
    return LAYER_NAME_OF_CODE[this.table.kind[i]!]!;
  }

  start(i: number): number {
    return this.table.start[i]!;
  }

  length(i: number): number {
    return this.table.length[i]!;
  }

  /** Index of the nth (from 0) layer of a kind, or -1. */
  find(kind: string, nth = 0): number {
    for (let i = 0; i < this.table.count; i++) if (this.kind(i) === kind && nth-- === 0) return i;
    return -1;
  }

  /** A numeric fixed-part field of layer i, e.g. `view.field(i, VXLAN.f.vni)`. */
  field(i: number, f: Field): number {
    return getField(this.bytes, this.table.start[i]!, f);
  }

  /** All layers as objects (what decodeFrame gives). */
  decode(): DecodedFrame {
    return decodeFrame(this.bytes.subarray(0, this.end), this.opts);
  }

  /** Layer i as an object with every field. */
  layer(i: number): Layer {
    return this.decode().layers[i]!;
  }
}
