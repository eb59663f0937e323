/**
 * Property tests: random traces of accesses (fills on a miss), PCID and VPID switches and every
 * kind of invalidation give the same hits, frames, counters and final contents in the fast TLB
 * and the slow reference model, for each replacement policy and several geometries (powers of
 * two and not, direct-mapped, fully associative, per-size arrays, shared STLB arrays).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tlb, sizeIndexOfShift, type Policy, type TlbGeometry, type PageShift } from '../../../src/mem/tlb.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';
import { RefTlb } from './reference.js';

const GEOMETRIES: TlbGeometry[] = [
  { name: '4x2', l1: [{ name: 'a', entries: 8, ways: 2, pageShifts: [12] }], l2: [] },
  { name: '3x2 (sets not a power of two)', l1: [{ name: 'a', entries: 6, ways: 2, pageShifts: [12] }], l2: [] },
  { name: 'direct-mapped 8', l1: [{ name: 'a', entries: 8, ways: 1, pageShifts: [12] }], l2: [] },
  { name: 'fully associative 8, all sizes', l1: [{ name: 'a', entries: 8, ways: 8, pageShifts: [12, 21, 30] }], l2: [] },
  {
    name: 'mini skylake',
    l1: [
      { name: '4K', entries: 8, ways: 2, pageShifts: [12] },
      { name: '2M', entries: 4, ways: 2, pageShifts: [21] },
      { name: '1G', entries: 2, ways: 2, pageShifts: [30] },
    ],
    l2: [
      { name: 'stlb', entries: 24, ways: 3, pageShifts: [12, 21] },
      { name: 'stlb 1G', entries: 4, ways: 2, pageShifts: [30] },
    ],
  },
  {
    name: 'mini zen (6-set STLB)',
    l1: [{ name: 'l1', entries: 6, ways: 6, pageShifts: [12, 21, 30] }],
    l2: [{ name: 'l2', entries: 18, ways: 3, pageShifts: [12, 21] }],
  },
];

interface Page {
  va: bigint;
  shift: PageShift;
  global: boolean;
  frame: number;
}

/** The "page tables" of the trace: a fixed set of pages of every size, low and high half, LA57 too. */
const PAGES: Page[] = (() => {
  const pages: Page[] = [];
  const add = (va: bigint, shift: PageShift, i: number) => pages.push({ va, shift, global: i % 5 === 0, frame: (pages.length + 1) * 2 ** shift });
  for (let i = 0; i < 40; i++) add(0x400000n + BigInt(i) * 4096n, 12, i);
  for (let i = 0; i < 8; i++) add(0xffff800000000000n + BigInt(i) * 4096n, 12, i);
  for (let i = 0; i < 4; i++) add(0x00f0000000000000n + BigInt(i) * 4096n, 12, i); // only canonical with LA57
  for (let i = 0; i < 12; i++) add(0x40000000n + BigInt(i) * 0x200000n, 21, i);
  for (let i = 0; i < 4; i++) add(0x8000000000n + BigInt(i) * 0x40000000n, 30, i);
  return pages;
})();

type Op =
  | { op: 'access'; page: number; offset: number }
  | { op: 'pcid'; pcid: number }
  | { op: 'vpid'; vpid: number }
  | { op: 'invlpg'; page: number }
  | { op: 'invpage'; page: number; pcid: number; global: boolean }
  | { op: 'flushPcid'; pcid: number }
  | { op: 'flushNonGlobal' }
  | { op: 'flushVpid'; vpid: number }
  | { op: 'flushAll' };

// Mostly a hot handful of pages (so there are hits and LRU and FIFO differ), sometimes any page.
const page = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 3, 5, 40, 41, 52, 53, 64) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: PAGES.length - 1 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ op: fc.constant('access' as const), page, offset: fc.integer({ min: 0, max: 0x3fffffff }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pcid' as const), pcid: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('vpid' as const), vpid: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('invlpg' as const), page }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('invpage' as const), page, pcid: fc.integer({ min: 0, max: 3 }), global: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flushPcid' as const), pcid: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flushNonGlobal' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flushVpid' as const), vpid: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flushAll' as const) }) },
);

function run(geometry: TlbGeometry, policy: Policy, seed: number, ops: Op[]): void {
  const fast = new Tlb(geometry, { policy, seed });
  const ref = new RefTlb(geometry, policy, seed);
  let pcid = 0;
  let vpid = 0;
  for (const [n, o] of ops.entries()) {
    switch (o.op) {
      case 'access': {
        const p = PAGES[o.page]!;
        const va = p.va + BigInt(o.offset % 2 ** p.shift);
        const i = fast.lookup(vaHi(va), vaLo(va));
        const e = ref.lookup(va);
        expect(i >= 0, `op ${n}: hit`).toBe(e !== null);
        if (e !== null) {
          expect(fast.frameOf(i), `op ${n}: frame`).toBe(e.frame);
          expect(fast.hitShift).toBe(e.shift);
          expect(fast.flagsOf(i)).toBe(e.flags);
        } else {
          fast.recordMiss(sizeIndexOfShift(p.shift));
          fast.fill(vaHi(va), vaLo(va), sizeIndexOfShift(p.shift), p.frame, o.page & 15, p.global);
          ref.fill(va, p.shift, p.frame, o.page & 15, p.global);
        }
        break;
      }
      case 'pcid':
        pcid = o.pcid;
        fast.setContext(pcid, vpid);
        ref.pcid = pcid;
        break;
      case 'vpid':
        vpid = o.vpid;
        fast.setContext(pcid, vpid);
        ref.vpid = vpid;
        break;
      case 'invlpg': {
        const va = PAGES[o.page]!.va;
        fast.invlpg(vaHi(va), vaLo(va));
        ref.invalidatePage(va, pcid, true);
        break;
      }
      case 'invpage': {
        const va = PAGES[o.page]!.va;
        fast.invalidatePage(vaHi(va), vaLo(va), o.pcid, o.global);
        ref.invalidatePage(va, o.pcid, o.global);
        break;
      }
      case 'flushPcid':
        fast.flushPcid(o.pcid);
        ref.flushPcid(o.pcid);
        break;
      case 'flushNonGlobal':
        fast.flushNonGlobal();
        ref.flushNonGlobal();
        break;
      case 'flushVpid':
        fast.flushVpid(o.vpid);
        ref.flushVpid(o.vpid);
        break;
      case 'flushAll':
        fast.flushAll();
        ref.flushAll();
        break;
    }
  }
  for (let a = 0; a < fast.arrayCount; a++) expect(fast.contents(a), `array ${a} contents`).toEqual(ref.contents(a));
  const st = fast.stats();
  expect(st.l1.total.hits).toBe(ref.hits[0]);
  expect(st.l2.total.hits).toBe(ref.hits[1]);
  expect(st.l1.total.misses).toBe(ref.l1Misses);
  expect(st.l1.total.evictions + st.l2.total.evictions).toBe(ref.evictions);
}

describe('fast TLB equals the reference model', () => {
  for (const geometry of GEOMETRIES) {
    for (const policy of ['lru', 'fifo', 'random'] as const) {
      it(`${geometry.name}, ${policy}`, () => {
        fc.assert(
          fc.property(fc.array(opArb, { minLength: 50, maxLength: 300, size: 'max' }), fc.integer({ min: 1, max: 0x7fffffff }), (ops, seed) => run(geometry, policy, seed, ops)),
          { numRuns: 60 },
        );
      });
    }
  }

  it('the traces exercise hits, evictions and both levels (a test that could not fail is a defect)', () => {
    // One long fixed trace on the mini Skylake: there must be L1 hits, STLB hits and evictions,
    // or the property above would be checking empty behaviour.
    const g = GEOMETRIES[4]!;
    const tlb = new Tlb(g, { policy: 'lru' });
    let x = 7;
    for (let n = 0; n < 5000; n++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const p = PAGES[x % PAGES.length]!;
      if (tlb.lookup(vaHi(p.va), vaLo(p.va)) < 0) {
        tlb.recordMiss(sizeIndexOfShift(p.shift));
        tlb.fill(vaHi(p.va), vaLo(p.va), sizeIndexOfShift(p.shift), p.frame, 0, p.global);
      }
    }
    const st = tlb.stats();
    expect(st.l1.total.hits).toBeGreaterThan(0);
    expect(st.l2.total.hits).toBeGreaterThan(0);
    expect(st.l1.total.evictions).toBeGreaterThan(0);
    expect(st.l2['2M'].hits).toBeGreaterThan(0);
    expect(st.l1.total.accesses).toBe(5000);
  });
});
