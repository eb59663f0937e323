/** Byte strings as text: lowercase hex without separators (the JSON layer format's form). */

const HEX_DIGITS = '0123456789abcdef';

/** Lowercase hex of bytes[start, end). */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    s += HEX_DIGITS[b >>> 4]! + HEX_DIGITS[b & 15]!;
  }
  return s;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
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
  if (!isHex(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = (nibble(text.charCodeAt(2 * i)) << 4) | nibble(text.charCodeAt(2 * i + 1));
  }
  return out;
}
