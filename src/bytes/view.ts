/**
 * ByteWriter: a caller's byte array with its one long-lived DataView, for the fast per-header
 * encoders. A DataView store is one unaligned big-endian write where byte arithmetic needs two
 * to four bounds-checked byte stores; keeping the view (and the array's length) in plain fields
 * avoids the typed-array getters (buffer, byteOffset, length) on every call. Make one writer
 * per buffer and reuse it (writerFor caches the last ones), never one per header.
 */
import { VirtkitError } from '../errors.js';

/** The byte arrays one after another in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A caller's buffer cannot hold what is to be written at the given offset. */
export class BufferTooSmallError extends VirtkitError {
  override name = 'BufferTooSmallError';
  constructor(
    readonly needed: number,
    readonly available: number,
  ) {
    super(`needs ${needed} bytes, the buffer has ${Math.max(0, available)} from the offset`);
  }
}

export class ByteWriter {
  /** Big-endian access to exactly `bytes` (position i is bytes[i]). */
  readonly view: DataView;
  readonly length: number;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.length;
  }

  /**
   * Check that `size` bytes fit at `off` and return `off`: BufferTooSmallError instead of a
   * RangeError from the DataView.
   */
  room(off: number, size: number): number {
    if (!(off >= 0 && off + size <= this.length)) throw new BufferTooSmallError(size, this.length - off);
    return off;
  }
}

const writers = new WeakMap<Uint8Array, ByteWriter>();
let lastBytes: Uint8Array | null = null;
let lastWriter: ByteWriter | null = null;

/** The long-lived writer of a byte array (made once per array, then found again). */
export function writerFor(bytes: Uint8Array): ByteWriter {
  if (bytes === lastBytes) return lastWriter!;
  let w = writers.get(bytes);
  if (!w) {
    w = new ByteWriter(bytes);
    writers.set(bytes, w);
  }
  lastBytes = bytes;
  lastWriter = w;
  return w;
}
