/**
 * NestedWalker.walkBatch (its lean walk for the common case, walk() for the rest) equals walk()
 * on each address in turn: the same out[] values (host-physical address or the encoded fault
 * with its error code / exit qualification / misconfiguration), the same fault count, the same
 * totalRefs and the same host memory bytes afterwards (guest A/D, EPT A/D). Random worlds:
 * 4/5-level guests on 4/5-level EPT, guest pages in RAM (4 KiB EPT pages with holes and
 * read-only or no-execute ones, or one 2 MiB EPT page) and far away (2 MiB guest pages), guest
 * rights, SMEP/SMAP, A/D updates on either side, read/write/fetch at CPL 0/3.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder, BuilderError } from '../../../src/mem/builder.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';
import { WALK_OK, WALK_PF } from '../../../src/mem/walker.js';
import { NESTED_EPT_MISCONFIG, NESTED_EPT_VIOLATION, NestedWalker } from '../../../src/mem/virt/nested.js';
import { Vm } from '../../../src/mem/virt/vm.js';
import { encodeFault } from '../../../src/mem/batch.js';

const MiB = 1 << 20;
const REGIONS = [0x40_0000n, 0x7fff_f000_0000n, 0xffff_8000_0000_0000n];

const caseArb = fc.record({
  levels: fc.constantFrom<4 | 5>(4, 4, 5),
  eptLevels: fc.constantFrom<4 | 5>(4, 4, 5),
  smep: fc.boolean(),
  smap: fc.boolean(),
  updateAD: fc.boolean(),
  eptAd: fc.constantFrom(false, false, true),
  ramLarge: fc.constantFrom(false, false, false, true),
  ramSeed: fc.integer({ min: 1, max: 0x7fffffff }),
  guest: fc.array(
    fc.record({ region: fc.integer({ min: 0, max: 2 }), index: fc.integer({ min: 0, max: 15 }), frame: fc.integer({ min: 64, max: 511 }), big: fc.integer({ min: 0, max: 7 }), w: fc.boolean(), u: fc.boolean(), nx: fc.boolean() }),
    { minLength: 1, maxLength: 24 },
  ),
  batches: fc.array(fc.record({ probes: fc.array(fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 4095 })), { minLength: 1, maxLength: 64 }), access: fc.constantFrom(0, 1, 2), user: fc.boolean() }), { minLength: 1, maxLength: 4 }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function world(c: Case) {
  const host = new PhysicalMemory(6 * MiB);
  const vm = new Vm(host, { hostBase: 2 * MiB, ramSize: 2 * MiB, guestTablesEnd: 256 * 1024, eptAllocator: new FrameAllocator(host, 4 * MiB, 5 * MiB), eptLevels: c.eptLevels, eptAd: c.eptAd, mapRam: false });
  if (c.ramLarge) vm.ept.map(0, 2 * MiB, 0x200000, { r: true, w: true, x: true });
  else {
    let x = c.ramSeed;
    for (let i = 0; i < 512; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const p = (x >>> 0) % 24;
      if (p === 0) continue; // a hole
      vm.ept.map(i * 4096, 2 * MiB + i * 4096, 4096, { r: true, w: p > 3, x: p !== 4 });
    }
  }
  const gpt = new PageTableBuilder(vm.guestMem, { levels: c.levels, allocator: vm.guestTableAllocator });
  const vas: bigint[] = [];
  for (const g of c.guest) {
    const big = g.big === 0;
    const va = REGIONS[g.region]! + BigInt(g.index) * (big ? 0x200000n : 4096n);
    try {
      gpt.map(va, big ? 0 : g.frame * 4096, big ? 0x200000 : 4096, { w: g.w, u: g.u, nx: g.nx });
    } catch (e) {
      if (!(e instanceof BuilderError)) throw e;
    }
    vas.push(va);
  }
  vas.push(0x5555_0000_0000n, 0x8000_0000_0000n);
  const walker = new NestedWalker(host, vm.eptWalker, { levels: c.levels, smep: c.smep, smap: c.smap, updateAD: c.updateAD });
  return { host, walker, cr3: gpt.cr3, vas };
}

describe('NestedWalker.walkBatch equals walk() one by one', () => {
  it('results, faults, totalRefs and memory bytes, on random worlds', () => {
    let ok = 0;
    let faults = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const a = world(c);
        const b = world(c);
        for (const batch of c.batches) {
          const n = batch.probes.length;
          const halves = new Uint32Array(2 * n);
          batch.probes.forEach(([which, off], i) => {
            const va = a.vas[which % a.vas.length]! + BigInt(off & ~7);
            halves[2 * i] = vaLo(va);
            halves[2 * i + 1] = vaHi(va);
          });
          const out = new Float64Array(n);
          const got = a.walker.walkBatch(a.cr3, halves, out, batch.access, batch.user);
          let want = 0;
          for (let i = 0; i < n; i++) {
            const w = b.walker;
            const st = w.walk(b.cr3, halves[2 * i + 1]!, halves[2 * i]!, batch.access, batch.user);
            const code = st === WALK_PF ? w.errorCode : st === NESTED_EPT_VIOLATION ? w.exitQualification : st === NESTED_EPT_MISCONFIG ? w.misconfig : 0;
            expect(out[i]).toBe(st === WALK_OK ? w.pa : encodeFault(st, code));
            if (st === WALK_OK) ok++;
            else {
              want++;
              faults++;
            }
          }
          expect(got).toBe(want);
          expect(a.walker.totalRefs).toBe(b.walker.totalRefs);
          expect(Buffer.from(a.host.u8).equals(Buffer.from(b.host.u8))).toBe(true);
        }
      }),
      { numRuns: 40, seed: 0x16 },
    );
    // Both outcomes, often (so the lean walk and the fallback are both exercised).
    expect(ok).toBeGreaterThan(80);
    expect(faults).toBeGreaterThan(80);
  });
});
