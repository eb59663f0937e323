/**
 * Capture timestamps as seconds + nanoseconds, kept exact. A spec's `time` is a decimal string of
 * seconds; it is parsed digit by digit (never through a float, which keeps only ~16 significant
 * digits: 1700000000.000000001 would lose its last nanosecond).
 */
import { VirtkitError } from '../errors.js';

export const NS_PER_SEC = 1_000_000_000;

/** A point in time as whole seconds since the epoch and nanoseconds within the second. */
export interface Timestamp {
  sec: number;
  nsec: number;
}

/** Largest second count a pcapng nanosecond timestamp (64-bit count of ns) can hold. */
export const MAX_SEC = 18_446_744_073; // floor((2^64 - 1) / 1e9)

const TIME_RE = /^(-?)(\d{1,20})(?:\.(\d{0,9}))?$/;

/**
 * Parse "1700000000.000000001" (seconds, up to 9 decimals) into seconds and nanoseconds.
 * Throws a VirtkitError naming the text when it is not such a number.
 */
export function parseTime(text: string): Timestamp {
  const m = TIME_RE.exec(text.trim());
  if (!m) throw new VirtkitError(`time '${text}' is not decimal seconds with at most 9 decimals`);
  const sec = Number(m[2]!);
  if (sec > MAX_SEC) throw new VirtkitError(`time '${text}' is beyond what a capture file can hold`);
  const nsec = Number((m[3] ?? '').padEnd(9, '0'));
  // Before 1970 (what decode prints for a negative if_tsoffset): -4.999999900 is sec -5 + 100 ns.
  if (m[1] === '-') return nsec === 0 ? { sec: -sec, nsec: 0 } : { sec: -sec - 1, nsec: NS_PER_SEC - nsec };
  return { sec, nsec };
}

/**
 * Seconds and nanoseconds (0 ≤ nsec < 10^9, added to sec) as the decimal string the JSON output
 * uses: all 9 decimals. Before 1970 the decimal is of the whole value: sec -5 with 100 ns is
 * -4.999999900. `sec` may be a bigint for times beyond 2^53 seconds.
 */
export function formatTime(sec: number | bigint, nsec: number): string {
  if (sec < 0 && nsec > 0) {
    const whole = typeof sec === 'bigint' ? -(sec + 1n) : -(sec + 1);
    return `-${whole}.${String(NS_PER_SEC - nsec).padStart(9, '0')}`;
  }
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/** t + step, carrying nanoseconds into seconds. Returns a new object. */
export function addTime(t: Timestamp, step: Timestamp): Timestamp {
  let sec = t.sec + step.sec;
  let nsec = t.nsec + step.nsec;
  if (nsec >= NS_PER_SEC) {
    nsec -= NS_PER_SEC;
    sec += 1;
  }
  return { sec, nsec };
}

/** The time as a bigint count of nanoseconds (for callers that want one number). */
export function toNanoseconds(t: Timestamp): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
}

/** A bigint count of nanoseconds as seconds + nanoseconds. */
export function fromNanoseconds(ns: bigint): Timestamp {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}
