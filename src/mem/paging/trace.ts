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

/** Parse trace text. Throws TraceError naming the first bad line. */
export function parseTrace(text: string): PageTrace {
  const ids = new Map<number, number>();
  const numbers: number[] = [];
  let pages = new Int32Array(1024);
  let writes = new Uint8Array(1024);
  let n = 0;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    const op = parts[0]!.toLowerCase();
    if (parts.length !== 2 || (op !== 'r' && op !== 'w')) {
      throw new TraceError(lineNo, `expected 'r ADDR' or 'w ADDR', got '${line}'`);
    }
    const page = pageOf(parts[1]!);
    if (page === -1) throw new TraceError(lineNo, `address '${parts[1]}' is not a number (decimal or 0x hex)`);
    if (page === -2) throw new TraceError(lineNo, `address '${parts[1]}' does not fit in 64 bits`);
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
    writes[n] = op === 'w' ? 1 : 0;
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
