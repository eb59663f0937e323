import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { runOnSystem } from '../../../src/mem/paging/system.js';
import { simulate } from '../../../src/mem/paging/sim.js';
import { traceFromPages } from '../../../src/mem/paging/trace.js';
import { POLICY_NAMES } from '../../../src/mem/paging/policy.js';
import { PagingError } from '../../../src/mem/paging/pager.js';
import { runCli, ROOT } from '../../helpers/cli.js';
import { join } from 'node:path';

// Page numbers spread over both canonical halves and over different tables at every level.
const PAGE_POOL = [
  0x0, 0x1, 0x2, 0x1ff, 0x200, 0x3ffff, 0x40000, 0x7ffffff, 0x8000000, 0x7_ffff_ffff,
  0xf_ffff_8000_0000, 0xf_ffff_8000_0001, 0xf_ffff_ffff_ffff, 0xf_ffff_c000_0000,
];

describe('runOnSystem: the trace on page tables + TLB + fault handler', () => {
  it('counts exactly what the simulator counts, for every policy, on random traces over both halves', () => {
    const traceArb = fc.array(fc.record({ page: fc.constantFrom(...PAGE_POOL), write: fc.boolean() }), { minLength: 1, maxLength: 150 });
    fc.assert(
      fc.property(traceArb, fc.integer({ min: 1, max: 9 }), (acc, frames) => {
        const t = traceFromPages(
          acc.map((a) => a.page),
          acc.map((a) => a.write),
        );
        for (const policy of POLICY_NAMES) {
          const sys = runOnSystem(t, frames, policy);
          const sim = simulate(t, frames, policy);
          expect({ policy, ...sys }).toMatchObject({ policy, accesses: sim.accesses, faults: sim.faults, evictions: sim.evictions, writebacks: sim.writebacks });
          expect(sys.swapWrites).toBe(sys.writebacks);
          expect(sys.swapReads + sys.zeroFills).toBe(sys.faults);
          // Every fault translates twice; every access at least once.
          expect(sys.translations).toBe(sys.accesses + sys.faults);
        }
      }),
      { numRuns: 40 },
    );
  });
  it('builds exactly the tables the pages need', () => {
    // Pages 0 and 1 share every table; 0x200 needs another PT; 0x40000 another PD and PT;
    // 0x8000000 another PDPT, PD and PT: 1 PML4, 2 PDPTs, 3 PDs, 4 PTs.
    const t = traceFromPages([0, 1, 0x200, 0x40000, 0x8000000]);
    expect(runOnSystem(t, 2, 'lru').tableFrames).toBe(1 + 2 + 3 + 4);
  });
  it('refuses a non-canonical page', () => {
    expect(() => runOnSystem(traceFromPages([0x8_0000_0000]), 1, 'fifo')).toThrow(PagingError);
  });
  it('virtkit paging sim --system --json gives the simulator figures and the full-system extras', async () => {
    const r = await runCli(['paging', 'sim', join(ROOT, 'fixtures', 'paging', 'belady.trace'), '--frames', '4', '--policy', 'fifo', '--system', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      accesses: 12,
      faults: 10,
      evictions: 6,
      writebacks: 0,
      faultRate: 10 / 12,
      swapReads: 0, // reads only: every evicted page was clean and all zero, so it went back to untouched
      swapWrites: 0,
      zeroFills: 10,
      translations: 22,
      walks: 20, // 10 faulting accesses walk twice (fault, retry); the 2 hits (accesses 5 and 6) never
      tlbHitRate: 2 / 22,
      tableFrames: 4,
    });
  });
});
