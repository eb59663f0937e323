/**
 * Big-endian reads and writes on plain byte arrays. Byte arithmetic instead of a DataView: no
 * view to create or keep per buffer, no alignment rules, and V8 inlines these into the callers.
 * Callers check bounds first (decoders) or own the buffer (encoders).
 */
export function put16(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 8;
  buf[p + 1] = v;
}

export function put24(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 16;
  buf[p + 1] = v >>> 8;
  buf[p + 2] = v;
}

export function put32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = v >>> 16;
  buf[p + 2] = v >>> 8;
  buf[p + 3] = v;
}

export function get16(buf: Uint8Array, p: number): number {
  return (buf[p]! << 8) | buf[p + 1]!;
}

export function get24(buf: Uint8Array, p: number): number {
  return (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
}

export function get32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}
