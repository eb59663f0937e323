/**
 * The one RFC 1071 Internet checksum in virtkit. Every IPv4 header, UDP, ICMP and GRE checksum
 * goes through these two functions, so a fix here fixes all of them.
 */

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
  // Four bytes per step: two words. Byte arithmetic instead of a DataView keeps this free of
  // allocation and of alignment concerns.
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

/** Fold a partial sum to 16 bits with end-around carries (RFC 1071 §4.1). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
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
 * Copy src[start, end) to dst[at…] and return its one's-complement partial sum (as onesSum
 * would), reading the source once: for encoders that write a payload and checksum it.
 */
export function copyWithSum(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  let o = at;
  const even = end - ((end - start) & 1);
  // Four bytes (two words) per step, as in onesSum.
  for (; i + 3 < even; i += 4, o += 4) {
    const a = src[i]!;
    const b = src[i + 1]!;
    const c = src[i + 2]!;
    const d = src[i + 3]!;
    dst[o] = a;
    dst[o + 1] = b;
    dst[o + 2] = c;
    dst[o + 3] = d;
    sum += ((a << 8) | b) + ((c << 8) | d);
  }
  if (i < even) {
    const a = src[i]!;
    const b = src[i + 1]!;
    dst[o] = a;
    dst[o + 1] = b;
    sum += (a << 8) | b;
    i += 2;
    o += 2;
  }
  if (i < end) {
    const a = src[i]!;
    dst[o] = a;
    sum += a << 8;
  }
  return sum;
}
