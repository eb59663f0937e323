/**
 * translateBatch inlines the miss path (walk, then fill the set it just searched) when the L1
 * 4K array is the TLB's only array — the 64-entry 4-way TLB. Property: for such TLBs
 * (each policy; the inline path takes LRU and FIFO, random goes the general way), over more
 * pages than the TLB holds (so misses, evictions and refills are the common case), with
 * globals, clean and read-only pages, unmapped pages, a 2M page and flushes between batches,
 * the batch gives the same results, counters, walks, TLB contents and stamps as translate() one
 * address at a time.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder } from '../../../src/mem/builder.js';
import { PageWalker, WALK_OK } from '../../../src/mem/walker.js';
import { Mmu, batchErrorCode, batchStatus, KIND_USER } from '../../../src/mem/mmu.js';
import { simpleGeometry, type Policy } from '../../../src/mem/tlb.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';

const PAGES = 200;
const HIGH = 0xffff800000000000n;

function pageVa(p: number): bigint {
  if (p === PAGES) return 0x40000000n; // the 2M page
  if (p === PAGES + 1) return 0x7000000n; // never mapped
  return (p % 2 === 0 ? 0x400000n : HIGH + 0x10000000n) + BigInt(p) * 4096n;
}

function world() {
  const mem = new PhysicalMemory(4 * 1024 * 1024);
  const pt = new PageTableBuilder(mem, { levels: 4, tablesAt: 0x100000 });
  for (let i = 0; i < PAGES; i++) {
    pt.map(pageVa(i), 0x200000 + i * 4096, 4096, { w: i % 3 !== 0, u: i % 7 !== 0, g: i % 11 === 0, d: i % 2 === 0, a: true });
  }
  pt.map(pageVa(PAGES), 0x200000, 0x200000, { w: true, u: true });
  return { pt, walker: new PageWalker(mem, { levels: 4, updateAD: true }) };
}

describe('translateBatch with the inlined miss path equals translate one by one', () => {
  for (const [sets, ways] of [
    [16, 4],
    [4, 2],
  ] as const) {
    for (const policy of ['lru', 'fifo', 'random'] as Policy[]) {
      it(`${sets}x${ways} ${policy}`, () => {
        let misses = 0;
        let evictions = 0;
        fc.assert(
          fc.property(
            fc.array(
              fc.record({
                vas: fc.array(fc.tuple(fc.integer({ min: 0, max: PAGES + 1 }), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 200, size: "max" }),
                perAddr: fc.boolean(),
                then: fc.constantFrom('none', 'none', 'pcid', 'invlpg', 'cr3', 'pge', 'wp'),
                arg: fc.integer({ min: 0, max: 3 }),
                page: fc.integer({ min: 0, max: PAGES }),
              }),
              { minLength: 1, maxLength: 12 },
            ),
            fc.boolean(),
            (batches, pcide) => {
              const a = world();
              const b = world();
              const geometry = simpleGeometry(sets, ways, 12);
              const ma = new Mmu(a.walker, geometry, { pcide, policy, seed: 7 });
              const mb = new Mmu(b.walker, geometry, { pcide, policy, seed: 7 });
              for (const m of [ma, mb]) m.movCr3(a.pt.cr3, pcide ? 1 : 0);
              for (const batch of batches) {
                const n = batch.vas.length;
                const halves = new Uint32Array(2 * n);
                const kinds = new Uint8Array(n);
                batch.vas.forEach(([p, off, k], i) => {
                  const va = pageVa(p) + BigInt(off & ~7);
                  halves[2 * i] = vaLo(va);
                  halves[2 * i + 1] = vaHi(va);
                  kinds[i] = (k % 3) | (k >= 4 ? KIND_USER : 0);
                });
                const out = new Float64Array(n);
                const access = batch.vas[0]![2] % 2; // read or write for the whole batch
                const faults = batch.perAddr ? ma.translateBatch(halves, out, 0, false, kinds) : ma.translateBatch(halves, out, access, true);
                let want = 0;
                for (let i = 0; i < n; i++) {
                  const acc = batch.perAddr ? kinds[i]! & 3 : access;
                  const user = batch.perAddr ? (kinds[i]! & KIND_USER) !== 0 : true;
                  const st = mb.translate(halves[2 * i + 1]!, halves[2 * i]!, acc, user);
                  expect(batchStatus(out[i]!)).toBe(st);
                  expect(st === WALK_OK ? out[i] : batchErrorCode(out[i]!)).toBe(st === WALK_OK ? mb.pa : mb.errorCode);
                  if (st !== WALK_OK) want++;
                }
                expect(faults).toBe(want);
                const pv = pageVa(batch.page);
                for (const m of [ma, mb]) {
                  if (batch.then === 'pcid' && pcide) m.movCr3(a.pt.cr3, batch.arg + 1, true);
                  else if (batch.then === 'invlpg') m.invlpg(vaHi(pv), vaLo(pv));
                  else if (batch.then === 'cr3') m.movCr3(a.pt.cr3, pcide ? batch.arg + 1 : 0);
                  else if (batch.then === 'pge') m.setCr4({ pge: !m.pge });
                  else if (batch.then === 'wp') m.walker.config.wp = !m.walker.config.wp;
                }
              }
              expect(ma.stats).toEqual(mb.stats);
              expect(ma.walks).toBe(mb.walks);
              expect(ma.translations).toBe(mb.translations);
              expect(ma.tlb.contents(0)).toEqual(mb.tlb.contents(0));
              expect(ma.tlb.stamps()).toEqual(mb.tlb.stamps());
              expect(ma.tlb.clock).toBe(mb.tlb.clock);
              expect(Buffer.from(a.walker.mem.u8).equals(Buffer.from(b.walker.mem.u8))).toBe(true);
              misses += ma.stats.l1['4K'].misses;
              evictions += ma.stats.l1['4K'].evictions;
            },
          ),
          { numRuns: 25 },
        );
        // The workload must be miss-heavy, or the inline miss path went untested.
        expect(misses).toBeGreaterThan(1000);
        expect(evictions).toBeGreaterThan(200);
      });
    }
  }
});

describe('translateBatch when a walk throws (a table outside memory)', () => {
  for (const tlb of [true, false]) it(`leaves the counters, walks, clock and contents of the translations before it, as translate() does (TLB ${tlb ? 'on' : 'off'})`, () => {
    const a = world();
    const b = world();
    const geometry = simpleGeometry(16, 4, 12);
    const ma = new Mmu(a.walker, geometry, { tlb });
    const mb = new Mmu(b.walker, geometry, { tlb });
    for (const m of [ma, mb]) m.movCr3(a.pt.cr3);
    // A PDE for 0x200000000 whose page table lies beyond the 4 MiB of memory.
    const badVa = 0x200000000n;
    for (const w of [a, b]) {
      w.pt.map(badVa, 0x300000, 4096, { w: true, u: true });
      const pde = w.pt.entryAddress(badVa, 2);
      w.walker.mem.write64(pde, 0x7fff_f000 | 7, 0);
    }
    const list = [pageVa(2), pageVa(4), pageVa(2), pageVa(6), pageVa(4), badVa, pageVa(8)];
    const halves = new Uint32Array(2 * list.length);
    list.forEach((va, i) => {
      halves[2 * i] = vaLo(va);
      halves[2 * i + 1] = vaHi(va);
    });
    expect(() => ma.translateBatch(halves, new Float64Array(list.length), 0, true)).toThrow(/outside memory/);
    expect(() => {
      for (const va of list) mb.translate(vaHi(va), vaLo(va), 0, true);
    }).toThrow(/outside memory/);
    expect(ma.stats).toEqual(mb.stats);
    expect(ma.stats.l1['4K'].hits).toBe(tlb ? 2 : 0);
    expect(ma.walks).toBe(mb.walks);
    expect(ma.translations).toBe(6);
    expect(Buffer.from(a.walker.mem.u8).equals(Buffer.from(b.walker.mem.u8))).toBe(true);
    expect(ma.translations).toBe(mb.translations);
    expect(ma.tlb.clock).toBe(mb.tlb.clock);
    expect(ma.tlb.contents(0)).toEqual(mb.tlb.contents(0));
  });
});

describe('translateBatch with the TLB off equals translate one by one', () => {
  it('random addresses (mapped, unmapped, read-only, non-canonical), uniform and per-address kinds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: PAGES + 2 }), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 100, size: 'max' }),
        fc.boolean(),
        (list, perAddr) => {
          const a = world();
          const b = world();
          const ma = new Mmu(a.walker, simpleGeometry(16, 4, 12), { tlb: false });
          const mb = new Mmu(b.walker, simpleGeometry(16, 4, 12), { tlb: false });
          for (const m of [ma, mb]) m.movCr3(a.pt.cr3);
          const n = list.length;
          const halves = new Uint32Array(2 * n);
          const kinds = new Uint8Array(n);
          list.forEach(([p, off, k], i) => {
            const va = p === PAGES + 2 ? 0x0000900000000000n : pageVa(p) + BigInt(off & ~7); // the last: non-canonical
            halves[2 * i] = vaLo(va);
            halves[2 * i + 1] = vaHi(va);
            kinds[i] = (k % 3) | (k >= 4 ? KIND_USER : 0);
          });
          const out = new Float64Array(n);
          const faults = perAddr ? ma.translateBatch(halves, out, 0, false, kinds) : ma.translateBatch(halves, out, 1, true);
          let want = 0;
          for (let i = 0; i < n; i++) {
            const st = perAddr ? mb.translate(halves[2 * i + 1]!, halves[2 * i]!, kinds[i]! & 3, (kinds[i]! & KIND_USER) !== 0) : mb.translate(halves[2 * i + 1]!, halves[2 * i]!, 1, true);
            expect(batchStatus(out[i]!)).toBe(st);
            expect(st === WALK_OK ? out[i] : batchErrorCode(out[i]!)).toBe(st === WALK_OK ? mb.pa : mb.errorCode);
            if (st !== WALK_OK) want++;
          }
          expect(faults).toBe(want);
          expect(ma.walks).toBe(mb.walks);
          expect(ma.translations).toBe(mb.translations);
          expect(ma.stats).toEqual(mb.stats);
          expect(Buffer.from(a.walker.mem.u8).equals(Buffer.from(b.walker.mem.u8))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
