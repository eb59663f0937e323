/**
 * `virtkit bench translate`: the translation engine, nested paging (./nested.js) and demand
 * paging (./paging.js). The engine cases drive Mmu.translateBatch over a batch of 4096
 * precomputed addresses (lo, hi pairs), so opsPerSec is translations per second.
 *  - tlb-hit: a 64-entry 4-way TLB, 32 resident pages, random addresses in them, one PCID,
 *    4-level tables: every translation hits.
 *  - tlb-hit-percall: the same, one Mmu.translate() call per address.
 *  - tlb-miss-walk4: the same TLB over 16384 pages: nearly every translation misses and walks
 *    four levels (then fills).
 *  - walk5: cold 5-level walks (the TLB off), random addresses over 16384 pages.
 * Each has a naive-* twin (bench/naive.ts: BigInt addresses, a DataView walk, a Map TLB) over
 * the same world and addresses, run next to it; the results carry the ratio to it.
 */
import type { BenchCase } from './harness.js';
import { nestedCases } from './nested.js';
import { PhysicalMemory } from '../src/mem/phys.js';
import { PageTableBuilder } from '../src/mem/builder.js';
import { PageWalker, ACCESS_READ } from '../src/mem/walker.js';
import { Mmu } from '../src/mem/mmu.js';
import { XorShift32, simpleGeometry } from '../src/mem/tlb.js';
import { NaiveMmu } from './naive.js';
import { pagingCases } from './paging.js';

/** The TLB: 64 entries, 4-way (16 sets), for the 4K pages the cases map. */
const TLB_64X4 = simpleGeometry(16, 4, 12);

const BATCH = 4096;
const BASE = 0x7f0000000000n; // a user-space region, as a process heap would be

/** Map `pages` 4K pages at BASE and return an Mmu over them plus BATCH random addresses. */
function setupWorld(levels: 4 | 5, pages: number, tlb: boolean, seed: number): { mmu: Mmu; naive: NaiveMmu; vas: Uint32Array; out: Float64Array } {
  const mem = new PhysicalMemory(64 * 1024 * 1024);
  const pt = new PageTableBuilder(mem, { levels, tablesAt: 0x100000 });
  for (let i = 0; i < pages; i++) pt.map(BASE + BigInt(i) * 4096n, 0x4000000 + i * 4096, 4096, { w: true, u: true, a: true, d: true });
  const mmu = new Mmu(new PageWalker(mem, { levels }), TLB_64X4, { tlb });
  mmu.movCr3(pt.cr3);
  const rng = new XorShift32(seed);
  const vas = new Uint32Array(2 * BATCH);
  for (let i = 0; i < BATCH; i++) {
    const va = BASE + BigInt(rng.next() % pages) * 4096n + BigInt(rng.next() & 0xff8);
    vas[2 * i] = Number(va & 0xffffffffn);
    vas[2 * i + 1] = Number(va >> 32n);
  }
  const naive = new NaiveMmu(mem, BigInt(pt.cr3), levels, tlb ? { sets: 16, ways: 4 } : null);
  return { mmu, naive, vas, out: new Float64Array(BATCH) };
}

/** The engine's batch (or one translate() per address), after a check against the naive twin. */
function engineCase(name: string, levels: 4 | 5, pages: number, tlb: boolean, seed: number, perCall = false): BenchCase {
  let w: ReturnType<typeof setupWorld> | undefined;
  return {
    name,
    batch: BATCH,
    baseline: `naive-${perCall ? name.replace('-percall', '') : name}`,
    setup: () => {
      w = setupWorld(levels, pages, tlb, seed);
      w.mmu.translateBatch(w.vas, w.out, ACCESS_READ, true); // warm: fill the TLB, compile
      if (w.mmu.translateBatch(w.vas, w.out, ACCESS_READ, true) !== 0) throw new Error(`${name}: a benchmark translation faulted`);
      const want = new Float64Array(BATCH);
      w.naive.translateBatch(w.vas, want, false, true);
      for (let i = 0; i < BATCH; i++) if (want[i] !== w.out[i]) throw new Error(`${name}: the engine and the naive baseline disagree at address ${i}`);
    },
    fn: perCall
      ? () => {
          const x = w!;
          const mmu = x.mmu;
          const vas = x.vas;
          const out = x.out;
          for (let i = 0; i < BATCH; i++) {
            mmu.translate(vas[2 * i + 1]!, vas[2 * i]!, ACCESS_READ, true);
            out[i] = mmu.pa;
          }
        }
      : () => {
          const x = w!;
          x.mmu.translateBatch(x.vas, x.out, ACCESS_READ, true);
        },
  };
}

/** The naive twin of an engine case: the same world and addresses. */
function naiveCase(name: string, levels: 4 | 5, pages: number, tlb: boolean, seed: number): BenchCase {
  let w: ReturnType<typeof setupWorld> | undefined;
  return {
    name: `naive-${name}`,
    batch: BATCH,
    setup: () => {
      w = setupWorld(levels, pages, tlb, seed);
      w.naive.translateBatch(w.vas, w.out, false, true);
    },
    fn: () => {
      const x = w!;
      x.naive.translateBatch(x.vas, x.out, false, true);
    },
  };
}

export function cases(): BenchCase[] {
  return [
    naiveCase('tlb-hit', 4, 32, true, 1),
    engineCase('tlb-hit', 4, 32, true, 1),
    engineCase('tlb-hit-percall', 4, 32, true, 1, true),
    naiveCase('tlb-miss-walk4', 4, 16384, true, 2),
    engineCase('tlb-miss-walk4', 4, 16384, true, 2),
    naiveCase('walk5', 5, 16384, false, 3),
    engineCase('walk5', 5, 16384, false, 3),
    ...nestedCases(),
    ...pagingCases(),
  ];
}
