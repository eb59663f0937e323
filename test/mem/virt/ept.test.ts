import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import {
  DEFAULT_EPT_CAPS,
  EPT_MISCONFIG,
  EPT_OK,
  EPT_VIOLATION,
  EQ_EXECUTABLE,
  EQ_FETCH,
  EQ_FINAL_TRANSLATION,
  EQ_GLA_VALID,
  EQ_READ,
  EQ_READABLE,
  EQ_WRITABLE,
  EQ_WRITE,
  EQ_USER_EXECUTABLE,
  EptBuilder,
  EptError,
  EptWalker,
  MISCONFIG_EXEC_ONLY,
  MISCONFIG_MEMTYPE,
  MISCONFIG_NONE,
  MISCONFIG_RESERVED_BIT,
  MISCONFIG_WRITE_WITHOUT_READ,
  decodeEptEntry,
  decodeEptp,
  describeExitQualification,
  eptMisconfig,
  encodeEptEntry,
  encodeEptp,
} from '../../../src/mem/virt/ept.js';

const R = 0, W = 1, X = 2;

describe('EPT entry codec (SDM Vol. 3C, EPT entry formats)', () => {
  it('encodes a 4 KiB EPT PTE bit by bit', () => {
    // R(0) W(1) X(2), memory type WB = 6 in bits 5:3, ignore-PAT bit 6, address bits 12+.
    expect(encodeEptEntry({ r: true, w: true, x: true, memType: 6, ignorePat: true, address: 0x12345000 }, 1)).toEqual({ lo: 0x12345077, hi: 0 });
    // A bit 8, D bit 9, user-execute bit 10, suppress #VE bit 63, address above 4 GiB.
    expect(encodeEptEntry({ r: true, a: true, d: true, ux: true, suppressVe: true, address: 0x12_3456_7000 }, 1)).toEqual({ lo: 0x34567701, hi: 0x8000_0012 });
  });

  it('encodes large pages with PS (bit 7) in a PDE and PDPTE only', () => {
    expect(encodeEptEntry({ r: true, x: true, ps: true, address: 0x4020_0000 }, 2)).toEqual({ lo: 0x40200085, hi: 0 });
    expect(encodeEptEntry({ r: true, ps: true, memType: 0, address: 0xc000_0000 }, 3)).toEqual({ lo: 0xc0000081, hi: 0 });
    expect(() => encodeEptEntry({ r: true, ps: true, address: 0 }, 4)).toThrow(EptError);
    expect(() => encodeEptEntry({ r: true, ps: true, address: 0 }, 1)).toThrow(/PS only/);
    expect(() => encodeEptEntry({ r: true, ps: true, address: 0x1000 }, 2)).toThrow(/aligned/);
  });

  it('refuses leaf-only fields in an entry pointing to a table', () => {
    expect(() => encodeEptEntry({ r: true, memType: 6, address: 0x1000 }, 4)).toThrow(/memType/);
    expect(() => encodeEptEntry({ r: true, d: true, address: 0x1000 }, 2)).toThrow(/leaf/);
    expect(() => encodeEptEntry({ r: true, memType: 8, address: 0x1000 }, 1)).toThrow(/fit/);
    expect(() => encodeEptEntry({ r: true, address: 2 ** 40 }, 1, 39)).toThrow(/MAXPHYADDR/);
  });

  it('decodes what it encodes, at every level, for random values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.record({ r: fc.boolean(), w: fc.boolean(), x: fc.boolean(), a: fc.boolean(), ux: fc.boolean(), d: fc.boolean(), ignorePat: fc.boolean(), suppressVe: fc.boolean(), memType: fc.integer({ min: 0, max: 7 }) }),
        fc.integer({ min: 0, max: 2 ** 40 - 1 }),
        (level, wantPs, f, frame) => {
          const ps = wantPs && (level === 2 || level === 3);
          const leaf = level === 1 || ps;
          const shift = leaf ? 12 + 9 * (level - 1) : 12;
          const address = Math.floor((frame * 4096) / 2 ** shift) * 2 ** shift;
          const e = leaf ? { ...f, ps, address } : { r: f.r, w: f.w, x: f.x, a: f.a, ux: f.ux, address };
          const { lo, hi } = encodeEptEntry(e, level);
          const d = decodeEptEntry(lo, hi, level);
          expect(d.leaf).toBe(leaf);
          expect(d.address).toBe(address);
          expect(d.r).toBe(f.r);
          expect(d.w).toBe(f.w);
          expect(d.x).toBe(f.x);
          expect(d.present).toBe(f.r || f.w || f.x);
          if (leaf) {
            expect(d.memType).toBe(f.memType);
            expect(d.d).toBe(f.d);
            expect(d.suppressVe).toBe(f.suppressVe);
          }
          // Re-encoding the decoded entry gives the same bits.
          expect(encodeEptEntry(d, level)).toEqual({ lo, hi });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('EPT misconfigurations (SDM Vol. 3C, "EPT Misconfigurations")', () => {
  const noExecOnly = { ...DEFAULT_EPT_CAPS, execOnly: false };
  it('write without read: bits 2:0 = 010b or 110b', () => {
    expect(eptMisconfig(0b010, 0, 1)).toBe(MISCONFIG_WRITE_WITHOUT_READ);
    expect(eptMisconfig(0b110 | 0x1000, 0, 4)).toBe(MISCONFIG_WRITE_WITHOUT_READ);
    expect(eptMisconfig(0b011 | 0x30, 0, 1)).toBe(MISCONFIG_NONE);
  });
  it('execute-only (100b) only without the capability', () => {
    expect(eptMisconfig(0b100 | 0x30, 0, 1, noExecOnly)).toBe(MISCONFIG_EXEC_ONLY);
    expect(eptMisconfig(0b100 | 0x30, 0, 1)).toBe(MISCONFIG_NONE);
  });
  it('reserved memory types 2, 3, 7 in a leaf only', () => {
    for (const t of [2, 3, 7]) {
      expect(eptMisconfig(1 | (t << 3), 0, 1)).toBe(MISCONFIG_MEMTYPE);
      expect(eptMisconfig(1 | 0x80 | (t << 3), 0, 2)).toBe(MISCONFIG_MEMTYPE);
    }
    for (const t of [0, 1, 4, 5, 6]) expect(eptMisconfig(1 | (t << 3), 0, 1)).toBe(MISCONFIG_NONE);
  });
  it('reserved bits: 7:3 in a PML4E, 6:3 in a non-leaf PDE, address bits of large pages, bits 51:MAXPHYADDR', () => {
    expect(eptMisconfig(1 | (1 << 3), 0, 4)).toBe(MISCONFIG_RESERVED_BIT);
    expect(eptMisconfig(1 | 0x80, 0, 4)).toBe(MISCONFIG_RESERVED_BIT); // PS in a PML4E
    expect(eptMisconfig(1 | 0x80, 0, 5)).toBe(MISCONFIG_RESERVED_BIT);
    expect(eptMisconfig(1 | (1 << 6), 0, 2)).toBe(MISCONFIG_RESERVED_BIT);
    expect(eptMisconfig(1 | 0x80 | 0x1000 | 0x30, 0, 2)).toBe(MISCONFIG_RESERVED_BIT); // bit 12 of a 2 MiB leaf
    expect(eptMisconfig(1 | 0x80 | (1 << 29) | 0x30, 0, 3)).toBe(MISCONFIG_RESERVED_BIT); // bit 29 of a 1 GiB leaf
    expect(eptMisconfig(1 | 0x80 | (1 << 30) | 0x30, 0, 3)).toBe(MISCONFIG_NONE);
    expect(eptMisconfig(1 | 0x30, 1 << 7, 1, { ...DEFAULT_EPT_CAPS, maxPhyAddr: 39 })).toBe(MISCONFIG_RESERVED_BIT); // bit 39
    expect(eptMisconfig(1 | 0x30, 1 << 6, 1, { ...DEFAULT_EPT_CAPS, maxPhyAddr: 39 })).toBe(MISCONFIG_NONE); // bit 38
    expect(eptMisconfig(1 | 0x30, 1 << 31, 1)).toBe(MISCONFIG_NONE); // bit 63: suppress #VE, not reserved
    expect(eptMisconfig(1 | 0x80 | 0x30, 0, 3, { ...DEFAULT_EPT_CAPS, pages1G: false })).toBe(MISCONFIG_RESERVED_BIT);
  });
  it('a not-present entry (bits 2:0 = 0) ignores bits 63:3', () => {
    expect(eptMisconfig(0xfffffff8, 0xffffffff, 1)).toBe(MISCONFIG_NONE);
    expect(eptMisconfig(0x38, 0, 4)).toBe(MISCONFIG_NONE);
  });
});

describe('EPTP (SDM Vol. 3C, "Extended-Page-Table Pointer")', () => {
  it('memory type 2:0, walk length − 1 in 5:3, A/D enable bit 6, root address', () => {
    expect(encodeEptp({ root: 0x5000, levels: 4, memType: 6, adEnable: true })).toBe(0x505en);
    expect(encodeEptp({ root: 0x12_3456_7000, levels: 5, memType: 0 })).toBe(0x12_3456_7020n);
    expect(decodeEptp(0x505en)).toEqual({ memType: 6, levels: 4, adEnable: true, sss: false, root: 0x5000 });
    expect(decodeEptp(0x12_3456_7020n)).toMatchObject({ memType: 0, levels: 5, adEnable: false, root: 0x12_3456_7000 });
  });
  it('rejects what VM entry rejects', () => {
    expect(() => decodeEptp(0x5019n)).toThrow(/memType/); // type 1 (WC)
    expect(() => decodeEptp(0x5016n)).toThrow(/walkLength/); // length 2
    expect(() => decodeEptp(0x5026n, { ...DEFAULT_EPT_CAPS, level5: false })).toThrow(/walkLength/);
    expect(() => decodeEptp(0x511en)).toThrow(/11:8/);
    expect(() => decodeEptp(0x100_0000_501en, { ...DEFAULT_EPT_CAPS, maxPhyAddr: 36 })).toThrow(/reserved/);
    expect(() => encodeEptp({ root: 0x5800 })).toThrow(/aligned/);
  });
});

function setup(levels: 4 | 5 = 4): { mem: PhysicalMemory; b: EptBuilder; w: EptWalker } {
  const mem = new PhysicalMemory(4 << 20);
  const b = new EptBuilder(mem, new FrameAllocator(mem, 0x100000, 0x200000), { levels });
  const w = new EptWalker(mem);
  w.load(b.eptp);
  return { mem, b, w };
}

describe('EPT walker', () => {
  it('translates 4 KiB, 2 MiB and 1 GiB pages with 4, 3 and 2 references', () => {
    const { b, w } = setup();
    b.map(0x3000, 0x7_0000_5000, 4096, { r: true, w: true });
    b.map(0x4000_0000, 0x8000_0000, 0x20_0000, { r: true, x: true });
    b.map(0x1_0000_0000, 0x3_c000_0000, 0x4000_0000, { r: true, memType: 0 });
    expect(w.walk(0x3abc, R)).toBe(EPT_OK);
    expect(w.hpa).toBe(0x7_0000_5abc);
    expect(w.refCount).toBe(4);
    expect([...w.refs.subarray(0, 4)]).toEqual([1, 2, 3, 4].reverse().map((l) => b.entryAddress(0x3000, l)));
    expect(w.walk(0x4012_3456, X)).toBe(EPT_OK);
    expect(w.hpa).toBe(0x8012_3456);
    expect(w.refCount).toBe(3);
    expect(w.pageShift).toBe(21);
    expect(w.walk(0x1_2345_6789, R)).toBe(EPT_OK);
    expect(w.hpa).toBe(0x3_e345_6789);
    expect(w.refCount).toBe(2);
    expect(w.memType).toBe(0);
  });

  it('5-level EPT reads five entries', () => {
    const { b, w } = setup(5);
    b.map(0x1_0000_0000_0000, 0x5000, 4096, { r: true });
    expect(w.walk(0x1_0000_0000_0010, R)).toBe(EPT_OK);
    expect(w.hpa).toBe(0x5010);
    expect(w.refCount).toBe(5);
  });

  it('violations carry the access and the rights of the entries used (exit qualification bits 0-5)', () => {
    const { b, w } = setup();
    b.map(0x3000, 0x9000, 4096, { r: true, x: true });
    expect(w.walk(0x3000, W)).toBe(EPT_VIOLATION);
    expect(w.qualification(W, false, false)).toBe(EQ_WRITE | EQ_READABLE | EQ_EXECUTABLE);
    expect(w.qualification(W, true, true)).toBe(0x1aa);
    expect(describeExitQualification(0x1aa)).toEqual(['write', 'readable', 'executable', 'glaValid', 'finalTranslation']);
    // Not present: the AND of the entries used includes the zero entry: bits 3-5 clear.
    expect(w.walk(0x5000, R)).toBe(EPT_VIOLATION);
    expect(w.qualification(R, true, false)).toBe(EQ_READ | EQ_GLA_VALID);
    expect(w.leafLevel).toBe(1);
    expect(w.walk(0x80_0000_0000, X)).toBe(EPT_VIOLATION);
    expect(w.leafLevel).toBe(4);
    expect(w.qualification(X, false, false)).toBe(EQ_FETCH);
    b.protect(0x3000, { r: true, w: true });
    expect(w.walk(0x3000, X)).toBe(EPT_VIOLATION);
    expect(w.qualification(X, true, true)).toBe(EQ_FETCH | EQ_READABLE | EQ_WRITABLE | EQ_GLA_VALID | EQ_FINAL_TRANSLATION);
  });

  it('misconfigurations come from the entry the walk uses, before any permission check', () => {
    const { mem, b, w } = setup();
    b.map(0x3000, 0x9000, 4096, { r: true });
    const pte = b.leafEntryAddress(0x3000);
    mem.write64(pte, 0x9000 | 0b010 | 0x30, 0);
    expect(w.walk(0x3000, R)).toBe(EPT_MISCONFIG);
    expect(w.misconfig).toBe(MISCONFIG_WRITE_WITHOUT_READ);
    expect(w.entryPa).toBe(pte);
    mem.write64(pte, 0x9000 | 0b001 | (7 << 3), 0);
    expect(w.walk(0x3000, W)).toBe(EPT_MISCONFIG);
    expect(w.misconfig).toBe(MISCONFIG_MEMTYPE);
    mem.write64(b.entryAddress(0x3000, 4), mem.readLo(b.entryAddress(0x3000, 4)) | 0x8, 0);
    expect(w.walk(0x3000, R)).toBe(EPT_MISCONFIG);
    expect(w.misconfig).toBe(MISCONFIG_RESERVED_BIT);
    expect(w.leafLevel).toBe(4);
    expect(w.refCount).toBe(1);
  });

  it('sets A on every entry used and D on a write when EPTP enables A/D', () => {
    const mem = new PhysicalMemory(4 << 20);
    const b = new EptBuilder(mem, new FrameAllocator(mem, 0x100000, 0x200000), { adEnable: true });
    const w = new EptWalker(mem);
    w.load(b.eptp);
    expect(w.adEnable).toBe(true);
    b.map(0x3000, 0x9000, 4096, { r: true, w: true });
    expect(w.walk(0x3000, R)).toBe(EPT_OK);
    for (let l = 1; l <= 4; l++) expect(mem.readLo(b.entryAddress(0x3000, l)) & 0x100).toBe(0x100);
    expect(mem.readLo(b.leafEntryAddress(0x3000)) & 0x200).toBe(0);
    expect(w.walk(0x3000, W)).toBe(EPT_OK);
    expect(mem.readLo(b.leafEntryAddress(0x3000)) & 0x200).toBe(0x200);
  });

  it('mode-based execute control: user fetches need bit 10, supervisor fetches bit 2; qualification bit 6', () => {
    const mem = new PhysicalMemory(4 << 20);
    const b = new EptBuilder(mem, new FrameAllocator(mem, 0x100000, 0x200000));
    const w = new EptWalker(mem, { mbec: true });
    w.load(b.eptp);
    b.map(0x3000, 0x9000, 4096, { r: true, ux: true });
    expect(w.walk(0x3000, X, true)).toBe(EPT_OK);
    expect(w.walk(0x3000, X, false)).toBe(EPT_VIOLATION);
    expect(w.qualification(X, false, false)).toBe(EQ_FETCH | EQ_READABLE | EQ_USER_EXECUTABLE);
    // Bit 10 alone makes an entry present under MBEC (execute-only for user mode) ...
    b.map(0x4000, 0xa000, 4096, { ux: true });
    expect(w.walk(0x4000, X, true)).toBe(EPT_OK);
    expect(w.walk(0x4000, R, true)).toBe(EPT_VIOLATION);
    expect(w.qualification(R, false, false)).toBe(EQ_READ | EQ_USER_EXECUTABLE);
    // ... and is ignored without it: not present.
    const plain = new EptWalker(mem);
    plain.load(b.eptp);
    expect(plain.walk(0x4000, X, true)).toBe(EPT_VIOLATION);
    expect(plain.qualification(X, false, false)).toBe(EQ_FETCH);
    expect(decodeEptEntry(mem.readLo(b.leafEntryAddress(0x4000)), 0, 1).present).toBe(false);
    expect(decodeEptEntry(mem.readLo(b.leafEntryAddress(0x4000)), 0, 1, { ...DEFAULT_EPT_CAPS, mbec: true }).present).toBe(true);
    // Without execute-only support, user-execute without read is a misconfiguration.
    expect(new EptWalker(mem, { mbec: true, execOnly: false }).rules.misconfig(0x400 | 0x30, 0, 1)).toBe(MISCONFIG_EXEC_ONLY);
  });

  it('builder refuses conflicts and misalignment with an EptError', () => {
    const { b } = setup();
    b.map(0x20_0000, 0x20_0000, 0x20_0000, { r: true });
    expect(() => b.map(0x20_1000, 0x1000, 4096, { r: true })).toThrow(EptError);
    expect(() => b.map(0x1000, 0x1800, 4096, { r: true })).toThrow(/aligned/);
    expect(() => b.map(0x1000, 0x1000, 4096, {})).toThrow(/at least one/);
    expect(() => b.unmap(0x5000)).toThrow(/not mapped/);
  });
});
