/**
 * Property: for random page-table memory, random addresses, access kinds and control bits, the
 * fast walker (src/mem/walker.ts) and the slow reference (reference.ts, straight from the SDM)
 * agree on the outcome, the physical address, the error code and the entries read — and, with
 * A/D updates on, on the bytes written back.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PhysicalMemory } from '../../../src/mem/phys.js';
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PageWalker, WALK_GP, WALK_OK, WALK_PF } from '../../../src/mem/walker.js';
import { MemoryError } from '../../../src/mem/phys.js';
import { refWalk, type RefAccess, type RefConfig } from './reference.js';
import { XorShift32 } from '../../../src/mem/tlb.js';

const FRAMES = 16;
const MEM = FRAMES * 4096;

/** xorshift32: the memory contents come from a seed so a failing case is reproducible and small to print. */
function rng(seed: number): () => number {
  const x = new XorShift32(seed);
  return () => x.next();
}

/**
 * Fill memory with entries that make walks interesting: mostly present entries pointing at
 * frames inside memory (so walks go deep), some empty ones, and "noise": single bits flipped in
 * reserved and ignored positions, PS, XD, high frame bits (which may point outside memory).
 */
function fillTables(mem: PhysicalMemory, seed: number): void {
  const r = rng(seed);
  for (let i = 0; i < MEM / 8; i++) {
    const kind = r() % 100;
    let lo = 0;
    let hi = 0;
    if (kind >= 12) {
      const ps = r() % 6 === 0; // PS (a large leaf at levels 2/3, reserved at 4/5; PAT in a PTE)
      // A large leaf's frame bits 29:13 / 20:13 are reserved: keep them clear most of the time
      // (bit 12 is PAT there).
      const frame = ps && r() % 4 !== 0 ? r() % 2 : r() % FRAMES;
      lo = (frame << 12) | (r() & 0x17f) | (ps ? 0x80 : 0) | 1; // flags random, P = 1
      if (r() % 4 !== 0) lo |= 0x6; // mostly U and W, so the rights checks see both ways
      if (r() % 8 === 0) hi |= 0x8000_0000; // XD
      if (kind >= 93) {
        // one noisy bit anywhere in 63:9
        const b = 9 + (r() % 55);
        if (b < 32) lo ^= 1 << b;
        else hi ^= 1 << (b - 32);
      }
    } else if (kind >= 8) {
      lo = r() & ~1; // not present, other bits are ignored
      hi = r();
    }
    mem.write64(i * 8, lo >>> 0, hi >>> 0);
  }
}

const ACCESS: Record<RefAccess, number> = { r: ACCESS_READ, w: ACCESS_WRITE, x: ACCESS_EXEC };

const arbConfig = fc.record({
  levels: fc.constantFrom<4 | 5>(4, 5),
  maxPhyAddr: fc.constantFrom(36, 39, 40, 46, 48, 52),
  nxe: fc.boolean(),
  wp: fc.boolean(),
  smep: fc.boolean(),
  smap: fc.boolean(),
  ac: fc.boolean(),
});

/** Mostly canonical addresses (sign-extended from bit 47 or 56), sometimes any 64 bits. */
const arbVa = fc.tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 19 })).map(([raw, k]) =>
  k === 0 ? raw : BigInt.asUintN(64, BigInt.asIntN(k < 4 ? 57 : 48, raw)),
);

interface Outcome {
  status: string;
  pa?: string;
  pageSize?: number;
  errorCode?: number;
  refs: string[];
}

function fast(walker: PageWalker, cr3: number, va: bigint, access: RefAccess, user: boolean): Outcome {
  let st: number;
  try {
    st = walker.walk(cr3, Number(va >> 32n), Number(va & 0xffffffffn), ACCESS[access], user);
  } catch (e) {
    if (e instanceof MemoryError) return { status: 'memerr', refs: Array.from(walker.refs.subarray(0, walker.refCount), (x) => x.toString(16)) };
    throw e;
  }
  const refs = Array.from(walker.refs.subarray(0, walker.refCount), (x) => x.toString(16));
  if (st === WALK_GP) return { status: 'gp', refs };
  if (st === WALK_PF) return { status: 'pf', errorCode: walker.errorCode, refs };
  expect(st).toBe(WALK_OK);
  return { status: 'ok', pa: walker.pa.toString(16), pageSize: 2 ** walker.pageShift, refs };
}

function slow(mem: PhysicalMemory, cr3: number, va: bigint, access: RefAccess, user: boolean, cfg: RefConfig): Outcome {
  const read = (pa: bigint): bigint => {
    if (pa + 8n > BigInt(mem.size)) throw new RangeError('outside');
    const o = Number(pa);
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(mem.u8[o + i]!);
    return v;
  };
  const refsSeen: bigint[] = [];
  try {
    const r = refWalk((pa) => (refsSeen.push(pa), read(pa)), BigInt(cr3), va, access, user, cfg);
    const refs = r.refs.map((x) => x.toString(16));
    if (r.status === 'ok') return { status: 'ok', pa: r.pa!.toString(16), pageSize: Number(r.pageSize!), refs };
    if (r.status === 'pf') return { status: 'pf', errorCode: r.errorCode!, refs };
    return { status: 'gp', refs };
  } catch (e) {
    if (e instanceof RangeError) return { status: 'memerr', refs: refsSeen.map((x) => x.toString(16)) };
    throw e;
  }
}

describe('fast walker equals the SDM reference walker', () => {
  it('on random tables, addresses, access kinds and control bits', () => {
    const mem = new PhysicalMemory(MEM);
    const walker = new PageWalker(mem);
    const counts: Record<string, number> = {};
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: FRAMES - 1 }),
        fc.integer({ min: 0, max: 4095 }),
        arbConfig,
        fc.array(fc.tuple(arbVa, fc.constantFrom<RefAccess>('r', 'w', 'x'), fc.boolean()), { minLength: 1, maxLength: 24 }),
        (seed, rootFrame, pcid, cfg, accesses) => {
          fillTables(mem, seed);
          Object.assign(walker.config, cfg, { updateAD: false });
          const cr3 = rootFrame * 4096 + pcid; // PCID bits must be ignored by the walk
          for (const [va, access, user] of accesses) {
            const got = fast(walker, cr3, va, access, user);
            const want = slow(mem, cr3, va, access, user, cfg);
            expect(got, `va ${va.toString(16)} ${access} user=${user} cfg=${JSON.stringify(cfg)} seed=${seed}`).toEqual(want);
            const key = got.status + (got.errorCode ?? got.pageSize ?? '');
            counts[key] = (counts[key] ?? 0) + 1;
          }
        },
      ),
      { numRuns: 300 },
    );
    // The generator must actually reach every kind of outcome, or the property proves little.
    const kinds = Object.keys(counts);
    for (const k of ['ok4096', 'ok2097152', 'ok1073741824', 'gp', 'memerr', 'pf4', 'pf6', 'pf9', 'pf13', 'pf5', 'pf7', 'pf1', 'pf3', 'pf21', 'pf17', 'pf16']) {
      expect(kinds, `outcome ${k} never generated: ${JSON.stringify(counts)}`).toContain(k);
    }
  });

  it('sets A on every entry read and D in the leaf on a write, only for successful walks', () => {
    const mem = new PhysicalMemory(MEM);
    const before = new PhysicalMemory(MEM);
    const walker = new PageWalker(mem);
    let oks = 0;
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: FRAMES - 1 }),
        arbConfig,
        fc.array(fc.tuple(arbVa, fc.constantFrom<RefAccess>('r', 'w', 'x'), fc.boolean()), { minLength: 1, maxLength: 16 }),
        (seed, rootFrame, cfg, accesses) => {
          fillTables(mem, seed);
          Object.assign(walker.config, cfg, { updateAD: true });
          for (const [va, access, user] of accesses) {
            before.u8.set(mem.u8);
            const want = slow(before, rootFrame * 4096, va, access, user, cfg);
            const got = fast(walker, rootFrame * 4096, va, access, user);
            expect(got).toEqual(want);
            // Expected memory: A (bit 5) in each entry read, D (bit 6) in the leaf (the last read) on a write.
            const expected = new Uint8Array(before.u8);
            if (want.status === 'ok') {
              oks++;
              for (const r of want.refs) expected[parseInt(r, 16)]! |= 0x20;
              const leaf = parseInt(want.refs[want.refs.length - 1]!, 16);
              if (access === 'w') expected[leaf]! |= 0x40;
              expect(walker.dirty).toBe((expected[leaf]! >> 6) & 1);
            }
            expect(Buffer.from(mem.u8).equals(Buffer.from(expected))).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(oks).toBeGreaterThan(50);
  });
});
