/**
 * Data-TLB geometries of real cores, as their vendors publish them. Only the data side is
 * modelled (the instruction TLBs are separate structures a data access never uses).
 *
 * Simplifications, stated once: real STLBs may be skewed-associative or use hashed set indexes
 * (Hadi Brais on AMD's L2 DTLB; Intel does not document its index functions); here every array
 * indexes its sets by VPN mod sets. Where a core shares an array between page sizes, both sizes
 * compete for the same sets and ways.
 */
import type { TlbGeometry } from './tlb.js';

/**
 * Intel Skylake (client and server cores), per the Intel 64 and IA-32 Architectures Optimization
 * Reference Manual (order no. 248966), table "TLB Parameters of the Skylake Microarchitecture":
 * L1 DTLB 4K: 64 entries, 4-way; 2M/4M: 32 entries, 4-way; 1G: 4 entries, 4-way (fully
 * associative). STLB: 4K and 2M/4M shared, 1536 entries, 12-way; 1G: 16 entries, 4-way.
 * (The same figures are on WikiChip's Skylake (client) page and in Agner Fog's microarchitecture
 * manual.)
 */
export const SKYLAKE: TlbGeometry = {
  name: 'skylake',
  l1: [
    { name: 'L1 DTLB 4K', entries: 64, ways: 4, pageShifts: [12] },
    { name: 'L1 DTLB 2M', entries: 32, ways: 4, pageShifts: [21] },
    { name: 'L1 DTLB 1G', entries: 4, ways: 4, pageShifts: [30] },
  ],
  l2: [
    { name: 'STLB 4K+2M', entries: 1536, ways: 12, pageShifts: [12, 21] },
    { name: 'STLB 1G', entries: 16, ways: 4, pageShifts: [30] },
  ],
};

/**
 * AMD Zen (Family 17h Models 00h–0Fh), per the AMD Software Optimization Guide for AMD Family 17h
 * Processors (publication 55723), section "L1 and L2 Translation Lookaside Buffers": the L1 data
 * TLB is fully associative, 64 entries, holding 4K, 2M and 1G pages; the L2 data TLB is 1536
 * entries, 12-way, holding 4K and 2M pages — 1G pages are "smashed" into 2M entries there, which
 * is not modelled: in this preset a 1G page lives in the L1 DTLB only. (Zen 2 raised the L2 DTLB
 * to 2048 entries; sources disagree on its associativity, so it is not offered as a preset.)
 */
export const ZEN1: TlbGeometry = {
  name: 'zen1',
  l1: [{ name: 'L1 DTLB', entries: 64, ways: 64, pageShifts: [12, 21, 30] }],
  l2: [{ name: 'L2 DTLB 4K+2M', entries: 1536, ways: 12, pageShifts: [12, 21] }],
};

/**
 * The TLB the benchmark and the `tlb switch` defaults use: one 64-entry 4-way array for 4K pages
 * (Skylake's L1 4K DTLB, alone), with small arrays for the large sizes so every page size can be
 * cached.
 */
export const SMALL64: TlbGeometry = {
  name: 'l1-64x4',
  l1: [
    { name: 'L1 4K', entries: 64, ways: 4, pageShifts: [12] },
    { name: 'L1 2M', entries: 32, ways: 4, pageShifts: [21] },
    { name: 'L1 1G', entries: 4, ways: 4, pageShifts: [30] },
  ],
  l2: [],
};

export const PRESETS: Readonly<Record<string, TlbGeometry>> = {
  skylake: SKYLAKE,
  zen1: ZEN1,
  'l1-64x4': SMALL64,
};
