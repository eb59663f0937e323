/** Entry codec against the SDM's bit positions (Vol. 3A, tables 4-15 … 4-20), and VA halves. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeEntry, encodeEntry, entryFrame, ENTRY_FIELDS, KIND_LARGE, KIND_PAGE, KIND_TABLE, PteError, reservedHiMask, reservedLoMask,
  swapPteHi, swapPteLo, isSwapPte, swapSlotOf, physReservedHi,
} from '../../../src/mem/pte.js';
import { fieldBits, fieldHalf } from '../../../src/mem/format.js';
import { canonicalize, isCanonical, isCanonicalHi, joinVa, tableIndex, vaHi, vaLo } from '../../../src/mem/va.js';

const big = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

describe('entry encode: SDM bit positions', () => {
  it('4 KiB PTE: P0 RW1 US2 PWT3 PCD4 A5 D6 PAT7 G8, pkey 62:59, XD63, frame 51:12', () => {
    const e = encodeEntry({ frame: 0x000f_ffff_ffff_f000, p: true, w: true, u: true, pwt: true, pcd: true, a: true, d: true, pat: true, g: true, pkey: 0xa, nx: true }, 1);
    expect(big(e.lo, e.hi)).toBe(0xd00f_ffff_ffff_f1ffn);
    // One bit at a time, against the table.
    const one = (f: Parameters<typeof encodeEntry>[0], level: number) => { const x = encodeEntry(f, level); return big(x.lo, x.hi); };
    expect(one({ frame: 0, p: true }, 1)).toBe(1n << 0n);
    expect(one({ frame: 0, w: true }, 1)).toBe(1n << 1n);
    expect(one({ frame: 0, u: true }, 1)).toBe(1n << 2n);
    expect(one({ frame: 0, pwt: true }, 1)).toBe(1n << 3n);
    expect(one({ frame: 0, pcd: true }, 1)).toBe(1n << 4n);
    expect(one({ frame: 0, a: true }, 1)).toBe(1n << 5n);
    expect(one({ frame: 0, d: true }, 1)).toBe(1n << 6n);
    expect(one({ frame: 0, pat: true }, 1)).toBe(1n << 7n);
    expect(one({ frame: 0, g: true }, 1)).toBe(1n << 8n);
    expect(one({ frame: 0, pkey: 1 }, 1)).toBe(1n << 59n);
    expect(one({ frame: 0, pkey: 8 }, 1)).toBe(1n << 62n);
    expect(one({ frame: 0, nx: true }, 1)).toBe(1n << 63n);
    expect(one({ frame: 0x1_2345_6000 }, 1)).toBe(0x1_2345_6000n);
  });

  it('PAT is bit 12 in a 2 MiB / 1 GiB leaf and bit 7 there is PS', () => {
    const m2 = encodeEntry({ frame: 0x4020_0000, p: true, ps: true, pat: true }, 2);
    expect(big(m2.lo, m2.hi)).toBe(0x4020_0000n | (1n << 12n) | (1n << 7n) | 1n);
    const g1 = encodeEntry({ frame: 0x3_c000_0000, p: true, ps: true, pat: true, g: true }, 3);
    expect(big(g1.lo, g1.hi)).toBe(0x3_c000_0000n | (1n << 12n) | (1n << 8n) | (1n << 7n) | 1n);
    // Decoding masks PAT out of the frame.
    const d = decodeEntry(g1.lo, g1.hi, 3);
    expect(d).toMatchObject({ kind: 'page', pageSize: 0x4000_0000, ps: true, pat: true, g: true, frame: 0x3_c000_0000 });
    expect(decodeEntry(m2.lo, m2.hi, 2)).toMatchObject({ kind: 'page', pageSize: 0x20_0000, pat: true, frame: 0x4020_0000 });
  });

  it('bit 7 means PAT in a PTE, PS in a PDE, and is reserved PS in a PML4E', () => {
    const lo = 0x0020_0081; // frame 0x200000, bit 7, P
    expect(decodeEntry(lo, 0, 1)).toMatchObject({ kind: 'page', pageSize: 4096, pat: true, ps: false, frame: 0x20_0000 });
    expect(decodeEntry(lo, 0, 2)).toMatchObject({ kind: 'page', pageSize: 0x20_0000, pat: false, ps: true, frame: 0x20_0000 });
    expect(decodeEntry(lo, 0, 4)).toMatchObject({ kind: 'table', ps: true, frame: 0x20_0000 });
    expect(reservedLoMask(4, lo) & lo).toBe(0x80);
    expect(reservedLoMask(5, lo) & lo).toBe(0x80);
    expect(reservedLoMask(1, lo) & lo).toBe(0);
  });

  it('a table entry ignores D, G and bits 62:52; a leaf uses 62:59 as the protection key', () => {
    const lo = 0x0000_3f47 >>> 0; // frame 0x3000, bits 11:8, 6, P W U
    const hi = 0x7ff0_0000;
    const t = decodeEntry(lo, hi, 3);
    expect(t).toMatchObject({ kind: 'table', d: false, g: false, pkey: 0, avl: 0xf40, avlHi: 0x7ff0_0000, frame: 0x3000 });
    const p = decodeEntry(lo, hi, 1);
    expect(p).toMatchObject({ kind: 'page', d: true, g: true, pkey: 0xf, avl: 0xe00, avlHi: 0x07f0_0000, frame: 0x3000 });
    // Same bits re-encoded give the same entry.
    expect(encodeEntry({ ...t }, 3)).toEqual({ lo, hi });
    expect(encodeEntry({ ...p }, 1)).toEqual({ lo, hi });
  });

  it('round-trips every random entry at every level (decode → encode → same bits, frame aside)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 5 }), (lo, hi, level) => {
        const d = decodeEntry(lo, hi, level);
        const e = encodeEntry(d, level);
        // Everything except the reserved bits of a large leaf (which no field describes) survives.
        const rsvd = d.kind === 'page' && level > 1 ? reservedLoMask(level, lo) : 0;
        expect(e.lo).toBe((lo & ~rsvd) >>> 0);
        expect(e.hi).toBe(hi >>> 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('the field description covers each bit once per kind', () => {
    for (const kind of [KIND_TABLE, KIND_PAGE, KIND_LARGE]) {
      let lo = 0;
      let hi = 0;
      for (const f of ENTRY_FIELDS.filter((x) => x.kinds & kind)) {
        const m = fieldBits(f);
        if (fieldHalf(f) === 0) { expect(lo & m).toBe(0); lo |= m; } else { expect(hi & m).toBe(0); hi |= m; }
      }
      // Plus the frame bits: together all 64 bits (large leaves: minus the reserved 29/20:13).
      const frameLo = kind === KIND_LARGE ? 0xc000_0000 : 0xffff_f000;
      expect(((lo | frameLo) >>> 0).toString(16)).toBe(kind === KIND_LARGE ? 'c0001fff' : 'ffffffff');
      expect(((hi | 0xfffff) >>> 0).toString(16)).toBe('ffffffff');
    }
  });

  it('rejects what does not exist or does not fit', () => {
    expect(() => encodeEntry({ frame: 0x1000, g: true }, 4)).toThrow(PteError);
    expect(() => encodeEntry({ frame: 0x1000, ps: true }, 1)).toThrow(/ps/);
    expect(() => encodeEntry({ frame: 0x20_1000, ps: true }, 2)).toThrow(/aligned/);
    expect(() => encodeEntry({ frame: 2 ** 52 }, 1)).toThrow(/below 2\^52/);
    expect(() => encodeEntry({ frame: 0, pkey: 16 }, 1)).toThrow(/0\.\.15/);
    expect(() => decodeEntry(0, 0, 6)).toThrow(PteError);
  });
});

describe('reserved-bit masks', () => {
  it('bits 51:MAXPHYADDR and XD when NXE = 0', () => {
    expect(physReservedHi(52)).toBe(0);
    expect(physReservedHi(36)).toBe(0x000f_fff0); // bits 51:36 = hi bits 19:4
    expect(physReservedHi(46)).toBe(0x000f_c000);
    expect(reservedHiMask(52, false)).toBe(0x8000_0000);
    expect(reservedHiMask(39, true)).toBe(0x000f_ff80);
  });
  it('1 GiB leaf: 29:13; 2 MiB leaf: 20:13; bit 12 (PAT) never', () => {
    expect(reservedLoMask(3, 0x80)).toBe(0x3fff_e000);
    expect(reservedLoMask(2, 0x80)).toBe(0x001f_e000);
    expect(reservedLoMask(3, 0)).toBe(0);
    expect(reservedLoMask(2, 0)).toBe(0);
    expect(reservedLoMask(2, 0x80) & 0x1000).toBe(0);
  });
  it('entryFrame masks PAT, reserved and ignored bits', () => {
    expect(entryFrame(0xffff_ffff, 0xffff_ffff, 1)).toBe(0xf_ffff_ffff_f000);
    expect(entryFrame(0xffff_ffff, 0xffff_ffff, 2)).toBe(0xf_ffff_ffe0_0000);
    expect(entryFrame(0xffff_ffff, 0xffff_ffff, 3)).toBe(0xf_ffff_c000_0000);
    expect(entryFrame(0xffff_ffff, 0xffff_ffff, 4)).toBe(0xf_ffff_ffff_f000);
  });
});

describe('swap entries', () => {
  it('are not present, marked by bit 1, slot in bits 50:12', () => {
    expect(swapPteLo(0)).toBe(2);
    expect(swapPteHi(0)).toBe(0);
    expect(swapPteLo(0x12345)).toBe(((0x12345 & 0xfffff) << 12 | 2) >>> 0);
    expect(swapPteHi(0x12345)).toBe(0x12345 >>> 20);
    const slot = 2 ** 39 - 1;
    expect(big(swapPteLo(slot), swapPteHi(slot))).toBe(((2n ** 39n - 1n) << 12n) | 2n);
    expect(isSwapPte(swapPteLo(7))).toBe(true);
    expect(isSwapPte(0)).toBe(false);
    expect(isSwapPte(3)).toBe(false); // present
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 39 - 1 }), (s) => swapSlotOf(swapPteLo(s), swapPteHi(s)) === s && (swapPteLo(s) & 1) === 0));
    expect(() => swapPteLo(2 ** 39)).toThrow(PteError);
    expect(() => swapPteHi(-1)).toThrow(PteError);
  });
});

describe('virtual addresses', () => {
  it('split into halves and join back', () => {
    expect(vaHi(0xffff_8000_1234_5678n)).toBe(0xffff_8000);
    expect(vaLo(0xffff_8000_1234_5678n)).toBe(0x1234_5678);
    expect(vaHi(-1n)).toBe(0xffff_ffff);
    expect(joinVa(0xffff_8000, 0x1234_5678)).toBe(0xffff_8000_1234_5678n);
  });
  it('canonical: 48 bits with 4 levels, 57 with 5', () => {
    expect(isCanonical(0x0000_7fff_ffff_ffffn, 4)).toBe(true);
    expect(isCanonical(0x0000_8000_0000_0000n, 4)).toBe(false);
    expect(isCanonical(0xffff_8000_0000_0000n, 4)).toBe(true);
    expect(isCanonical(0xffff_7fff_ffff_ffffn, 4)).toBe(false);
    expect(isCanonical(0x0000_8000_0000_0000n, 5)).toBe(true);
    expect(isCanonical(0x00ff_ffff_ffff_ffffn, 5)).toBe(true);
    expect(isCanonical(0x0100_0000_0000_0000n, 5)).toBe(false);
    expect(isCanonical(0xff00_0000_0000_0000n, 5)).toBe(true);
    expect(isCanonical(-1n, 4)).toBe(true);
    expect(isCanonical(1n << 64n, 4)).toBe(false);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(4, 5), (va, levels) => {
      expect(isCanonicalHi(vaHi(va), levels)).toBe(isCanonical(va, levels));
      expect(isCanonical(canonicalize(va, levels), levels)).toBe(true);
    }));
  });
  it('table indexes are va bits 20:12, 29:21, 38:30, 47:39, 56:48', () => {
    const va = (5n << 48n) | (4n << 39n) | (3n << 30n) | (2n << 21n) | (1n << 12n) | 0xabcn;
    for (let l = 1; l <= 5; l++) expect(tableIndex(vaHi(va), vaLo(va), l)).toBe(l);
    const straddle = 0x7f_c000_0000n; // bits 38:30 all ones: two from lo, seven from hi
    expect(tableIndex(vaHi(straddle), vaLo(straddle), 3)).toBe(511);
  });
});
