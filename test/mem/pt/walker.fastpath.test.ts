/**
 * walk() runs the common case (present 4 KiB chains, tables below 2 GiB) in a straight-line fast
 * path and starts over in walkGeneral for anything else. Property: on random tables (the same
 * generator idea as walker.property.test.ts, plus clean 4-level/5-level chains so the fast path
 * runs to the end most of the time), walk() and walkGeneral() leave EVERY result field equal —
 * not only pa and the error code — and write the same A/D bits back.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryError, PhysicalMemory } from '../../../src/mem/phys.js';
import { PageWalker, WALK_OK } from '../../../src/mem/walker.js';
import { XorShift32 } from '../../../src/mem/tlb.js';

const FRAMES = 16;
const MEM = FRAMES * 4096;

function rng(seed: number): () => number {
  const x = new XorShift32(seed);
  return () => x.next();
}

/** Mostly clean present entries (P, often U/W, random A/D/G/PAT/PCD/PWT/XD/pkey), some noise. */
function fillTables(mem: PhysicalMemory, seed: number): void {
  const r = rng(seed);
  for (let i = 0; i < MEM / 8; i++) {
    const kind = r() % 100;
    let lo = 0;
    let hi = 0;
    if (kind >= 6) {
      lo = ((r() % FRAMES) << 12) | (r() & 0xf78) | 1; // flags 3..11 random except PS, P = 1
      if (r() % 5 !== 0) lo |= 0x6;
      if (r() % 10 === 0) hi |= 0x8000_0000; // XD
      if (r() % 4 === 0) hi |= (r() & 0xf) << 27; // protection key (ignored above a leaf)
      if (r() % 6 === 0) hi |= r() & 0x07f0_0000; // ignored bits 58:52
      if (kind >= 90) {
        // noise: PS, a high frame bit (a leaf above 4 GiB is fine; a table there is outside
        // memory), a reserved bit, or frame bit 31
        const b = [7, 12, 13, 20, 21, 31, 32, 33, 40, 51][r() % 10]!;
        if (b < 32) lo ^= 1 << b;
        else hi ^= 1 << (b - 32);
      }
    } else if (kind >= 3) {
      lo = r() & ~1;
      hi = r();
    }
    mem.write64(i * 8, lo >>> 0, hi >>> 0);
  }
}

const FIELDS = ['pa', 'frame', 'pageShift', 'rights', 'global', 'dirty', 'pkey', 'memType', 'leafEntryPa', 'leafLevel', 'leafLo', 'leafHi', 'errorCode', 'refCount'] as const;

function run(w: PageWalker, general: boolean, cr3: number, hi: number, lo: number, access: number, user: boolean): Record<string, unknown> {
  let st: number | string;
  try {
    st = general ? w.walkGeneral(cr3, hi, lo, access, user) : w.walk(cr3, hi, lo, access, user);
  } catch (e) {
    if (!(e instanceof MemoryError)) throw e;
    st = `memerr ${e.message}`;
  }
  const out: Record<string, unknown> = { st, refs: Array.from(w.refs.subarray(0, w.refCount)) };
  // After a fault only some fields are defined (pa/frame/… keep the last success's values,
  // which differ between the two walkers' histories): compare what the contract defines.
  const defined = st === WALK_OK ? FIELDS : (['errorCode', 'refCount', 'leafEntryPa', 'leafLevel', 'leafLo', 'leafHi', 'rights'] as const);
  if (typeof st === 'string') return out;
  for (const f of defined) out[f] = w[f];
  return out;
}

describe('walk() fast path equals walkGeneral() on every result field', () => {
  it('random tables, 4 and 5 levels, every access kind, control bits, with and without A/D updates', () => {
    const m1 = new PhysicalMemory(MEM);
    const m2 = new PhysicalMemory(MEM);
    const w1 = new PageWalker(m1);
    const w2 = new PageWalker(m2);
    let oks = 0;
    let faults = 0;
    // Count walk()'s fallbacks, so the test knows the fast path itself ran to the end often.
    let fallbacks = 0;
    const general = w1.walkGeneral.bind(w1);
    w1.walkGeneral = (...args) => {
      fallbacks++;
      return general(...args);
    };
    let walks = 0;
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: FRAMES - 1 }),
        fc.record({
          levels: fc.constantFrom<4 | 5>(4, 5),
          maxPhyAddr: fc.constantFrom(36, 40, 46, 52),
          nxe: fc.boolean(),
          wp: fc.boolean(),
          smep: fc.boolean(),
          smap: fc.boolean(),
          ac: fc.boolean(),
          updateAD: fc.boolean(),
        }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.integer({ min: 0, max: 7 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (seed, root, cfg, accesses) => {
          fillTables(m1, seed);
          m2.u8.set(m1.u8);
          Object.assign(w1.config, cfg);
          Object.assign(w2.config, cfg);
          for (const [rawHi, lo, access, user, form] of accesses) {
            // canonical most of the time; sometimes the raw high half
            const hi = form === 0 ? rawHi : cfg.levels === 5 ? ((rawHi << 7) >> 7) >>> 0 : ((rawHi << 16) >> 16) >>> 0;
            // the halves unsigned (the contract) or as int32 (what the Mmu's batch passes)
            const h = form === 1 ? hi | 0 : hi;
            const l = form === 1 ? lo | 0 : lo;
            const cr3 = root * 4096 + (form === 2 ? lo & 0xfff : 0);
            const a = run(w1, false, cr3, h, l, access, user);
            walks++;
            const b = run(w2, true, cr3, hi, lo, access, user);
            expect(a, `cr3 ${cr3} va ${hi.toString(16)}:${lo.toString(16)} access ${access} user ${user} ${JSON.stringify(cfg)}`).toEqual(b);
            if (a.st === WALK_OK) oks++;
            else faults++;
          }
          expect(Buffer.from(m1.u8).equals(Buffer.from(m2.u8))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    // Both kinds of outcome must be common, or the property says little about the fast path.
    expect(oks).toBeGreaterThan(300);
    expect(faults).toBeGreaterThan(300);
    expect(walks - fallbacks, 'walks the fast path completed').toBeGreaterThan(300);
  });
});
