/**
 * Kind codes: the dissect loop, the dispatch tables and DissectState.next carry small integers
 * rather than kind names, so choosing the next dissector is an array index instead of a Map
 * lookup on a string. The codes are assigned by registry.ts from the order of its one list of
 * descriptors; this module only holds them, so that protocol files can refer to `KIND.ether`
 * without importing the registry (which imports them).
 */
import type { KindName } from './registry.js';

/** Code 0: raw bytes (the rest of the extent is payload). */
export const KIND_RAW = 0;

/**
 * Code of every kind, by name; filled in by registry.ts when it loads, before any frame can be
 * encoded or decoded (dissectors read it only inside scan()).
 */
export const KIND = {} as Record<KindName, number>;

/** Kind name of every code (KIND's inverse), filled in by registry.ts. */
export const KIND_NAMES: string[] = [];
