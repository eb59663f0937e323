/** Byte strings as text: lowercase hex without separators (the JSON layer format's form). */

const HEX_DIGITS = '0123456789abcdef';

/** ASCII codes of the hex digits, for the long-input path. */
const HEX_CODES = Uint8Array.from(HEX_DIGITS, (c) => c.charCodeAt(0));
const ascii = new TextDecoder();
/** Below this many bytes, appending to a string is quickest; above, one flat decode. */
const SHORT_HEX = 64;

/**
 * Lowercase hex of bytes[start, end). Long inputs are written as ASCII codes into one buffer
 * and decoded once: appending two characters a byte builds a rope of ~n pieces (tens of bytes
 * of memory per input byte for a 16 MiB frame) before it is flattened.
 */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start > SHORT_HEX) {
    const codes = new Uint8Array(2 * (end - start));
    for (let i = start, j = 0; i < end; i++, j += 2) {
      const b = bytes[i]!;
      codes[j] = HEX_CODES[b >>> 4]!;
      codes[j + 1] = HEX_CODES[b & 15]!;
    }
    return ascii.decode(codes);
  }
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    s += HEX_DIGITS[b >>> 4]! + HEX_DIGITS[b & 15]!;
  }
  return s;
}

/** Value of each ASCII hex digit, -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i;

function nibble(code: number): number {
  return code < 128 ? NIBBLE[code]! : -1;
}

/** True when text is an even number of hex digits (either case). */
export function isHex(text: string): boolean {
  if (text.length % 2 !== 0) return false;
  for (let i = 0; i < text.length; i++) if (nibble(text.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * Hex text to bytes; returns null for odd length or a non-hex character (callers turn that
 * into their own typed error naming the field).
 */
export function hexToBytes(text: string): Uint8Array | null {
  if (text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if ((hi | lo) < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}
