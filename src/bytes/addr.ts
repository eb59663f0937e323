/**
 * Address text helpers: MAC, IPv4 and IPv6 (any valid RFC 4291 text in, RFC 5952 text out).
 * Parsers return null for malformed text so the caller can raise an error naming its field.
 */

const HEX = '0123456789abcdef';

function hexByte(b: number): string {
  return HEX[b >>> 4]! + HEX[b & 15]!;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20; // fold A-F to a-f
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** "aa:bb:cc:dd:ee:ff" (also '-' separated, either case) → 6 bytes written at out[off], or false. */
export function parseMacInto(text: string, out: Uint8Array, off: number): boolean {
  if (text.length !== 17) return false;
  const sep = text.charCodeAt(2);
  if (sep !== 58 && sep !== 45) return false; // ':' or '-', the same all through
  for (let i = 0; i < 6; i++) {
    const p = 3 * i;
    if (i > 0 && text.charCodeAt(p - 1) !== sep) return false;
    const hi = hexDigit(text.charCodeAt(p));
    const lo = hexDigit(text.charCodeAt(p + 1));
    if (hi < 0 || lo < 0) return false;
    out[off + i] = (hi << 4) | lo;
  }
  return true;
}

/** MAC text → 6 new bytes, or null when malformed. */
export function parseMac(text: string): Uint8Array | null {
  const out = new Uint8Array(6);
  return parseMacInto(text, out, 0) ? out : null;
}

/** bytes[off, off+6) → "aa:bb:cc:dd:ee:ff". */
export function formatMac(bytes: Uint8Array, off = 0): string {
  let s = hexByte(bytes[off]!);
  for (let i = 1; i < 6; i++) s += ':' + hexByte(bytes[off + i]!);
  return s;
}

/** Dotted quad → unsigned 32-bit number, or -1 when malformed (no leading zeros, each 0..255). */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c === 46) {
      if (digits === 0) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  return dots === 4 ? value : -1;
}

/** Unsigned 32-bit number → dotted quad. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** IPv6 text (RFC 4291 §2.2 forms, including "::" and a trailing dotted quad) → 16 bytes written at out[off], or false. */
export function parseIpv6Into(text: string, out: Uint8Array, off: number): boolean {
  if (text.length === 0 || text.length > 45) return false;
  const words: number[] = [];
  let head = text;
  let tailV4 = -1;
  // A trailing dotted quad fills the last two words.
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) >= 0) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 < 0) return false;
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "a:b:c:d:e:f:1.2.3.4" leaves "…f:" whose final ':' is the separator.
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const totalWords = tailV4 >= 0 ? 6 : 8;
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::') || (dbl >= 0 && head.indexOf(':::') >= 0)) return false;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const g = s.split(':');
    const r: number[] = [];
    for (const x of g) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return null;
      r.push(parseInt(x, 16));
    }
    return r;
  };
  if (dbl >= 0) {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right) return false;
    const zeros = totalWords - left.length - right.length;
    if (zeros < 1) return false;
    words.push(...left);
    for (let i = 0; i < zeros; i++) words.push(0);
    words.push(...right);
  } else {
    const all = parseGroups(head);
    if (!all || all.length !== totalWords) return false;
    words.push(...all);
  }
  for (let i = 0; i < totalWords; i++) {
    out[off + 2 * i] = words[i]! >>> 8;
    out[off + 2 * i + 1] = words[i]! & 255;
  }
  if (tailV4 >= 0) {
    out[off + 12] = tailV4 >>> 24;
    out[off + 13] = (tailV4 >>> 16) & 255;
    out[off + 14] = (tailV4 >>> 8) & 255;
    out[off + 15] = tailV4 & 255;
  }
  return true;
}

/** IPv6 text → 16 new bytes, or null when malformed. */
export function parseIpv6(text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  return parseIpv6Into(text, out, 0) ? out : null;
}

/**
 * bytes[off, off+16) → RFC 5952 text: lowercase, no leading zeros, the longest run of two or
 * more zero words (the first of equal runs) as "::", and IPv4-mapped addresses as ::ffff:a.b.c.d.
 */
export function formatIpv6(bytes: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!);
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return '::ffff:' + formatIpv4(((w[6]! << 16) | w[7]!) >>> 0);
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero word is never compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => w.slice(a, b).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return hex(0, bestStart) + '::' + hex(bestStart + bestLen, 8);
}
