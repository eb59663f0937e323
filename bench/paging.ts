/**
 * paging-fault: demand-paging faults per second through the whole machine — the Mmu's TLB and
 * walk find the page not present, the DemandPager takes a frame (evicting the LRU page, writing
 * it to the swap device when dirty, INVLPG), reads the faulting page back from swap or zeroes
 * it, and rewrites the PTE. 64 frames, 1024 pages touched in a cycle (so under LRU every access
 * faults), every other access a write (so half the victims are written back).
 */
import type { BenchCase } from './harness.js';
import { PhysicalMemory } from '../src/mem/phys.js';
import { PageTableBuilder } from '../src/mem/builder.js';
import { ACCESS_READ, ACCESS_WRITE, PageWalker } from '../src/mem/walker.js';
import { Mmu } from '../src/mem/mmu.js';
import { SKYLAKE } from '../src/mem/tlb-presets.js';
import { DemandPager } from '../src/mem/paging/pager.js';

const FRAMES = 64;
const PAGES = 1024;
const BATCH = 1024;
const BASE_HI = 0x7f00; // pages at 0x7f00_0000_0000

export function pagingCases(): BenchCase[] {
  let pager: DemandPager | null = null;
  let next = 0;
  const run = (): void => {
    const p = pager!;
    let i = next;
    for (let n = 0; n < BATCH; n++) {
      p.access(BASE_HI, i * 4096, (i & 1) === 0 ? ACCESS_WRITE : ACCESS_READ);
      i = i + 1 === PAGES ? 0 : i + 1;
    }
    next = i;
  };
  return [
    {
      name: 'paging-fault',
      batch: BATCH,
      setup() {
        const mem = new PhysicalMemory(4 * 1024 * 1024);
        const builder = new PageTableBuilder(mem, { levels: 4, tablesAt: 0x10_0000, tablesEnd: 0x20_0000 });
        const mmu = new Mmu(new PageWalker(mem, { levels: 4 }), SKYLAKE);
        mmu.movCr3(builder.cr3);
        pager = new DemandPager(mem, builder, mmu, { frames: FRAMES, framesAt: 0x20_0000, policy: 'lru', swapSlots: PAGES });
        pager.addRegion(BigInt(BASE_HI) << 32n, PAGES);
        next = 0;
        run();
        const before = pager.faults;
        run();
        if (pager.faults - before !== BATCH) throw new Error(`paging-fault: ${pager.faults - before} faults in ${BATCH} accesses, expected one each`);
      },
      fn: run,
    },
  ];
}
