/**
 * The engine's translations equal the walker's: random page tables (every page size, random
 * rights, G and D bits, 4 and 5 levels), random addresses (mapped, unmapped, non-canonical),
 * random access kinds and privileges, control bits (WP, SMEP, SMAP, AC) changed mid-trace, and
 * page-table updates followed by the INVLPG an OS would issue. Three copies of the same memory:
 * the bare walker, the Mmu with its TLB, the Mmu with the TLB off — same status, PA, error code
 * for every translation, and the same A/D bits in memory at the end (updateAD on).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder, type PageFlags, type PageSize } from '../../../src/mem/builder.js';
import { PageWalker, WALK_OK } from '../../../src/mem/walker.js';
import { Mmu, batchErrorCode, batchStatus, KIND_USER } from '../../../src/mem/mmu.js';
import { SKYLAKE, ZEN1 } from '../../../src/mem/tlb-presets.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';

interface Mapping {
  va: bigint;
  size: PageSize;
  pa: number;
  flags: PageFlags;
}

const flagsArb = fc.record({ w: fc.boolean(), u: fc.boolean(), g: fc.boolean(), d: fc.boolean(), nx: fc.boolean(), a: fc.boolean() });

/** Non-overlapping mappings: slot i of each size lives in its own region. */
function mappingsArb(levels: 4 | 5): fc.Arbitrary<Mapping[]> {
  const one = fc.record({
    kind: fc.constantFrom(0, 0, 0, 1, 2),
    slot: fc.integer({ min: 0, max: 15 }),
    high: fc.boolean(),
    la57: fc.boolean(),
    frame: fc.integer({ min: 0, max: 63 }),
    flags: flagsArb,
  });
  return fc.array(one, { minLength: 1, maxLength: 24 }).map((list) => {
    const seen = new Set<string>();
    const out: Mapping[] = [];
    for (const m of list) {
      const size = ([4096, 0x200000, 0x40000000] as const)[m.kind]!;
      let va = (BigInt(m.kind + 1) << 39n) + BigInt(m.slot) * BigInt(size); // one PML4 slot per size
      if (m.high) va = 0xffff800000000000n + va;
      if (levels === 5 && m.la57) va = (m.high ? 0xff00000000000000n : 0x0080000000000000n) + (va & ((1n << 48n) - 1n));
      const key = va.toString();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ va, size, pa: m.frame * size, flags: m.flags });
    }
    return out;
  });
}

type Step =
  | { t: 'tr'; pick: number; offset: number; access: number; user: boolean; wild: boolean; wildVa: bigint }
  | { t: 'ctl'; bit: 'wp' | 'smep' | 'smap' | 'ac'; value: boolean }
  | { t: 'protect'; pick: number; flags: PageFlags };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      t: fc.constant('tr' as const),
      pick: fc.nat(),
      offset: fc.integer({ min: 0, max: 0x3fffffff }),
      access: fc.integer({ min: 0, max: 2 }),
      user: fc.boolean(),
      wild: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      wildVa: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('ctl' as const), bit: fc.constantFrom('wp' as const, 'smep' as const, 'smap' as const, 'ac' as const), value: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('protect' as const), pick: fc.nat(), flags: flagsArb }) },
);

function world(levels: 4 | 5, maps: Mapping[]) {
  const mem = new PhysicalMemory(2 * 1024 * 1024);
  const pt = new PageTableBuilder(mem, { levels, tablesAt: 0x100000 });
  for (const m of maps) pt.map(m.va, m.pa, m.size, m.flags);
  const walker = new PageWalker(mem, { levels, updateAD: true, nxe: true });
  return { mem, pt, walker };
}

function firstDifference(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i * 4;
  return -1;
}

function check(levels: 4 | 5, maps: Mapping[], steps: Step[], pcide: boolean): void {
  const plain = world(levels, maps);
  const withTlb = world(levels, maps);
  const noTlb = world(levels, maps);
  const geometry = levels === 5 ? ZEN1 : SKYLAKE;
  const mmu = new Mmu(withTlb.walker, geometry, { pcide });
  const off = new Mmu(noTlb.walker, geometry, { tlb: false });
  mmu.movCr3(withTlb.pt.cr3, pcide ? 5 : 0);
  off.movCr3(noTlb.pt.cr3);
  let hits = 0;
  for (const [n, s] of steps.entries()) {
    if (s.t === 'ctl') {
      for (const w of [plain.walker, withTlb.walker, noTlb.walker]) w.config[s.bit] = s.value;
    } else if (s.t === 'protect') {
      const m = maps[s.pick % maps.length]!;
      for (const wld of [plain, withTlb, noTlb]) wld.pt.protect(m.va, s.flags);
      mmu.invlpg(vaHi(m.va), vaLo(m.va)); // what an OS does after changing a PTE
    } else {
      const m = maps[s.pick % maps.length]!;
      const va = s.wild ? s.wildVa : m.va + BigInt(s.offset % m.size);
      const hi = vaHi(va);
      const lo = vaLo(va);
      const st = plain.walker.walk(plain.pt.cr3, hi, lo, s.access, s.user);
      const st1 = mmu.translate(hi, lo, s.access, s.user);
      const st2 = off.translate(hi, lo, s.access, s.user);
      const what = `step ${n}: va 0x${va.toString(16)} access ${s.access} user ${s.user}`;
      expect(st1, what).toBe(st);
      expect(st2, what).toBe(st);
      if (st === WALK_OK) {
        expect(mmu.pa, what).toBe(plain.walker.pa);
        expect(off.pa, what).toBe(plain.walker.pa);
      } else {
        expect(mmu.errorCode, what).toBe(plain.walker.errorCode);
        expect(off.errorCode, what).toBe(plain.walker.errorCode);
      }
      hits += mmu.hit;
    }
  }
  expect(firstDifference(withTlb.mem.u32, plain.mem.u32), 'A/D bits in memory, TLB on').toBe(-1);
  expect(firstDifference(noTlb.mem.u32, plain.mem.u32), 'A/D bits in memory, TLB off').toBe(-1);
  // With the TLB off every translation of a canonical address walks; with it on, fewer do.
  expect(off.walks).toBeGreaterThanOrEqual(mmu.walks);
  expect(mmu.walks + hits).toBeGreaterThanOrEqual(off.walks);
}

describe('Mmu translations equal the walker, TLB on and off', () => {
  for (const levels of [4, 5] as const) {
    for (const pcide of [false, true]) {
      it(`${levels}-level paging, PCIDE ${pcide ? 1 : 0}`, () => {
        fc.assert(
          fc.property(mappingsArb(levels), fc.array(stepArb, { minLength: 20, maxLength: 200, size: 'max' }), (maps, steps) => check(levels, maps, steps, pcide)),
          { numRuns: 40 },
        );
      });
    }
  }

  it('the TLB actually serves most of a repetitive workload (so the comparison above covers hits)', () => {
    const maps: Mapping[] = [
      { va: 0x400000n, size: 4096, pa: 0x200000, flags: { w: true, u: true } },
      { va: 0x40000000n, size: 0x200000, pa: 0x400000, flags: { w: true } },
      { va: 0xffff800040000000n, size: 0x40000000, pa: 0x40000000, flags: { w: true, g: true, nx: true } },
    ];
    const w = world(4, maps);
    const mmu = new Mmu(w.walker, SKYLAKE);
    mmu.movCr3(w.pt.cr3);
    let ok = 0;
    for (let i = 0; i < 300; i++) {
      const m = maps[i % 3]!;
      if (mmu.translate(vaHi(m.va + BigInt(i * 8)), vaLo(m.va + BigInt(i * 8)), i % 2, i % 3 === 0) === WALK_OK) ok++;
    }
    expect(ok).toBe(300);
    // three cold misses + one refill each for the first write to the clean 4K and 1G pages (the
    // 2M page's first access is a write, which fills it dirty)
    expect(mmu.walks).toBe(5);
  });

  it('translateBatch equals one-by-one translate, faults encoded as status and error code', () => {
    const maps: Mapping[] = [
      { va: 0x400000n, size: 4096, pa: 0x200000, flags: { w: true, u: true, d: true } },
      { va: 0x401000n, size: 4096, pa: 0x201000, flags: { u: true } },
    ];
    const a = world(4, maps);
    const b = world(4, maps);
    const m1 = new Mmu(a.walker, SKYLAKE);
    const m2 = new Mmu(b.walker, SKYLAKE);
    m1.movCr3(a.pt.cr3);
    m2.movCr3(b.pt.cr3);
    const vas = [0x400010n, 0x401020n, 0x402000n, 0x800000000000n, 0x401000n, 0x400ff8n];
    const kinds = new Uint8Array([0, 1 | KIND_USER, 0, 0, 2 | KIND_USER, 1]);
    const buf = new BigUint64Array(vas);
    const out = new Float64Array(vas.length);
    const faults = m1.translateBatch(new Uint32Array(buf.buffer), out, 0, false, kinds);
    let expectFaults = 0;
    vas.forEach((va, i) => {
      const st = m2.translate(vaHi(va), vaLo(va), kinds[i]! & 3, (kinds[i]! & KIND_USER) !== 0);
      expect(batchStatus(out[i]!)).toBe(st);
      if (st === WALK_OK) expect(out[i]).toBe(m2.pa);
      else {
        expectFaults++;
        expect(batchErrorCode(out[i]!)).toBe(m2.errorCode);
      }
    });
    expect(faults).toBe(expectFaults);
    expect(faults).toBe(3); // user write to a read-only page, an unmapped page, a non-canonical address
  });
});

describe('translateBatch (its inlined hit path and memo) equals translate one by one', () => {
  it('random batches with PCID switches, globals and invalidations between them: same results, stats, contents', () => {
    const pages: Mapping[] = [];
    for (let i = 0; i < 48; i++) pages.push({ va: 0x400000n + BigInt(i) * 4096n, size: 4096, pa: 0x200000 + i * 4096, flags: { w: i % 3 !== 0, u: i % 7 !== 0, g: i % 5 === 0, d: i % 2 === 0 } });
    pages.push({ va: 0x40000000n, size: 0x200000, pa: 0x600000, flags: { w: true, u: true } });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            vas: fc.array(fc.tuple(fc.integer({ min: 0, max: pages.length - 1 }), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 40 }),
            then: fc.constantFrom('none', 'pcid', 'invlpg', 'invpcid1', 'invpcid2', 'cr3', 'vpid'),
            arg: fc.integer({ min: 0, max: 3 }),
            page: fc.integer({ min: 0, max: pages.length - 1 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (batches) => {
          const a = world(4, pages);
          const b = world(4, pages);
          const ma = new Mmu(a.walker, SKYLAKE, { pcide: true });
          const mb = new Mmu(b.walker, SKYLAKE, { pcide: true });
          for (const m of [ma, mb]) m.movCr3(a.pt.cr3, 1);
          for (const batch of batches) {
            const n = batch.vas.length;
            const halves = new Uint32Array(2 * n);
            const kinds = new Uint8Array(n);
            batch.vas.forEach(([p, off, k], i) => {
              const va = pages[p]!.va + BigInt(off & ~7);
              halves[2 * i] = vaLo(va);
              halves[2 * i + 1] = vaHi(va);
              kinds[i] = (k % 3) | (k >= 4 ? KIND_USER : 0);
            });
            const out = new Float64Array(n);
            ma.translateBatch(halves, out, 0, false, kinds);
            for (let i = 0; i < n; i++) {
              const st = mb.translate(halves[2 * i + 1]!, halves[2 * i]!, kinds[i]! & 3, (kinds[i]! & KIND_USER) !== 0);
              expect(batchStatus(out[i]!)).toBe(st);
              expect(st === WALK_OK ? out[i] : batchErrorCode(out[i]!)).toBe(st === WALK_OK ? mb.pa : mb.errorCode);
            }
            const pv = pages[batch.page]!.va;
            for (const m of [ma, mb]) {
              if (batch.then === 'pcid') m.movCr3(a.pt.cr3, batch.arg + 1, true);
              else if (batch.then === 'invlpg') m.invlpg(vaHi(pv), vaLo(pv));
              else if (batch.then === 'invpcid1') m.invpcid(1, batch.arg + 1);
              else if (batch.then === 'invpcid2') m.invpcid(2, 0);
              else if (batch.then === 'cr3') m.movCr3(a.pt.cr3, batch.arg + 1);
              else if (batch.then === 'vpid') m.setVpid(batch.arg);
            }
          }
          expect(ma.stats).toEqual(mb.stats);
          expect(ma.walks).toBe(mb.walks);
          for (let arr = 0; arr < ma.tlb.arrayCount; arr++) expect(ma.tlb.contents(arr)).toEqual(mb.tlb.contents(arr));
          expect(ma.tlb.stamps()).toEqual(mb.tlb.stamps());
        },
      ),
      { numRuns: 60 },
    );
  });
});
