/**
 * The walker against Intel SDM Vol. 3A ch. 4 definitions, one rule per test: the tables are
 * written entry by entry (raw 64-bit values) so each case shows exactly which bit is under test.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/mem/phys.js';
import {
  ACCESS_EXEC as X, ACCESS_READ as R, ACCESS_WRITE as W, PageWalker, RIGHT_NX, RIGHT_U, RIGHT_W, WALK_GP, WALK_OK, WALK_PF,
  accessFault, combineRights, entryRights, pfErrorCode,
} from '../../../src/mem/walker.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';

// Layout: PML5 0x1000 (5-level only), PML4 0x2000, PDPT 0x3000, PD 0x4000, PT 0x5000.
const PML5 = 0x1000, PML4 = 0x2000, PDPT = 0x3000, PD = 0x4000, PT = 0x5000;
const P = 1n, RW = 2n, US = 4n, PWT = 8n, PCD = 16n, A = 32n, D = 64n, PS = 128n, G = 256n, XD = 1n << 63n;
const PRW = P | RW | US; // a fully permissive intermediate entry

let mem: PhysicalMemory;
let w: PageWalker;

const idx = (va: bigint, level: number): bigint => (va >> BigInt(3 + 9 * level)) & 511n;
const set = (table: number, va: bigint, level: number, value: bigint): number => {
  const ea = table + Number(idx(va, level)) * 8;
  mem.writeBig64(ea, value);
  return ea;
};
/** Build the 4 KiB path for va: PML4 → PDPT → PD → PT → pa, with each level's entry given. */
function path4k(va: bigint, pa: bigint, e4 = PRW, e3 = PRW, e2 = PRW, e1 = PRW): void {
  set(PML4, va, 4, BigInt(PDPT) | e4);
  set(PDPT, va, 3, BigInt(PD) | e3);
  set(PD, va, 2, BigInt(PT) | e2);
  set(PT, va, 1, pa | e1);
}
function walk(va: bigint, access: number, user: boolean, cr3 = PML4): number {
  return w.walk(cr3, vaHi(va), vaLo(va), access, user);
}
const refs = (): number[] => Array.from(w.refs.subarray(0, w.refCount));

beforeEach(() => {
  mem = new PhysicalMemory(0x10000);
  w = new PageWalker(mem); // defaults: 4 levels, MAXPHYADDR 52, NXE 1, WP 1, no SMEP/SMAP, no A/D
});

describe('translation (4.5)', () => {
  it('4 KiB page: pa = PTE frame + va[11:0]; refs are the four entries in order', () => {
    const va = 0x0000_7f12_3456_789an;
    path4k(va, 0x8_1234_5000n);
    expect(walk(va, R, false)).toBe(WALK_OK);
    expect(w.pa).toBe(0x8_1234_589a);
    expect(w.frame).toBe(0x8_1234_5000);
    expect(w.pageShift).toBe(12);
    expect(w.leafLevel).toBe(1);
    expect(refs()).toEqual([PML4 + 8 * Number(idx(va, 4)), PDPT + 8 * Number(idx(va, 3)), PD + 8 * Number(idx(va, 2)), PT + 8 * Number(idx(va, 1))]);
    expect(w.leafEntryPa).toBe(refs()[3]);
  });

  it('2 MiB page: pa = PDE bits 51:21 + va[20:0]; PAT (bit 12) is not address', () => {
    const va = 0x4030_1234n;
    set(PML4, va, 4, BigInt(PDPT) | PRW);
    set(PDPT, va, 3, BigInt(PD) | PRW);
    set(PD, va, 2, 0x7_4000_0000n | (1n << 12n) | PS | PRW);
    expect(walk(va, R, true)).toBe(WALK_OK);
    expect(w.pa).toBe(0x7_4010_1234);
    expect(w.pageShift).toBe(21);
    expect(w.memType).toBe(4); // PAT set, PCD/PWT clear
    expect(w.refCount).toBe(3);
  });

  it('1 GiB page: pa = PDPTE bits 51:30 + va[29:0]; PAT bit 12 masked', () => {
    const va = 0xffff_8000_3fff_fffen;
    set(PML4, va, 4, BigInt(PDPT) | PRW);
    set(PDPT, va, 3, 0xf_ffff_c000_0000n | (1n << 12n) | PS | G | PWT | P);
    expect(walk(va, R, false)).toBe(WALK_OK);
    expect(w.pa).toBe(0xf_ffff_ffff_fffe);
    expect(w.pageShift).toBe(30);
    expect(w.global).toBe(1);
    expect(w.memType).toBe(5);
    expect(w.refCount).toBe(2);
  });

  it('ignores the PCID in CR3 bits 11:0', () => {
    path4k(0x1000n, 0x9000n);
    expect(w.walk(PML4 | 0xabc, 0, 0x1234, R, false)).toBe(WALK_OK);
    expect(w.pa).toBe(0x9234);
    expect(w.refs[0]).toBe(PML4);
  });

  it('reports the leaf protection key, memory type and G', () => {
    path4k(0x5000n, 0x6000n, PRW, PRW, PRW, PRW | G | PCD | (1n << 7n) | (0xbn << 59n));
    expect(walk(0x5000n, R, false)).toBe(WALK_OK);
    expect([w.pkey, w.memType, w.global, w.dirty]).toEqual([0xb, 6, 1, 0]);
  });

  it('upper-half addresses index the upper half of the PML4', () => {
    const va = 0xffff_ffff_ffff_f000n;
    path4k(va, 0x7000n);
    expect(walk(va | 0x10n, R, false)).toBe(WALK_OK);
    expect(w.pa).toBe(0x7010);
    expect(w.refs[0]).toBe(PML4 + 511 * 8);
  });
});

describe('canonical check (#GP, no entry read)', () => {
  it('4-level: bits 63:47 must equal bit 47', () => {
    path4k(0x1000n, 0x9000n);
    for (const va of [0x0000_8000_0000_0000n, 0xffff_7fff_ffff_f000n, 0x8000_0000_0000_0000n, 0x0001_0000_0000_0000n]) {
      expect(walk(va, R, false)).toBe(WALK_GP);
      expect(w.refCount).toBe(0);
    }
  });
  it('5-level: bits 63:56 must equal bit 56; 57-bit addresses walk from the PML5', () => {
    w.config.levels = 5;
    const va = 0x00ab_c000_0000_1000n; // non-canonical with 4 levels
    set(PML5, va, 5, BigInt(PML4) | PRW);
    path4k(va, 0x9000n);
    expect(walk(va, R, false, PML5)).toBe(WALK_OK);
    expect(w.pa).toBe(0x9000);
    expect(refs()[0]).toBe(PML5 + 0xab * 8);
    expect(refs()).toHaveLength(5);
    expect(walk(0x0100_0000_0000_0000n, R, false, PML5)).toBe(WALK_GP);
    expect(walk(0xfe00_0000_0000_0000n, R, false, PML5)).toBe(WALK_GP);
    expect(w.refCount).toBe(0);
    w.config.levels = 4;
    expect(walk(va, R, false)).toBe(WALK_GP);
  });
});

describe('not-present faults (P = 0 in the error code)', () => {
  it('at each level, with W/R and U/S describing the access', () => {
    const va = 0x1234_5000n;
    for (let missing = 4; missing >= 1; missing--) {
      mem.u8.fill(0);
      path4k(va, 0x9000n);
      const table = [0, PT, PD, PDPT, PML4][missing]!;
      set(table, va, missing, 0x0ffe_fffen); // everything but P: all ignored
      expect(walk(va, W, true)).toBe(WALK_PF);
      expect(w.errorCode).toBe(0b110);
      expect(w.refCount).toBe(5 - missing);
      expect(w.leafLevel).toBe(missing);
      expect(walk(va, R, false)).toBe(WALK_PF);
      expect(w.errorCode).toBe(0);
    }
  });
  it('I/D only for fetches and only when NXE = 1 or SMEP = 1', () => {
    w.config.nxe = true;
    expect(walk(0x1000n, X, false)).toBe(WALK_PF);
    expect(w.errorCode).toBe(0x10);
    w.config.nxe = false;
    expect(walk(0x1000n, X, true)).toBe(WALK_PF);
    expect(w.errorCode).toBe(0x04);
    w.config.smep = true;
    expect(walk(0x1000n, X, true)).toBe(WALK_PF);
    expect(w.errorCode).toBe(0x14);
  });
});

describe('reserved bits (P | RSVD)', () => {
  const va = 0x0040_2000n;
  const rsvd = (access: number, user: boolean): number => {
    expect(walk(va, access, user)).toBe(WALK_PF);
    return w.errorCode;
  };
  it('bits 51:MAXPHYADDR at every level', () => {
    w.config.maxPhyAddr = 40;
    for (let level = 4; level >= 1; level--) {
      mem.u8.fill(0);
      path4k(va, 0x9000n);
      const table = [0, PT, PD, PDPT, PML4][level]!;
      const ea = table + Number(idx(va, level)) * 8;
      mem.writeBig64(ea, mem.read64(ea) | (1n << 40n));
      expect(rsvd(R, false)).toBe(0b1001);
      expect(w.leafLevel).toBe(level);
      mem.writeBig64(ea, mem.read64(ea) ^ (1n << 40n));
      expect(walk(va, R, false)).toBe(WALK_OK);
    }
    mem.u8.fill(0);
    path4k(va, 1n << 39n); // bit 39 is an address bit with MAXPHYADDR 40
    expect(walk(va, R, false)).toBe(WALK_OK);
    expect(w.pa).toBe(2 ** 39);
    w.config.maxPhyAddr = 52;
    mem.u8.fill(0);
    path4k(va, 0x8_0000_0000_0000n); // bit 51 with MAXPHYADDR 52 is an address bit
    expect(walk(va, R, false)).toBe(WALK_OK);
    expect(w.pa).toBe(2 ** 51);
  });
  it('XD when NXE = 0 at any level (a table entry too), with the access bits', () => {
    w.config.nxe = false;
    path4k(va, 0x9000n, PRW | XD);
    expect(rsvd(W, true)).toBe(0b1111);
    expect(w.refCount).toBe(1);
    w.config.nxe = true;
    expect(walk(va, W, true)).toBe(WALK_OK);
  });
  it('PS in a PML4E and in a PML5E', () => {
    path4k(va, 0x9000n, PRW | PS);
    expect(rsvd(R, true)).toBe(0b1101);
    expect(w.leafLevel).toBe(4);
    w.config.levels = 5;
    set(PML5, va, 5, BigInt(PML4) | PRW | PS);
    expect(walk(va, R, false, PML5)).toBe(WALK_PF);
    expect(w.errorCode).toBe(0b1001);
    expect(w.leafLevel).toBe(5);
  });
  it('bits 20:13 of a 2 MiB leaf (not bit 12, not bit 21)', () => {
    set(PML4, va, 4, BigInt(PDPT) | PRW);
    set(PDPT, va, 3, BigInt(PD) | PRW);
    for (let b = 12n; b <= 21n; b++) {
      set(PD, va, 2, 0x4000_0000n | (1n << b) | PS | PRW);
      const st = walk(va, R, false);
      if (b === 12n || b === 21n) expect(st, `bit ${b}`).toBe(WALK_OK);
      else {
        expect(st, `bit ${b}`).toBe(WALK_PF);
        expect(w.errorCode).toBe(0b1001);
      }
    }
    // The same bits in a PDE that references a PT are address bits.
    set(PD, va, 2, BigInt(PT) | (1n << 13n) | PRW);
    expect(walk(va, R, false)).toBe(WALK_PF);
    expect(w.errorCode).toBe(0); // PT at 0x7000 is empty: not present, no RSVD
  });
  it('bits 29:13 of a 1 GiB leaf (not bit 12, not bit 30)', () => {
    set(PML4, va, 4, BigInt(PDPT) | PRW);
    for (let b = 12n; b <= 30n; b++) {
      set(PDPT, va, 3, 0x8000_0000n | (1n << b) | PS | PRW);
      expect(walk(va, R, false), `bit ${b}`).toBe(b === 12n || b === 30n ? WALK_OK : WALK_PF);
      if (w.errorCode) expect(w.errorCode).toBe(0b1001);
    }
  });
  it('only in present entries, and ahead of any rights check', () => {
    path4k(va, 0x9000n, PRW, PRW, PRW, (1n << 45n) | RW); // not present: reserved bits ignored
    w.config.maxPhyAddr = 40;
    expect(rsvd(R, false)).toBe(0);
    path4k(va, 0x9000n, PRW, PRW, P, P | (1n << 45n)); // supervisor-only and read-only too
    expect(rsvd(W, true)).toBe(0b1111);
  });
  it('bits 62:52 and 11:9 are ignored, never reserved', () => {
    path4k(va, 0x9000n, PRW | (0x7ffn << 52n) | 0xf40n, PRW | (0x7ffn << 52n), PRW | 0xe00n, PRW | (0x7fn << 52n) | 0xe00n);
    w.config.maxPhyAddr = 36;
    expect(walk(va, R, true)).toBe(WALK_OK);
    expect(w.pa).toBe(0x9000);
  });
});

describe('access rights (4.6)', () => {
  const va = 0x7000_0000n;
  const fault = (access: number, user: boolean): number => (walk(va, access, user) === WALK_PF ? w.errorCode : -1);

  it('U/S must be 1 at every level for a user access (a supervisor table above makes the page supervisor)', () => {
    for (let level = 4; level >= 1; level--) {
      const e = [PRW, PRW, PRW, PRW];
      e[4 - level] = P | RW;
      path4k(va, 0x9000n, e[0], e[1], e[2], e[3]);
      expect(fault(R, true), `U/S=0 at level ${level}`).toBe(0b101);
      expect(fault(W, true)).toBe(0b111);
      expect(fault(X, true)).toBe(0b10101);
      expect(fault(R, false)).toBe(-1);
    }
  });

  it('R/W must be 1 at every level for user writes; WP decides supervisor writes', () => {
    for (let level = 4; level >= 1; level--) {
      const e = [PRW, PRW, PRW, PRW];
      e[4 - level] = P | US;
      path4k(va, 0x9000n, e[0], e[1], e[2], e[3]);
      expect(fault(W, true)).toBe(0b111);
      expect(fault(R, true)).toBe(-1);
      w.config.wp = true;
      expect(fault(W, false)).toBe(0b011);
      w.config.wp = false;
      expect(fault(W, false)).toBe(-1); // WP = 0: supervisor writes to read-only pages are allowed
      w.config.wp = true;
    }
  });

  it('supervisor writes to read-only user pages: WP = 0 allows them unless SMAP blocks the access', () => {
    path4k(va, 0x9000n, PRW, PRW, PRW, P | US);
    w.config.wp = false;
    expect(fault(W, false)).toBe(-1);
    w.config.smap = true;
    expect(fault(W, false)).toBe(0b011);
    w.config.ac = true;
    expect(fault(W, false)).toBe(-1);
    w.config.wp = true;
    expect(fault(W, false)).toBe(0b011);
  });

  it('XD at any level forbids fetches when NXE = 1, reads and writes are unaffected', () => {
    for (let level = 4; level >= 1; level--) {
      const e = [PRW, PRW, PRW, PRW];
      e[4 - level] = PRW | XD;
      path4k(va, 0x9000n, e[0], e[1], e[2], e[3]);
      expect(fault(X, true)).toBe(0b10101);
      expect(fault(X, false)).toBe(0b10001);
      expect(fault(R, true)).toBe(-1);
      expect(fault(W, false)).toBe(-1);
      expect(w.rights & RIGHT_NX).toBe(RIGHT_NX);
    }
  });

  it('SMEP forbids supervisor fetches from user pages (I set even with NXE = 0)', () => {
    path4k(va, 0x9000n);
    w.config.nxe = false;
    expect(fault(X, false)).toBe(-1);
    w.config.smep = true;
    expect(fault(X, false)).toBe(0b10001);
    expect(fault(X, true)).toBe(-1); // user fetches are not SMEP's business
    expect(fault(R, false)).toBe(-1);
    path4k(va, 0x9000n, PRW, PRW, PRW, P | RW); // supervisor page
    expect(fault(X, false)).toBe(-1);
  });

  it('SMAP forbids supervisor reads/writes of user pages when AC = 0; fetches and user accesses are not affected', () => {
    path4k(va, 0x9000n);
    w.config.smap = true;
    expect(fault(R, false)).toBe(0b001);
    expect(fault(W, false)).toBe(0b011);
    expect(fault(X, false)).toBe(-1);
    expect(fault(R, true)).toBe(-1);
    w.config.ac = true;
    expect(fault(R, false)).toBe(-1);
    expect(fault(W, false)).toBe(-1);
    path4k(va, 0x9000n, PRW, PRW, P | RW, PRW); // supervisor page (U/S = 0 at the PDE)
    w.config.ac = false;
    expect(fault(R, false)).toBe(-1);
  });

  it('rights are combined: W and U ANDed, XD ORed', () => {
    path4k(va, 0x9000n, PRW, P | US | XD, PRW, P | RW | US);
    expect(walk(va, R, true)).toBe(WALK_OK);
    expect(w.rights).toBe(RIGHT_U | RIGHT_NX);
    expect(combineRights(RIGHT_W | RIGHT_U, entryRights(0x7, 0))).toBe(RIGHT_W | RIGHT_U);
    expect(combineRights(RIGHT_W | RIGHT_U, entryRights(0x5, 0x8000_0000))).toBe(RIGHT_U | RIGHT_NX);
    expect(combineRights(RIGHT_NX, entryRights(0x7, 0))).toBe(RIGHT_NX);
    expect(accessFault(RIGHT_U, W, false, false, false, false, false, true)).toBe(false);
    expect(pfErrorCode(X, true, false, false)).toBe(4);
  });
});

describe('accessed and dirty flags (4.8)', () => {
  const va = 0x0060_1000n;
  it('are left alone by default', () => {
    path4k(va, 0x9000n);
    const before = Buffer.from(mem.u8.slice());
    expect(walk(va, W, true)).toBe(WALK_OK);
    expect(Buffer.from(mem.u8).equals(before)).toBe(true);
    expect(w.dirty).toBe(0);
  });
  it('with updateAD: A at every level used, D in the leaf only on a write', () => {
    w.config.updateAD = true;
    path4k(va, 0x9000n);
    expect(walk(va, R, true)).toBe(WALK_OK);
    for (const r of refs()) expect(mem.read64(r) & (A | D)).toBe(A);
    expect(walk(va, W, true)).toBe(WALK_OK);
    expect(w.dirty).toBe(1);
    expect(mem.read64(refs()[3]!) & (A | D)).toBe(A | D);
    for (const r of refs().slice(0, 3)) expect(mem.read64(r) & D).toBe(0n); // D is a leaf bit only
  });
  it('D in a 2 MiB leaf (the PDE)', () => {
    w.config.updateAD = true;
    set(PML4, va, 4, BigInt(PDPT) | PRW);
    set(PDPT, va, 3, BigInt(PD) | PRW);
    const pde = set(PD, va, 2, 0x20_0000n | PS | PRW);
    expect(walk(va, W, false)).toBe(WALK_OK);
    expect(mem.read64(pde)).toBe(0x20_0000n | PS | PRW | A | D);
  });
  it('never on a faulting walk', () => {
    w.config.updateAD = true;
    path4k(va, 0x9000n, PRW, PRW, PRW, P | US); // read-only
    const before = Buffer.from(mem.u8.slice());
    expect(walk(va, W, true)).toBe(WALK_PF);
    expect(Buffer.from(mem.u8).equals(before)).toBe(true);
  });
});
