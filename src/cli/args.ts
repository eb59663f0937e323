/**
 * A small, strict argument parser shared by every subcommand: unknown flags, missing values and
 * bad numbers are UsageErrors (exit 2, one line), never silently ignored.
 */
import { UsageError } from '../errors.js';

export type FlagKind = 'bool' | 'string';

export interface FlagSpec {
  [name: string]: FlagKind;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Parse argv against a flag spec. Accepts `--flag value`, `--flag=value` and `-o value` aliases. */
export function parseArgs(argv: readonly string[], spec: FlagSpec, aliases: Record<string, string> = {}): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && arg !== '-' && !/^-\d/.test(arg)) {
      let value: string | undefined;
      const eq = arg.indexOf('=');
      if (eq > 0) {
        value = arg.slice(eq + 1);
        arg = arg.slice(0, eq);
      }
      let name = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
      name = ownEntry(aliases, name) ?? name;
      const kind = ownEntry(spec, name);
      if (kind === undefined) throw new UsageError(`unknown option ${arg}`);
      if (kind === 'bool') {
        if (value !== undefined) throw new UsageError(`option ${arg} takes no value`);
        flags.set(name, true);
      } else {
        if (value === undefined) {
          value = argv[++i];
          if (value === undefined) throw new UsageError(`option ${arg} needs a value`);
        }
        flags.set(name, value);
      }
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags };
}

export function flagString(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagBool(p: ParsedArgs, name: string): boolean {
  return p.flags.get(name) === true;
}

const SUFFIX: Record<string, bigint> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n };

/**
 * Parse a number as cli.md defines inputs: hex (`0x…`) or decimal, optionally with a size suffix
 * (`4K`, `2M`, `1G`). Returns a bigint so 64-bit addresses stay exact.
 */
export function parseBigNumber(text: string, what: string): bigint {
  const t = text.trim();
  let m = /^0x([0-9a-fA-F]+)$/.exec(t);
  if (m) return BigInt('0x' + m[1]);
  m = /^(\d+)([KMGT])?i?B?$/i.exec(t);
  if (m) {
    const base = BigInt(m[1]!);
    const suf = m[2] ? SUFFIX[m[2].toUpperCase()]! : 1n;
    return base * suf;
  }
  throw new UsageError(`${what}: '${text}' is not a number (decimal, 0x hex, or with K/M/G suffix)`);
}

/** Like parseBigNumber but for values that must fit a JS number exactly (counts, sizes, MTUs). */
export function parseNumber(text: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = parseBigNumber(text, what);
  if (v < BigInt(min) || v > BigInt(max)) throw new UsageError(`${what}: ${text} is out of range ${min}..${max}`);
  return Number(v);
}

/** Format a possibly-64-bit value as cli.md wants big numbers in JSON: a `0x…` string. */
export function hex(v: bigint | number): string {
  return '0x' + (typeof v === 'bigint' ? v : BigInt(v)).toString(16);
}

/**
 * `table[key]` for a name the user typed, only when the table itself has it: a plain `table[key]`
 * would find `constructor`, `toString` or `__proto__` on Object.prototype.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}
