/**
 * The one RFC 1071 Internet checksum in virtkit. Every IPv4 header, UDP, ICMP and GRE checksum
 * goes through these functions, so a fix here fixes all of them.
 */
import { BufferTooSmallError, type ByteWriter } from './view.js';

/**
 * One's-complement partial sum of the big-endian 16-bit words in bytes[start, end), added to
 * `initial` (another partial sum, e.g. of a pseudo-header). An odd trailing byte is padded with
 * zero on the right, as RFC 1071 says. The result is NOT folded or complemented, so partial sums
 * can be chained; it stays exact below 2^53, i.e. for any frame.
 */
export function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  // Four bytes per step: two words. Byte arithmetic (no view needed, any alignment); reading
  // past the array's end is impossible, it would only yield NaN.
  for (; i + 3 < even; i += 4) {
    sum += ((bytes[i]! << 8) | bytes[i + 1]!) + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  if (i < even) {
    sum += (bytes[i]! << 8) | bytes[i + 1]!;
    i += 2;
  }
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/**
 * onesSum over positions [start, end) of a ByteWriter, two words per 32-bit load from its
 * long-lived DataView (the fast encoders' payload sums). Same result as onesSum of its bytes.
 */
export function onesSumOf(out: ByteWriter, start: number, end: number, initial = 0): number {
  const d = out.view;
  let p = out.room(start, end - start);
  let sum = initial;
  // Four 32-bit loads a step (the fast encoders' payloads), then single words.
  for (; p + 16 <= end; p += 16) sum += halves(d.getUint32(p)) + halves(d.getUint32(p + 4)) + halves(d.getUint32(p + 8)) + halves(d.getUint32(p + 12));
  for (; p + 4 <= end; p += 4) sum += halves(d.getUint32(p));
  if (p + 2 <= end) {
    sum += d.getUint16(p);
    p += 2;
  }
  if (p < end) sum += d.getUint8(p) << 8;
  return sum;
}

/** Sum of the two 16-bit halves of a 32-bit word (one's-complement arithmetic on words). */
export function halves(w: number): number {
  return (w >>> 16) + (w & 0xffff);
}

/** Fold a partial sum to 16 bits with end-around carries (RFC 1071 §4.1). */
export function foldSum(sum: number): number {
  // Sums past 32 bits (frames over 128 KiB of words) first come down with exact arithmetic.
  while (sum > 0xffffffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + (sum >>> 16); // ≤ 0x1fffe
  return (sum & 0xffff) + (sum >>> 16);
}

/**
 * The Internet checksum of bytes[start, end): the one's complement of the folded one's-complement
 * sum, with `initial` a partial sum added first (pseudo-header). The checksum field itself must
 * hold zero (or be excluded) when this is computed for sending.
 */
export function internetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~foldSum(onesSum(bytes, start, end, initial)) & 0xffff;
}

/**
 * Copy src[start, end) to position `at` of a ByteWriter and return the copy's one's-complement
 * partial sum (as onesSum would): for encoders that write a payload and checksum it.
 */
export function copyWithSum(out: ByteWriter, at: number, src: Uint8Array, start: number, end: number, initial = 0): number {
  out.room(at, end - start);
  if (!(start >= 0 && start <= end && end <= src.length)) throw new BufferTooSmallError(end - start, src.length - start);
  if (start === 0 && end === src.length) out.bytes.set(src, at);
  else for (let i = start, o = at, b = out.bytes; i < end; i++, o++) b[o] = src[i]!; // no subarray object per call
  return onesSumOf(out, at, at + (end - start), initial);
}
