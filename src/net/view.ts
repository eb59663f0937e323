/**
 * Zero-copy decoding: FrameView runs the decoder's scan (the same checks and dispatch as
 * decodeFrame) and records where each layer lies, without building layer objects or strings;
 * fields are read from the bytes only when asked, through the same layout tables. Reuse one
 * view for many frames: scanning allocates nothing per frame.
 */
import { getField, layoutCount, type Field } from './fields.js';
import { LAYER_NAME_OF_CODE, LayerTable, scanFrame } from './dissect.js';
import { DISSECTORS, PROTOCOLS } from './registry.js';
import { rawLayer } from './codec.js';
import { VirtkitError, type DecodeError } from '../errors.js';
import type { DecodedFrame, DecodeOptions, DissectState, Layer } from './types.js';
import { decodeFrame } from './dissect.js';

const EMPTY = new Uint8Array(0);

/**
 * Which layouts FrameView.field may read from a layer of each kind: entry code * STRIDE + layout
 * number is 1 for the layouts of that kind's descriptor (two loads per check, no hashing).
 */
const STRIDE = layoutCount();
const LAYOUT_OF_CODE = new Uint8Array(PROTOCOLS.length * STRIDE);
PROTOCOLS.forEach((d, code) => {
  for (const l of d.layouts) if (l.fields.length) LAYOUT_OF_CODE[code * STRIDE + l.fields[0]!.layout] = 1;
});

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

  /**
   * A numeric fixed-part field of layer i, e.g. `view.field(i, VXLAN.f.vni)`. The field must
   * belong to a layout of layer i's kind (a VirtkitError otherwise, rather than bits read from
   * another header).
   */
  field(i: number, f: Field): number {
    if (!((i >>> 0) < this.table.count && f.layout < STRIDE && LAYOUT_OF_CODE[this.table.kind[i]! * STRIDE + f.layout] === 1)) this.refuse(i, f);
    return getField(this.bytes, this.table.start[i]!, f);
  }

  private refuse(i: number, f: Field): never {
    if (!(i >= 0 && i < this.table.count)) throw new VirtkitError(`layer ${i} does not exist (the frame has ${this.table.count})`);
    throw new VirtkitError(`layer ${i} is ${this.kind(i)}, which has no field '${f.name}' of that layout`);
  }

  /** All layers as objects (what decodeFrame gives). */
  decode(): DecodedFrame {
    return decodeFrame(this.bytes.subarray(0, this.end), this.opts);
  }

  /** Layer i as an object with every field (from its own bytes; nothing else is decoded again). */
  layer(i: number): Layer {
    if (!(i >= 0 && i < this.table.count)) throw new VirtkitError(`layer ${i} does not exist (the frame has ${this.table.count})`);
    const start = this.table.start[i]!;
    const len = this.table.length[i]!;
    const d = DISSECTORS[this.table.kind[i]!];
    return d ? d.fields(this.bytes, start, len) : rawLayer(this.bytes, start, start + len);
  }
}
