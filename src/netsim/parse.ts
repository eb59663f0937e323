/**
 * Checks for scenario values, each raising a NetsimError that names the place (`where`). Every
 * device type's parser uses these, so messages read the same everywhere.
 */
import { parseIpv4, parseMac } from '../bytes/addr.js';
import { NetsimError } from './errors.js';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function object(v: unknown, where: string): Record<string, unknown> {
  if (!isObject(v)) throw new NetsimError(where, 'must be an object');
  return v;
}

export function array(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new NetsimError(where, 'must be an array');
  return v;
}

/** Reject keys outside `allowed` (a typo must not silently change the network). */
export function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new NetsimError(where, `unknown key "${k}" (valid: ${allowed.join(', ')})`);
}

export function string(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new NetsimError(where, 'must be a non-empty string');
  return v;
}

/** An integer given as a JSON number, or as a string in decimal or 0x hex. */
export function integer(v: unknown, where: string, min: number, max: number, what = 'value'): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) n = Number(v.trim());
  else throw new NetsimError(where, `${what} ${JSON.stringify(v)} is not an integer`);
  if (!Number.isInteger(n) || n < min || n > max) throw new NetsimError(where, `${what} ${JSON.stringify(v)} is outside ${min}..${max}`);
  return n;
}

/** A VLAN ID a port can belong to: 1..4094 (0 means untagged, 4095 is reserved). */
export function vlanId(v: unknown, where: string): number {
  return integer(v, where, 1, 4094, 'VLAN');
}

export function mac(v: unknown, where: string): Uint8Array {
  const m = typeof v === 'string' ? parseMac(v) : null;
  if (!m) throw new NetsimError(where, `${JSON.stringify(v)} is not a MAC address like "02:00:00:00:00:01"`);
  return m;
}

/** "10.1.0.0/16" → network and prefix length. */
export function ipv4Prefix(v: unknown, where: string): { net: number; bits: number } {
  const m = typeof v === 'string' ? /^([0-9.]+)\/(\d{1,2})$/.exec(v) : null;
  const addr = m ? parseIpv4(m[1]!) : -1;
  const bits = m ? Number(m[2]) : -1;
  if (addr < 0 || bits < 0 || bits > 32) throw new NetsimError(where, `${JSON.stringify(v)} is not an IPv4 subnet like "10.1.0.0/16"`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: (addr & mask) >>> 0, bits };
}

const MAX_SECONDS = 9_000_000; // nanoseconds stay below 2^53

/**
 * Seconds — a JSON number or a decimal string, up to 9 decimals — as integer nanoseconds.
 * Strings are read digit by digit so "0.000000001" is exactly 1 ns.
 */
export function seconds(v: unknown, where: string, what = 'time'): number {
  const text = typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v.toFixed(9).replace(/\.?0+$/, '') : v;
  const m = typeof text === 'string' ? /^(\d+)(?:\.(\d{0,9}))?$/.exec(text.trim()) : null;
  if (!m) throw new NetsimError(where, `${what} ${JSON.stringify(v)} is not seconds (a number or a decimal string with at most 9 decimals)`);
  const sec = Number(m[1]);
  if (sec > MAX_SECONDS) throw new NetsimError(where, `${what} ${JSON.stringify(v)} is beyond ${MAX_SECONDS} s`);
  return sec * 1e9 + Number((m[2] ?? '').padEnd(9, '0'));
}

/** A count or size: a number, or a string with an SI suffix (k, M, G: powers of 1000). */
export function rate(v: unknown, where: string, what: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else {
    const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*([kKMG]?)$/.exec(v.trim()) : null;
    if (!m) throw new NetsimError(where, `${what} ${JSON.stringify(v)} is not a number (suffixes k, M, G: ×1000)`);
    n = Number(m[1]) * ({ '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]!]!;
  }
  if (!Number.isFinite(n) || n <= 0) throw new NetsimError(where, `${what} ${JSON.stringify(v)} must be positive`);
  return n;
}
