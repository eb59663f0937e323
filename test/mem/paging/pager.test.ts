/**
 * The full system: page tables (PageTableBuilder), the Mmu (TLB + PageWalker), the page-fault
 * handler, the swap device. Data is checked against a shadow copy of every virtual page.
 */
import { describe, it, expect } from 'vitest';
import { PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder } from '../../../src/mem/builder.js';
import { PageWalker, PFEC_P, PFEC_W, PFEC_U } from '../../../src/mem/walker.js';
import { Mmu } from '../../../src/mem/mmu.js';
import { simpleGeometry } from '../../../src/mem/tlb.js';
import { SKYLAKE } from '../../../src/mem/tlb-presets.js';
import { isSwapPte, swapSlotOf, LO_P, LO_A, LO_D } from '../../../src/mem/pte.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';
import { DemandPager, PageFaultError, PagingError, type DemandPagerOptions } from '../../../src/mem/paging/pager.js';
import { simulate } from '../../../src/mem/paging/sim.js';
import { traceFromPages } from '../../../src/mem/paging/trace.js';
import { POLICY_NAMES, type PolicyName } from '../../../src/mem/paging/policy.js';

const BASE = 0x4000_0000n; // the pageable region's first virtual address
const FRAMES_AT = 0x20_0000;

function machine(frames: number, policy: PolicyName, pages: number, opts: { levels?: 4 | 5; base?: bigint; pagerClass?: typeof DemandPager; tlb?: 'small' | 'skylake'; flags?: { w?: boolean; u?: boolean } } = {}) {
  const mem = new PhysicalMemory(0x20_0000 + frames * 4096);
  const builder = new PageTableBuilder(mem, { levels: opts.levels ?? 4, tablesAt: 0x10_0000, tablesEnd: 0x20_0000 });
  const walker = new PageWalker(mem, { levels: opts.levels ?? 4 });
  const mmu = new Mmu(walker, opts.tlb === 'small' ? simpleGeometry(4, 2) : SKYLAKE);
  mmu.movCr3(builder.cr3);
  const Cls = opts.pagerClass ?? DemandPager;
  const o: DemandPagerOptions = { frames, framesAt: FRAMES_AT, policy, swapSlots: pages };
  const pager = new Cls(mem, builder, mmu, o);
  const base = opts.base ?? BASE;
  pager.addRegion(base, pages, opts.flags ?? { w: true, u: true });
  return { mem, builder, walker, mmu, pager, base };
}

/** A small deterministic PRNG (xorshift32) so every run checks the same programs. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

type Op = { write: boolean; offset: number; length: number; fill: number };

/** A program over `pages` pages: writes of distinct byte patterns and reads, some across pages. */
function program(pages: number, count: number, seed: number): Op[] {
  const r = rng(seed);
  const ops: Op[] = [];
  const size = pages * 4096;
  for (let i = 0; i < count; i++) {
    // Mostly small accesses, some crossing a page boundary, a few whole pages.
    const length = r(10) === 0 ? 4096 : 1 + r(200);
    const offset = r(10) === 0 ? Math.max(0, (1 + r(pages - 1)) * 4096 - 1 - r(length)) : r(size - length);
    ops.push({ write: r(2) === 0, offset: Math.min(offset, size - length), length, fill: i });
  }
  return ops;
}

/** The bytes a write op stores: a pattern no other op repeats (op number, byte index). */
function pattern(op: Op): Uint8Array {
  const b = new Uint8Array(op.length);
  for (let i = 0; i < op.length; i++) b[i] = (op.fill * 31 + i * 7 + (op.fill >>> 8)) & 0xff;
  return b;
}

/** VPN of every page access the program makes, in order (for OPT's plan). */
function programVpns(ops: Op[], base: bigint): number[] {
  const out: number[] = [];
  const firstVpn = Number(base >> 12n);
  for (const op of ops) {
    for (let p = Math.floor(op.offset / 4096); p <= Math.floor((op.offset + op.length - 1) / 4096); p++) out.push(firstVpn + p);
  }
  return out;
}

/** Run ops through the pager against a shadow copy; returns the number of reads that differed. */
function runProgram(pager: DemandPager, base: bigint, pages: number, ops: Op[]): number {
  const shadow = new Uint8Array(pages * 4096);
  let mismatches = 0;
  for (const op of ops) {
    const va = base + BigInt(op.offset);
    if (op.write) {
      const b = pattern(op);
      pager.write(va, b);
      shadow.set(b, op.offset);
    } else {
      const got = new Uint8Array(op.length);
      pager.read(va, got);
      if (!sameBytes(got, shadow.subarray(op.offset, op.offset + op.length))) mismatches++;
    }
  }
  // Finally every page, whole: nothing was lost wherever it lived.
  for (let p = 0; p < pages; p++) {
    const got = new Uint8Array(4096);
    pager.read(base + BigInt(p * 4096), got);
    if (!sameBytes(got, shadow.subarray(p * 4096, (p + 1) * 4096))) mismatches++;
  }
  return mismatches;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('end to end: a working set larger than physical memory, through the MMU', () => {
  for (const policy of POLICY_NAMES) {
    it(`${policy}: 40 pages in 8 frames — every read returns the bytes last written`, () => {
      const pages = 40;
      const { pager, base, mmu } = machine(8, policy, pages);
      const ops = program(pages, 1500, 0x5eed + policy.length);
      if (policy === 'opt') {
        const vpns = programVpns(ops, base);
        for (let p = 0; p < pages; p++) vpns.push(Number(base >> 12n) + p); // the final sweep
        pager.planFuture(vpns);
      }
      expect(runProgram(pager, base, pages, ops)).toBe(0);
      const s = pager.stats();
      // The run really paged: pages went out dirty and came back from swap.
      expect(s.evictions).toBeGreaterThan(200);
      expect(s.writebacks).toBeGreaterThan(50);
      expect(s.swapIns).toBeGreaterThan(50);
      expect(s.faults).toBe(s.swapIns + s.zeroFills);
      expect(s.evictions).toBe(s.faults - 8);
      expect(pager.swap.writes).toBe(s.writebacks);
      expect(pager.swap.reads).toBe(s.swapIns);
      expect(mmu.stats).toBeDefined();
    });
  }

  it('works the same in the upper half with 5-level paging', () => {
    const base = 0xff00_0000_0000_0000n; // canonical with LA57 (bit 56 set), kernel half
    const { pager } = machine(6, 'clock', 24, { levels: 5, base });
    expect(runProgram(pager, base, 24, program(24, 600, 57))).toBe(0);
    expect(pager.writebacks).toBeGreaterThan(0);
  });

  it('the full system counts the same faults, evictions and writebacks as the trace simulator', () => {
    for (const policy of POLICY_NAMES) {
      for (const [frames, seed] of [
        [1, 1],
        [3, 2],
        [5, 3],
        [7, 4],
      ] as const) {
        const r = rng(seed * 101 + policy.length);
        const pages = 12;
        const pageList: number[] = [];
        const writes: boolean[] = [];
        for (let i = 0; i < 400; i++) {
          // A skewed mix so hits and misses both happen.
          pageList.push(r(3) === 0 ? r(pages) : r(4));
          writes.push(r(3) === 0);
        }
        const { pager, base } = machine(frames, policy, pages, { tlb: 'small' });
        if (policy === 'opt') pager.planFuture(pageList.map((p) => Number(base >> 12n) + p));
        const byte = new Uint8Array(1);
        pageList.forEach((p, i) => {
          const va = base + BigInt(p * 4096 + ((i * 37) & 0xfff));
          if (writes[i]) pager.write(va, byte);
          else pager.read(va, byte);
        });
        const sim = simulate(traceFromPages(pageList, writes), frames, policy);
        const full = pager.stats();
        expect({ policy, frames, faults: full.faults, evictions: full.evictions, writebacks: full.writebacks }).toEqual({
          policy,
          frames,
          faults: sim.faults,
          evictions: sim.evictions,
          writebacks: sim.writebacks,
        });
      }
    }
  });

  it('the textbook string through the MMU: fifo 9 faults with 3 frames, 10 with 4', () => {
    for (const [frames, faults] of [
      [3, 9],
      [4, 10],
    ] as const) {
      const { pager, base } = machine(frames, 'fifo', 6);
      const b = new Uint8Array(8);
      for (const p of [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]) pager.read(base + BigInt(p * 4096), b);
      expect(pager.faults).toBe(faults);
      expect(pager.writebacks).toBe(0);
    }
  });
});

describe('page-table entries of a paged region', () => {
  it('never touched: all zero; resident: present with A/D as used; swapped out: a swap entry holding the slot', () => {
    const { pager, base, mem, builder } = machine(1, 'fifo', 4);
    const a = base;
    const b = base + 0x1000n;
    expect(pager.locate(a)).toEqual({ state: 'untouched' });
    pager.write(a, new Uint8Array([1, 2, 3, 4]));
    const pteA = builder.entryAddress(a, 1);
    expect(pteA).toBeGreaterThan(0);
    const lo = mem.readLo(pteA);
    expect(lo & (LO_P | LO_A | LO_D)).toBe(LO_P | LO_A | LO_D);
    expect(mem.readLo(builder.entryAddress(b, 1))).toBe(0); // b: same table, never touched
    expect(mem.readHi(builder.entryAddress(b, 1))).toBe(0);

    pager.read(b, new Uint8Array(4)); // evicts a (dirty): written to swap
    const slo = mem.readLo(pteA);
    const shi = mem.readHi(pteA);
    expect(slo & LO_P).toBe(0);
    expect(isSwapPte(slo)).toBe(true);
    const slot = swapSlotOf(slo, shi);
    expect(pager.locate(a)).toEqual({ state: 'swapped', slot });
    expect([...pager.swap.data.subarray(slot * 4096, slot * 4096 + 5)]).toEqual([1, 2, 3, 4, 0]);
    expect(pager.writebacks).toBe(1);

    // b was only read: evicting it writes nothing and its entry goes back to all zero.
    const got = new Uint8Array(4);
    pager.read(a, got);
    expect([...got]).toEqual([1, 2, 3, 4]);
    expect(pager.writebacks).toBe(1);
    expect(mem.readLo(builder.entryAddress(b, 1))).toBe(0);
    expect(pager.locate(b)).toEqual({ state: 'untouched' });

    // a came back clean: evicting it again writes nothing; its slot still has the bytes.
    pager.read(b, got);
    expect(pager.writebacks).toBe(1);
    expect(pager.locate(a)).toEqual({ state: 'swapped', slot });
    expect(pager.swap.reads).toBe(1);
  });
});

describe('faults that stay faults', () => {
  it('a write to a read-only page is a protection fault, not paged', () => {
    const { pager, base } = machine(2, 'lru', 4, { flags: { w: false, u: true } });
    pager.read(base, new Uint8Array(1)); // paged in
    const before = pager.stats();
    let err: unknown;
    try {
      pager.write(base, new Uint8Array(1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PageFaultError);
    expect((err as PageFaultError).errorCode).toBe(PFEC_P | PFEC_W | PFEC_U);
    expect(pager.stats()).toEqual(before);
  });
  it('a user access to a supervisor page is a protection fault', () => {
    const { pager, base } = machine(2, 'lru', 4, { flags: { w: true, u: false } });
    // First access: not present → paged in, then the retry faults on the rights.
    expect(() => pager.read(base, new Uint8Array(1))).toThrow(PageFaultError);
    expect(pager.faults).toBe(1);
    expect(() => pager.read(base, new Uint8Array(1))).toThrow(/error code 0x5 \(P U\)/);
    expect(pager.faults).toBe(1);
  });
  it('an address outside every region faults (no frame given), a non-canonical one is #GP', () => {
    const { pager, base } = machine(2, 'lru', 4);
    expect(() => pager.read(base + 0x10_0000n, new Uint8Array(1))).toThrow(/#PF at 0x40100000: error code 0x4 \(U\)/);
    expect(() => pager.read(0x8000_0000_0000n, new Uint8Array(1))).toThrow(/#GP/);
    expect(pager.faults).toBe(0);
  });
  it('opt without a plan is refused', () => {
    const { pager, base } = machine(2, 'opt', 4);
    expect(() => pager.read(base, new Uint8Array(1))).toThrow(PagingError);
  });
});

class NoInvlpgPager extends DemandPager {
  protected override invalidate(): void {
    // The mutation: evict without INVLPG.
  }
}

describe('no stale translation after eviction', () => {
  function scenario(cls: typeof DemandPager) {
    // 2 frames, fifo: A and B resident and in the TLB; C evicts A and takes A's frame.
    const { pager, base, mmu } = machine(2, 'fifo', 3, { pagerClass: cls });
    const A = base;
    const B = base + 0x1000n;
    const C = base + 0x2000n;
    pager.write(A, new Uint8Array(16).fill(0xaa));
    pager.write(B, new Uint8Array(16).fill(0xbb));
    pager.write(C, new Uint8Array(16).fill(0xcc));
    const cached = mmu.tlb.lookup(vaHi(A), vaLo(A)) >= 0;
    const got = new Uint8Array(16);
    pager.read(A, got);
    return { cached, got, pager };
  }
  it('the victim leaves the TLB, and reading it again brings back its own bytes', () => {
    const { cached, got, pager } = scenario(DemandPager);
    expect(cached).toBe(false);
    expect([...got]).toEqual(new Array(16).fill(0xaa));
    expect(pager.swapIns).toBe(1);
  });
  it('mutation check: without INVLPG the stale entry is used and the data checks catch it', () => {
    const { cached, got, pager } = scenario(NoInvlpgPager);
    expect(cached).toBe(true);
    expect([...got]).toEqual(new Array(16).fill(0xcc)); // C's bytes through A's stale entry
    expect(pager.swapIns).toBe(0);
    // And the end-to-end program check fails for the mutant too.
    const m = machine(8, 'lru', 40, { pagerClass: NoInvlpgPager });
    expect(runProgram(m.pager, m.base, 40, program(40, 1500, 0x5eed + 3))).toBeGreaterThan(0);
  });
});

describe('setup errors', () => {
  it('refuses a frame pool overlapping the page-table area and overlapping regions', () => {
    const mem = new PhysicalMemory(0x40_0000);
    const builder = new PageTableBuilder(mem, { tablesAt: 0x10_0000, tablesEnd: 0x20_0000 });
    const mmu = new Mmu(new PageWalker(mem), SKYLAKE);
    expect(() => new DemandPager(mem, builder, mmu, { frames: 4, framesAt: 0x1f_f000, policy: 'fifo' })).toThrow(/overlaps the page-table area/);
    const pager = new DemandPager(mem, builder, mmu, { frames: 4, framesAt: 0x20_0000, policy: 'fifo' });
    pager.addRegion(BASE, 4);
    expect(() => pager.addRegion(BASE + 0x3000n, 4)).toThrow(/overlaps another region/);
    expect(() => pager.addRegion(BASE + 0x10_0800n, 1)).toThrow(/not page-aligned/);
  });
});

