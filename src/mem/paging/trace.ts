/**
 * Memory-access traces for the demand-paging simulators: one access a line, `r ADDR` or
 * `w ADDR` (4 KiB pages), `#` starts a comment, ADDR in hex (`0x…`) or decimal, up to 2^64 - 1.
 *
 * Parsed once into typed arrays so the simulators never touch strings or BigInt: each distinct
 * page gets a dense id (0, 1, 2, … in order of first appearance) and the simulators index plain
 * Int32Arrays with it. Browser-safe: no Node APIs.
 */
import { VirtkitError } from '../../errors.js';

/** A trace line that is not `r ADDR` / `w ADDR`; `line` is 1-based. */
export class TraceError extends VirtkitError {
  override name = 'TraceError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/** Sentinel next-use time for "this page is never accessed again". */
export const NEVER = 0x7fffffff;

export interface PageTrace {
  /** Number of accesses. */
  readonly length: number;
  /** Dense page id of each access, 0..pageCount-1. */
  readonly pages: Int32Array;
  /** 1 where the access is a write, 0 for a read. */
  readonly writes: Uint8Array;
  /** Number of distinct pages. */
  readonly pageCount: number;
  /** Page number (address >> 12) of each dense id; exact up to 2^52. */
  readonly pageNumbers: Float64Array;
}

const HEX = /^0x([0-9a-f]+)$/i;
const DEC = /^[0-9]+$/;
const MAX_HEX_DIGITS = 16;
const MAX_DEC = 18446744073709551615n;

/** Page number (address >> 12) of a hex or decimal address, or -1 when the text is not one. */
function pageOf(text: string): number {
  const hex = HEX.exec(text);
  if (hex) {
    let digits = hex[1]!.replace(/^0+/, '');
    if (digits.length > MAX_HEX_DIGITS) return -2;
    // Dropping the last three hex digits is the shift by 12; at most 13 digits remain (< 2^52).
    digits = digits.length > 3 ? digits.slice(0, -3) : '0';
    return parseInt(digits, 16);
  }
  if (DEC.test(text)) {
    if (text.length <= 15) return Math.floor(Number(text) / 4096);
    const v = BigInt(text);
    if (v > MAX_DEC) return -2;
    return Number(v >> 12n);
  }
  return -1;
}

/** The slow, general path for one line (already without its newline): page, -1 for nothing, or throws. */
function parseLine(raw: string, lineNo: number, out: { write: number }): number {
  let line = raw;
  const hash = line.indexOf('#');
  if (hash >= 0) line = line.slice(0, hash);
  line = line.trim();
  if (line === '') return -1;
  const parts = line.split(/\s+/);
  const op = parts[0]!.toLowerCase();
  if (parts.length !== 2 || (op !== 'r' && op !== 'w')) {
    throw new TraceError(lineNo, `expected 'r ADDR' or 'w ADDR', got '${line}'`);
  }
  const page = pageOf(parts[1]!);
  if (page === -1) throw new TraceError(lineNo, `address '${parts[1]}' is not a number (decimal or 0x hex)`);
  if (page === -2) throw new TraceError(lineNo, `address '${parts[1]}' does not fit in 64 bits`);
  out.write = op === 'w' ? 1 : 0;
  return page;
}

const C_NL = 10;
const C_CR = 13;
const C_SP = 32;
const C_TAB = 9;
const C_HASH = 35;
const C_0 = 48;
const C_9 = 57;

/** Value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= C_0 && c <= C_9) return c - C_0;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * Parse trace text. Throws TraceError naming the first bad line. A scanner over char codes
 * handles the common line (`r 0x…` / `w 123`, up to 13 significant hex or 15 decimal digits,
 * an optional comment); anything else goes through parseLine, which also words the errors.
 */
export function parseTrace(text: string): PageTrace {
  const ids = new Map<number, number>();
  const numbers: number[] = [];
  let pages = new Int32Array(1024);
  let writes = new Uint8Array(1024);
  let n = 0;
  let lineNo = 0;
  const len = text.length;
  const slow = { write: 0 };
  let pos = 0;
  while (pos < len || (pos === len && lineNo === 0)) {
    lineNo++;
    const lineStart = pos;
    let i = pos;
    // Leading blanks.
    let c = text.charCodeAt(i);
    while (c === C_SP || c === C_TAB) c = text.charCodeAt(++i);
    let page = -1;
    let write = 0;
    let fast = false;
    if (c === C_NL || c === C_HASH || i >= len) {
      fast = true; // blank or comment-only line
    } else {
      const op = c | 0x20;
      const c1 = text.charCodeAt(i + 1);
      if ((op === 114 || op === 119) && (c1 === C_SP || c1 === C_TAB)) {
        write = op === 119 ? 1 : 0;
        i += 1;
        c = c1;
        while (c === C_SP || c === C_TAB) c = text.charCodeAt(++i);
        // The address.
        if (c === C_0 && (text.charCodeAt(i + 1) | 0x20) === 120) {
          i += 2;
          while (text.charCodeAt(i) === C_0) i++;
          const start = i;
          let d = hexDigit(text.charCodeAt(i));
          let v = 0;
          while (d >= 0) {
            v = v * 16 + d;
            d = hexDigit(text.charCodeAt(++i));
          }
          const digits = i - start;
          if (digits <= 13 && (digits > 0 || text.charCodeAt(start - 1) === C_0)) {
            page = Math.floor(v / 4096);
            fast = true;
          }
        } else if (c >= C_0 && c <= C_9) {
          const start = i;
          let v = 0;
          while (c >= C_0 && c <= C_9) {
            v = v * 10 + (c - C_0);
            c = text.charCodeAt(++i);
          }
          if (i - start <= 15) {
            page = Math.floor(v / 4096);
            fast = true;
          }
        }
        // After the address: blanks, then the end of the line or a comment.
        if (fast) {
          c = text.charCodeAt(i);
          while (c === C_SP || c === C_TAB || c === C_CR) c = text.charCodeAt(++i);
          if (!(c === C_NL || c === C_HASH || i >= len)) fast = false;
        }
      }
    }
    let end = text.indexOf('\n', i < len ? i : len);
    if (end < 0) end = len;
    if (!fast) {
      page = parseLine(text.slice(lineStart, end), lineNo, slow);
      write = slow.write;
    }
    pos = end + 1;
    if (page < 0) continue;
    let id = ids.get(page);
    if (id === undefined) {
      id = numbers.length;
      ids.set(page, id);
      numbers.push(page);
    }
    if (n === pages.length) {
      const p2 = new Int32Array(n * 2);
      p2.set(pages);
      pages = p2;
      const w2 = new Uint8Array(n * 2);
      w2.set(writes);
      writes = w2;
    }
    pages[n] = id;
    writes[n] = write;
    n++;
  }
  return { length: n, pages: pages.slice(0, n), writes: writes.slice(0, n), pageCount: numbers.length, pageNumbers: Float64Array.from(numbers) };
}

/**
 * A trace from page numbers directly (tests, the textbook strings). `writes` defaults to all
 * reads.
 */
export function traceFromPages(pageNumbers: ArrayLike<number>, writes?: ArrayLike<boolean | number>): PageTrace {
  const ids = new Map<number, number>();
  const numbers: number[] = [];
  const n = pageNumbers.length;
  const pages = new Int32Array(n);
  const w = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const page = pageNumbers[i]!;
    let id = ids.get(page);
    if (id === undefined) {
      id = numbers.length;
      ids.set(page, id);
      numbers.push(page);
    }
    pages[i] = id;
    w[i] = writes && writes[i] ? 1 : 0;
  }
  return { length: n, pages, writes: w, pageCount: numbers.length, pageNumbers: Float64Array.from(numbers) };
}

/**
 * For each access i, the index of the next access to the same page, or NEVER. OPT needs it;
 * one backward pass, O(length).
 */
export function nextUses(pages: Int32Array, pageCount: number): Int32Array {
  const next = new Int32Array(pages.length);
  const seen = new Int32Array(pageCount).fill(NEVER);
  for (let i = pages.length - 1; i >= 0; i--) {
    const p = pages[i]!;
    next[i] = seen[p]!;
    seen[p] = i;
  }
  return next;
}
