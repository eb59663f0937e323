/**
 * nested-walk24: cold two-dimensional walks per second — a 4-level guest on 4-level EPT, 4 KiB
 * pages on both sides, no TLB and no paging-structure caches, so every walk makes its 24
 * references — through NestedWalker.walkBatch over 1024 addresses (setup checks them against
 * walk() one by one, and that each batch adds 24 references per walk).
 * bench/translate.ts includes this case.
 */
import type { BenchCase } from './harness.js';
import { FrameAllocator, PhysicalMemory } from '../src/mem/phys.js';
import { PageTableBuilder } from '../src/mem/builder.js';
import { ACCESS_READ, WALK_OK } from '../src/mem/walker.js';
import { NestedWalker } from '../src/mem/virt/nested.js';
import { Vm } from '../src/mem/virt/vm.js';

const MiB = 1 << 20;
const PAGES = 1024;
const BATCH = 1024;

export function nestedCases(): BenchCase[] {
  let walker: NestedWalker | null = null;
  let cr3 = 0;
  const vas = new Uint32Array(2 * BATCH);
  const out = new Float64Array(BATCH);
  return [
    {
      name: 'nested-walk24',
      batch: BATCH,
      setup() {
        const host = new PhysicalMemory(32 * MiB);
        // Guest RAM: guest-physical 0..16 MiB at host 8..24 MiB, its tables in the first 3 MiB.
        const vm = new Vm(host, { hostBase: 8 * MiB, ramSize: 16 * MiB, guestTablesEnd: 3 * MiB, eptAllocator: new FrameAllocator(host, 24 * MiB, 32 * MiB) });
        const pt = new PageTableBuilder(vm.guestMem, { allocator: vm.guestTableAllocator });
        // Pages spread over 1 GiB of guest-virtual space (2 per page table), to frames spread
        // over the RAM, so walks touch many different entries.
        for (let i = 0; i < PAGES; i++) pt.map(0x7f00_0000_0000n + BigInt(i) * 0x100000n, 4 * MiB + ((i * 37) % 2048) * 4096, 4096, { w: true, u: true });
        walker = new NestedWalker(host, vm.eptWalker);
        cr3 = pt.cr3;
        if (walker.walk(cr3, 0x7f00, 0, ACCESS_READ, true) !== WALK_OK || walker.refCount !== 24) throw new Error('nested-walk24: setup walk is not a 24-reference walk');
        for (let i = 0; i < BATCH; i++) {
          // va = 0x7f00_0000_0000 + i·1 MiB: high half 0x7f00 + carry, low half the rest.
          vas[2 * i] = ((i % PAGES) * MiB) >>> 0;
          vas[2 * i + 1] = 0x7f00 + Math.floor(((i % PAGES) * MiB) / 4294967296);
        }
        const refs = walker.totalRefs;
        if (walker.walkBatch(cr3, vas, out, ACCESS_READ, true) !== 0 || walker.totalRefs - refs !== 24 * BATCH) throw new Error('nested-walk24: a batch walk faulted or did not make 24 references');
        for (let i = 0; i < BATCH; i++) {
          if (walker.walk(cr3, vas[2 * i + 1]!, vas[2 * i]!, ACCESS_READ, true) !== WALK_OK || walker.pa !== out[i]) throw new Error(`nested-walk24: walkBatch and walk disagree at ${i}`);
        }
      },
      fn() {
        walker!.walkBatch(cr3, vas, out, ACCESS_READ, true);
      },
    },
  ];
}
