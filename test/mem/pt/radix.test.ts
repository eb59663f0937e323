/**
 * The radix engine behind PageTableBuilder and EptBuilder: the same mappings, made through
 * either face, give the same table layout (entries at the same offsets of tables allocated in
 * the same order), the same refusals, and the same leaves listed in address order; and every
 * listed leaf is what the face's own walker translates.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder, BuilderError } from '../../../src/mem/builder.js';
import { EptBuilder, EptError, EptWalker, EPT_OK } from '../../../src/mem/virt/ept.js';
import { PageWalker, WALK_OK } from '../../../src/mem/walker.js';

const SIZES = [4096, 0x200000, 0x40000000] as const;

describe('radix engine: x86 and EPT faces', () => {
  it('same layout, refusals and leaves for the same mappings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 40 }), (maps) => {
        const xm = new PhysicalMemory(4 << 20);
        const em = new PhysicalMemory(4 << 20);
        const x = new PageTableBuilder(xm, { levels: 4, allocator: new FrameAllocator(xm, 0x10_0000, 0x40_0000) });
        const e = new EptBuilder(em, new FrameAllocator(em, 0x10_0000, 0x40_0000), { levels: 4 });
        const mapped: number[] = [];
        for (const [s, i, region] of maps) {
          const size = SIZES[s]!;
          // Regions 1 GiB apart so that large pages and small ones collide now and then.
          const addr = region * 0x4000_0000 + (i % (s === 2 ? 1 : 8)) * size;
          let xr = 'ok';
          let er = 'ok';
          try {
            x.map(BigInt(addr), addr, size, { w: true });
          } catch (err) {
            if (!(err instanceof BuilderError)) throw err;
            xr = 'refused';
          }
          try {
            e.map(addr, addr, size, { r: true, w: true });
          } catch (err) {
            if (!(err instanceof EptError)) throw err;
            er = 'refused';
          }
          expect(er).toBe(xr);
          if (xr === 'ok') mapped.push(addr);
        }
        for (const addr of mapped) {
          for (let level = 1; level <= 4; level++) expect(e.entryAddress(addr, level)).toBe(x.entryAddress(BigInt(addr), level));
        }
        const xl: [bigint, number][] = [];
        x.tables.forEachLeaf((a, level) => xl.push([a, level]));
        const el: [bigint, number][] = [];
        e.tables.forEachLeaf((a, level) => el.push([a, level]));
        expect(el).toEqual(xl);
        expect(xl.length).toBe(mapped.length);
        // Each leaf is what the walkers translate.
        const xw = new PageWalker(xm, { levels: 4 });
        const ew = new EptWalker(em);
        ew.load(e.eptp);
        for (const [a] of xl) {
          const n = Number(a) + 8;
          expect(xw.walk(x.cr3, Math.floor(n / 2 ** 32), n >>> 0, 0, false)).toBe(WALK_OK);
          expect(xw.pa).toBe(n);
          expect(ew.walk(n, 0)).toBe(EPT_OK);
          expect(ew.hpa).toBe(n);
        }
      }),
      { numRuns: 200 },
    );
  });
});
