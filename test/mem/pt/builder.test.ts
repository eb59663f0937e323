/** PageTableBuilder: the entries it writes (checked as raw bits), its conflicts and errors. */
import { describe, expect, it } from 'vitest';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import { BuilderError, PageTableBuilder, cr3Pcid, cr3Root, listMappings, makeCr3, splitCr3 } from '../../../src/mem/builder.js';
import { ACCESS_READ, ACCESS_WRITE, PageWalker, WALK_OK, WALK_PF } from '../../../src/mem/walker.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';

const MiB = 0x10_0000;
const newBuilder = (levels: 4 | 5 = 4, size = 4 * MiB) => {
  const mem = new PhysicalMemory(size);
  return { mem, b: new PageTableBuilder(mem, { levels }) };
};

describe('map', () => {
  it('allocates the root first at tablesAt, then tables in order; intermediates are P|RW|US', () => {
    const { mem, b } = newBuilder();
    expect(b.cr3).toBe(MiB);
    b.map(0x40_0000n, 0x20_0000, 4096, { w: true, u: true });
    // va 0x400000: PML4[0] → 0x101000, PDPT[0] → 0x102000, PD[2] → 0x103000, PT[0] = leaf.
    expect(mem.read64(MiB)).toBe(0x10_1007n);
    expect(mem.read64(0x10_1000)).toBe(0x10_2007n);
    expect(mem.read64(0x10_2000 + 2 * 8)).toBe(0x10_3007n);
    expect(mem.read64(0x10_3000)).toBe(0x20_0007n);
    expect(b.tableFrames()).toEqual([0x10_0000, 0x10_1000, 0x10_2000, 0x10_3000]);
    expect(b.allocator.used).toBe(4);
  });

  it('writes the leaf flags at their SDM positions, PAT at bit 7 (4K) or 12 (2M/1G)', () => {
    const { mem, b } = newBuilder();
    b.map(0x1000n, 0x5000, 4096, { pwt: true, pcd: true, a: true, d: true, g: true, nx: true, pat: true, pkey: 3 });
    expect(mem.read64(b.leafEntryAddress(0x1000n))).toBe((1n << 63n) | (3n << 59n) | 0x5000n | 0x1f9n);
    b.map(0x20_0000n, 0x40_0000, 0x20_0000, { w: true, pat: true });
    expect(mem.read64(b.leafEntryAddress(0x20_0000n))).toBe(0x40_0000n | (1n << 12n) | 0x80n | 0x3n);
    b.map(0x4000_0000n, 0x8000_0000, 0x4000_0000, { u: true, pat: true });
    expect(mem.read64(b.leafEntryAddress(0x4000_0000n))).toBe(0x8000_0000n | (1n << 12n) | 0x80n | 0x5n);
  });

  it('maps upper-half addresses and 5-level addresses', () => {
    const { mem, b } = newBuilder(5);
    b.map(0xff00_0000_0000_0000n, 0x4000_0000, 0x4000_0000, { w: true });
    b.map(0x00ff_ffff_ffff_f000n, 0x7000, 4096, {});
    expect(b.entryAddress(0xff00_0000_0000_0000n, 5)).toBe(b.cr3 + 256 * 8);
    expect(b.entryAddress(0x00ff_ffff_ffff_f000n, 5)).toBe(b.cr3 + 255 * 8);
    const w = new PageWalker(mem, { levels: 5 });
    expect(w.walk(b.cr3, 0xff00_0000, 0x1234_5678, ACCESS_WRITE, false)).toBe(WALK_OK);
    expect(w.pa).toBe(0x5234_5678);
    expect(w.refCount).toBe(3);
    expect(listMappings(mem, b.cr3, 5).map((m) => [m.va.toString(16), m.pa, m.size])).toEqual([
      ['fffffffffff000', 0x7000, 4096],
      ['ff00000000000000', 0x4000_0000, 0x4000_0000],
    ]);
  });

  const conflicts: [string, (b: PageTableBuilder) => void, RegExp][] = [
    ['the same 4K twice', (b) => { b.map(0x1000n, 0, 4096, {}); b.map(0x1000n, 0x1000, 4096, {}); }, /already mapped \(4K page at 0x1000\)/],
    ['2M where a table is', (b) => { b.map(0x20_1000n, 0, 4096, {}); b.map(0x20_0000n, 0, 0x20_0000, {}); }, /page table is already there/],
    ['4K inside a 2M page', (b) => { b.map(0x20_0000n, 0, 0x20_0000, {}); b.map(0x3f_f000n, 0, 4096, {}); }, /overlaps the 2M page already mapped at 0x200000/],
    ['2M inside a 1G page', (b) => { b.map(0x4000_0000n, 0, 0x4000_0000, {}); b.map(0x7fe0_0000n, 0, 0x20_0000, {}); }, /overlaps the 1G page already mapped at 0x40000000/],
    ['1G where a table is', (b) => { b.map(0x7fe0_0000n, 0, 0x20_0000, {}); b.map(0x4000_0000n, 0, 0x4000_0000, {}); }, /page table is already there/],
    ['1G twice', (b) => { b.map(0x4000_0000n, 0, 0x4000_0000, {}); b.map(0x4000_0000n, 0, 0x4000_0000, {}); }, /already mapped \(1G page/],
    ['misaligned va', (b) => b.map(0x20_1000n, 0, 0x20_0000, {}), /va 0x201000: not aligned to its 2M page/],
    ['misaligned pa', (b) => b.map(0x1000n, 0x800, 4096, {}), /pa 0x800 is not aligned/],
    ['pa beyond MAXPHYADDR', (b) => b.map(0x1000n, 2 ** 52, 4096, {}), /beyond MAXPHYADDR/],
    ['non-canonical va', (b) => b.map(0x0000_8000_0000_0000n, 0, 4096, {}), /not canonical/],
    ['bad pkey', (b) => b.map(0x1000n, 0, 4096, { pkey: 16 }), /pkey 16/],
  ];
  for (const [what, run, message] of conflicts) {
    it(`refuses ${what} with a BuilderError`, () => {
      const { mem, b } = newBuilder();
      let err: unknown;
      try {
        run(b);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BuilderError);
      expect((err as Error).message).toMatch(message);
      void mem;
    });
  }

  it('a refused mapping changes nothing', () => {
    const { mem, b } = newBuilder();
    b.map(0x20_0000n, 0, 0x20_0000, {});
    const before = Buffer.from(mem.u8.slice());
    expect(() => b.map(0x20_1000n, 0, 4096, {})).toThrow(BuilderError);
    expect(Buffer.from(mem.u8).equals(before)).toBe(true);
  });

  it('respects a smaller MAXPHYADDR and runs out of table frames with a BuilderError', () => {
    const mem = new PhysicalMemory(MiB + 3 * 4096);
    const b = new PageTableBuilder(mem, { maxPhyAddr: 36 });
    expect(() => b.map(0x1000n, 2 ** 36, 4096, {})).toThrow(/MAXPHYADDR \(36 bits\)/);
    b.map(0x4000_0000n, 2 ** 36 - 0x4000_0000, 0x4000_0000, {}); // root + PDPT
    b.map(0x20_0000n, 0, 0x20_0000, {}); // + PD: memory full
    expect(() => b.map(0x1000n, 0, 4096, {})).toThrow(/no frame left for a page table/);
  });

  it('uses a given allocator and tablesAt/tablesEnd', () => {
    const mem = new PhysicalMemory(MiB);
    const b = new PageTableBuilder(mem, { tablesAt: 0x8000, tablesEnd: 0xa000 });
    expect(b.cr3).toBe(0x8000);
    b.map(0x4000_0000n, 0, 0x4000_0000, {});
    expect(() => b.map(0x1000n, 0, 4096, {})).toThrow(BuilderError);
    const alloc = new FrameAllocator(mem, 0x20000, 0x30000);
    expect(new PageTableBuilder(mem, { allocator: alloc }).cr3).toBe(0x20000);
  });
});

describe('unmap, protect, entry addresses', () => {
  it('unmap clears the leaf; the walk then faults not-present', () => {
    const { mem, b } = newBuilder();
    b.map(0x20_0000n, 0x40_0000, 0x20_0000, { w: true });
    const ea = b.leafEntryAddress(0x2f_0000n);
    b.unmap(0x2f_0000n);
    expect(mem.read64(ea)).toBe(0n);
    const w = new PageWalker(mem);
    expect(w.walk(b.cr3, 0, 0x20_0000, ACCESS_READ, false)).toBe(WALK_PF);
    expect(w.errorCode).toBe(0);
    expect(() => b.unmap(0x20_0000n)).toThrow(/not mapped/);
    b.map(0x20_1000n, 0x5000, 4096, {}); // the PDE slot is free again for a table
  });

  it('protect rewrites flags, keeps frame and size', () => {
    const { mem, b } = newBuilder();
    b.map(0x4000_0000n, 0xc000_0000, 0x4000_0000, { w: true, u: true });
    b.protect(0x4123_4567n, { nx: true, g: true });
    expect(mem.read64(b.leafEntryAddress(0x4000_0000n))).toBe((1n << 63n) | 0xc000_0000n | 0x181n);
    expect(() => b.protect(0x1000n, {})).toThrow(/cannot protect: not mapped/);
  });

  it('entryAddress per level, -1 below a leaf or a hole; leafEntryAddress at the deepest table', () => {
    const { b } = newBuilder();
    b.map(0x40_0000n, 0, 4096, {});
    expect(b.entryAddress(0x40_0000n, 4)).toBe(MiB);
    expect(b.entryAddress(0x40_0000n, 3)).toBe(MiB + 0x1000);
    expect(b.entryAddress(0x40_0000n, 2)).toBe(MiB + 0x2000 + 16);
    expect(b.entryAddress(0x40_1000n, 1)).toBe(MiB + 0x3000 + 8);
    expect(b.entryAddress(0x60_0000n, 1)).toBe(-1); // PD[3] not present
    expect(b.leafEntryAddress(0x60_0000n)).toBe(MiB + 0x2000 + 24);
    expect(b.leafEntryAddress(0x8000_0000_0000n)).toBe(-1); // non-canonical
    expect(() => b.entryAddress(0n, 5)).toThrow(BuilderError);
  });
});

describe('CR3', () => {
  it('holds the PCID in bits 11:0', () => {
    const cr3 = makeCr3(0x12_3000, 0xabc);
    expect(cr3).toBe(0x12_3abc);
    expect(cr3Root(cr3)).toBe(0x12_3000);
    expect(cr3Pcid(cr3)).toBe(0xabc);
    expect(splitCr3(makeCr3(2 ** 51, 5))).toEqual({ root: 2 ** 51, pcid: 5 });
    expect(() => makeCr3(0x1800)).toThrow(/aligned/);
    expect(() => makeCr3(0x1000, 4096)).toThrow(/PCID/);
    // The walker ignores the PCID.
    const { mem, b } = newBuilder();
    b.map(0x1000n, 0x7000, 4096, {});
    const w = new PageWalker(mem);
    expect(w.walk(makeCr3(b.cr3, 0xfff), vaHi(0x1000n), vaLo(0x1000n), ACCESS_READ, false)).toBe(WALK_OK);
  });
});
