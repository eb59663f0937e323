/**
 * `virtkit bench translate`: the translation engine (issue 6) and, from ./nested.js, nested
 * paging (issue 7). Every case drives Mmu.translateBatch over a batch of 4096 precomputed
 * addresses (lo, hi pairs), so opsPerSec is translations per second.
 *  - tlb-hit: a 64-entry 4-way TLB, 32 resident pages, random addresses in them, one PCID,
 *    4-level tables: every translation hits.
 *  - tlb-miss-walk4: the same TLB over 16384 pages: nearly every translation misses and walks
 *    four levels (then fills).
 *  - walk5: cold 5-level walks (the TLB off), random addresses over 16384 pages.
 */
import type { BenchCase } from './harness.js';
import { nestedCases } from './nested.js';
import { PhysicalMemory } from '../src/mem/phys.js';
import { PageTableBuilder } from '../src/mem/builder.js';
import { PageWalker, ACCESS_READ } from '../src/mem/walker.js';
import { Mmu } from '../src/mem/mmu.js';
import { XorShift32, simpleGeometry } from '../src/mem/tlb.js';

/** The TLB: 64 entries, 4-way (16 sets), for the 4K pages the cases map. */
const TLB_64X4 = simpleGeometry(16, 4, 12);

const BATCH = 4096;
const BASE = 0x7f0000000000n; // a user-space region, as a process heap would be

/** Map `pages` 4K pages at BASE and return an Mmu over them plus BATCH random addresses. */
function setupWorld(levels: 4 | 5, pages: number, tlb: boolean, seed: number): { mmu: Mmu; vas: Uint32Array; out: Float64Array } {
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
  return { mmu, vas, out: new Float64Array(BATCH) };
}

function engineCase(name: string, levels: 4 | 5, pages: number, tlb: boolean, seed: number): BenchCase {
  let w: ReturnType<typeof setupWorld> | undefined;
  return {
    name,
    batch: BATCH,
    setup: () => {
      w = setupWorld(levels, pages, tlb, seed);
      w.mmu.translateBatch(w.vas, w.out, ACCESS_READ, true); // warm: fill the TLB, compile
      if (w.mmu.translateBatch(w.vas, w.out, ACCESS_READ, true) !== 0) throw new Error(`${name}: a benchmark translation faulted`);
    },
    fn: () => {
      const x = w!;
      x.mmu.translateBatch(x.vas, x.out, ACCESS_READ, true);
    },
  };
}

export function cases(): BenchCase[] {
  return [
    engineCase('tlb-hit', 4, 32, true, 1),
    engineCase('tlb-miss-walk4', 4, 16384, true, 2),
    engineCase('walk5', 5, 16384, false, 3),
    ...nestedCases(),
  ];
}
