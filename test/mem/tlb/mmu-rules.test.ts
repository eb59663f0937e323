/**
 * Hand-built cases for each invalidation rule of SDM Vol. 3A 4.10.4.1 (INVLPG, MOV to CR3 with
 * and without PCIDE and no-flush, INVPCID types 0–3, MOV to CR4 PGE/PCIDE/SMEP), for global
 * entries surviving a CR3 write, for VPID tagging, and for permissions honoured on TLB hits.
 *
 * The way to see whether the TLB holds a translation: change the page tables WITHOUT telling the
 * TLB. A cached translation keeps answering with the old frame; a walk finds the new one.
 */
import { describe, expect, it, beforeEach } from 'vitest';
import { PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder, type PageFlags } from '../../../src/mem/builder.js';
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PageWalker, PFEC_P, PFEC_W, PFEC_U, WALK_GP, WALK_OK, WALK_PF } from '../../../src/mem/walker.js';
import { Mmu } from '../../../src/mem/mmu.js';
import { simpleGeometry } from '../../../src/mem/tlb.js';
import { MmuError } from '../../../src/errors.js';
import { SKYLAKE } from '../../../src/mem/tlb-presets.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';

const A = 0x400000n; // non-global user page
const B = 0x401000n; // another non-global page
const G = 0xffff800000001000n; // global kernel page
const OLD = 0x200000;
const NEW = 0x300000;

let mem: PhysicalMemory;
let pt: PageTableBuilder;
let walker: PageWalker;
let mmu: Mmu;

function setup(opts: { pcide?: boolean; pge?: boolean } = {}): void {
  mem = new PhysicalMemory(4 * 1024 * 1024);
  pt = new PageTableBuilder(mem, { levels: 4, tablesAt: 0x100000, tablesEnd: 0x200000 });
  pt.map(A, OLD, 4096, { w: true, u: true, d: true });
  pt.map(B, OLD + 0x1000, 4096, { w: true, u: true, d: true });
  pt.map(G, OLD + 0x2000, 4096, { w: true, g: true, d: true });
  walker = new PageWalker(mem, { levels: 4 });
  mmu = new Mmu(walker, SKYLAKE, { pcide: opts.pcide ?? true, pge: opts.pge ?? true });
  expect(mmu.movCr3(pt.cr3, 1)).toBe(WALK_OK);
}

function tr(va: bigint, access = ACCESS_READ, user = false): number {
  return mmu.translate(vaHi(va), vaLo(va), access, user);
}

/** Translate va and say where the answer came from: 'tlb' (old frame, no walk) or 'walk'. */
function source(va: bigint): 'tlb' | 'walk' {
  const walks = mmu.walks;
  expect(tr(va)).toBe(WALK_OK);
  return mmu.walks === walks ? 'tlb' : 'walk';
}

/** Remap every test page to NEW frames without telling the TLB. */
function remapBehindTlbsBack(): void {
  for (const [va, off, flags] of [
    [A, 0, { w: true, u: true, d: true }],
    [B, 0x1000, { w: true, u: true, d: true }],
    [G, 0x2000, { w: true, g: true, d: true }],
  ] as [bigint, number, PageFlags][]) {
    pt.unmap(va);
    pt.map(va, NEW + off, 4096, flags);
  }
}

function fillAll(): void {
  for (const va of [A, B, G]) tr(va);
}

describe('the TLB serves repeated translations', () => {
  beforeEach(() => setup());
  it('a second translation is a hit with the cached frame', () => {
    expect(source(A)).toBe('walk');
    expect(mmu.pa).toBe(OLD);
    remapBehindTlbsBack();
    expect(source(A + 0x123n)).toBe('tlb');
    expect(mmu.pa).toBe(OLD + 0x123); // stale, as on hardware, until invalidated
    expect(mmu.walks).toBe(1);
  });
});

describe('INVLPG', () => {
  beforeEach(() => setup());
  it('drops the page for the current PCID only', () => {
    fillAll();
    remapBehindTlbsBack();
    mmu.invlpg(vaHi(A), vaLo(A));
    expect(source(A)).toBe('walk');
    expect(mmu.pa).toBe(NEW);
    expect(source(B)).toBe('tlb');
  });
  it('drops global entries for the page whatever PCID filled them', () => {
    fillAll(); // G filled under PCID 1
    mmu.movCr3(pt.cr3, 2, true);
    remapBehindTlbsBack();
    mmu.invlpg(vaHi(G), vaLo(G));
    mmu.movCr3(pt.cr3, 1, true);
    expect(source(G)).toBe('walk');
    expect(mmu.pa).toBe(NEW + 0x2000);
  });
  it('leaves the same page of another PCID alone', () => {
    fillAll(); // PCID 1
    mmu.movCr3(pt.cr3, 2, true);
    mmu.invlpg(vaHi(A), vaLo(A));
    mmu.movCr3(pt.cr3, 1, true);
    remapBehindTlbsBack();
    expect(source(A)).toBe('tlb');
  });
  it('does nothing for a non-canonical address, even one whose low 57 bits name a cached page', () => {
    fillAll();
    remapBehindTlbsBack();
    const bad = 0x7fff800000001000n; // G's low 57 bits, bits 63:47 not all equal
    mmu.invlpg(vaHi(bad), vaLo(bad));
    expect(source(G)).toBe('tlb');
    // and such an address never hits: it is a #GP
    expect(tr(bad)).toBe(WALK_GP);
  });
});

describe('MOV to CR3', () => {
  it('without PCIDE drops every non-global entry; globals survive', () => {
    setup({ pcide: false });
    fillAll();
    remapBehindTlbsBack();
    expect(mmu.movCr3(pt.cr3)).toBe(WALK_OK);
    expect(source(A)).toBe('walk');
    expect(source(B)).toBe('walk');
    expect(source(G)).toBe('tlb');
    expect(mmu.pa).toBe(OLD + 0x2000);
  });
  it('without PCIDE the PCID field is ignored (the context stays PCID 0)', () => {
    setup({ pcide: false });
    fillAll();
    mmu.movCr3(pt.cr3, 5);
    expect(mmu.pcid).toBe(0);
    expect(mmu.tlb.pcid).toBe(0);
  });
  it('without PCIDE bit 63 (no-flush) is reserved: #GP, nothing flushed', () => {
    setup({ pcide: false });
    fillAll();
    remapBehindTlbsBack();
    expect(mmu.movCr3(pt.cr3, 0, true)).toBe(WALK_GP);
    expect(source(A)).toBe('tlb');
  });
  it('with PGE off the G bit is ignored, so a CR3 write drops "global" pages too', () => {
    setup({ pcide: false, pge: false });
    fillAll();
    remapBehindTlbsBack();
    mmu.movCr3(pt.cr3);
    expect(source(G)).toBe('walk');
  });
  it('with PCIDE drops the non-global entries of the NEW PCID only; globals survive', () => {
    setup();
    fillAll(); // PCID 1
    mmu.movCr3(pt.cr3, 2);
    fillAll(); // PCID 2 (G is a hit: global)
    expect(mmu.walks).toBe(5);
    remapBehindTlbsBack();
    mmu.movCr3(pt.cr3, 1); // flushes PCID 1's A and B
    expect(source(A)).toBe('walk');
    expect(source(G)).toBe('tlb');
    mmu.movCr3(pt.cr3, 2, true);
    expect(source(B)).toBe('tlb'); // PCID 2's entry untouched
    expect(mmu.pa).toBe(OLD + 0x1000);
  });
  it('with PCIDE and bit 63 set flushes nothing', () => {
    setup();
    fillAll();
    remapBehindTlbsBack();
    expect(mmu.movCr3(pt.cr3, 1, true)).toBe(WALK_OK);
    expect(source(A)).toBe('tlb');
    expect(source(B)).toBe('tlb');
  });
});

describe('INVPCID', () => {
  beforeEach(() => {
    setup();
    fillAll(); // PCID 1
    mmu.movCr3(pt.cr3, 2);
    fillAll(); // PCID 2
    remapBehindTlbsBack();
  });
  it('type 0 drops one address of one PCID, not its global entry, not other PCIDs', () => {
    expect(mmu.invpcid(0, 1, vaHi(A), vaLo(A))).toBe(WALK_OK);
    expect(mmu.invpcid(0, 1, vaHi(G), vaLo(G))).toBe(WALK_OK);
    expect(source(A)).toBe('tlb'); // PCID 2's A
    expect(source(G)).toBe('tlb'); // global kept by type 0
    mmu.movCr3(pt.cr3, 1, true);
    expect(source(A)).toBe('walk');
    expect(source(B)).toBe('tlb');
  });
  it('type 0 with a non-canonical address is #GP', () => {
    const bad = 0x0000800000000000n;
    expect(mmu.invpcid(0, 1, vaHi(bad), vaLo(bad))).toBe(WALK_GP);
  });
  it('type 1 drops one PCID except globals', () => {
    expect(mmu.invpcid(1, 2)).toBe(WALK_OK);
    expect(source(A)).toBe('walk');
    expect(source(B)).toBe('walk');
    expect(source(G)).toBe('tlb');
    mmu.movCr3(pt.cr3, 1, true);
    expect(source(B)).toBe('tlb');
  });
  it('type 2 drops every context, globals included', () => {
    expect(mmu.invpcid(2, 0)).toBe(WALK_OK);
    expect(source(G)).toBe('walk');
    expect(source(A)).toBe('walk');
    mmu.movCr3(pt.cr3, 1, true);
    expect(source(B)).toBe('walk');
  });
  it('type 3 drops every context except globals', () => {
    expect(mmu.invpcid(3, 0)).toBe(WALK_OK);
    expect(source(G)).toBe('tlb');
    expect(source(A)).toBe('walk');
    mmu.movCr3(pt.cr3, 1, true);
    expect(source(B)).toBe('walk');
  });
  it('bad type, PCID beyond 12 bits: #GP', () => {
    expect(mmu.invpcid(4, 0)).toBe(WALK_GP);
    expect(mmu.invpcid(1, 4096)).toBe(WALK_GP);
    expect(source(A)).toBe('tlb');
  });
  it('a non-zero PCID with type 0 or 1 while PCIDE = 0: #GP', () => {
    setup({ pcide: false });
    expect(mmu.invpcid(1, 3)).toBe(WALK_GP);
    expect(mmu.invpcid(0, 3, 0, 0x400000)).toBe(WALK_GP);
    expect(mmu.invpcid(1, 0)).toBe(WALK_OK);
  });
});

describe('MOV to CR4', () => {
  beforeEach(() => {
    setup();
    fillAll();
    remapBehindTlbsBack();
  });
  it('toggling PGE drops everything, globals included', () => {
    mmu.setCr4({ pge: false });
    expect(source(G)).toBe('walk');
    expect(source(A)).toBe('walk');
    remapBehindTlbsBack();
    mmu.setCr4({ pge: true });
    expect(source(G)).toBe('walk');
  });
  it('writing PGE unchanged drops nothing', () => {
    mmu.setCr4({ pge: true });
    expect(source(G)).toBe('tlb');
    expect(source(A)).toBe('tlb');
  });
  it('clearing PCIDE drops everything and the context becomes PCID 0', () => {
    mmu.setCr4({ pcide: false });
    expect(mmu.pcid).toBe(0);
    expect(source(G)).toBe('walk');
  });
  it('setting PCIDE drops nothing', () => {
    setup({ pcide: false });
    fillAll();
    remapBehindTlbsBack();
    mmu.setCr4({ pcide: true });
    expect(source(A)).toBe('tlb');
  });
  it('setting SMEP drops the current PCID\'s entries', () => {
    mmu.setCr4({ smep: true });
    expect(walker.config.smep).toBe(true);
    expect(source(A)).toBe('walk');
    expect(source(G)).toBe('tlb');
  });
});

describe('VPID tags', () => {
  beforeEach(() => setup());
  it('one VPID never sees another\'s entries, and flushVpid drops only its own', () => {
    fillAll(); // VPID 0 (host), PCID 1
    mmu.setVpid(1);
    expect(source(A)).toBe('walk');
    expect(source(G)).toBe('walk'); // globals are per VPID
    mmu.setVpid(2);
    fillAll();
    remapBehindTlbsBack();
    mmu.movCr3(pt.cr3, 1); // a guest CR3 write flushes in its own VPID only
    mmu.setVpid(1);
    expect(source(A)).toBe('tlb');
    expect(mmu.pa).toBe(OLD);
    mmu.flushVpid(1);
    expect(source(A)).toBe('walk');
    mmu.setVpid(0);
    expect(source(B)).toBe('tlb');
    expect(mmu.pa).toBe(OLD + 0x1000);
  });
  it('INVPCID all-contexts in a guest leaves the host alone', () => {
    fillAll();
    mmu.setVpid(7);
    fillAll();
    remapBehindTlbsBack();
    mmu.invpcid(2, 0);
    expect(source(G)).toBe('walk');
    mmu.setVpid(0);
    expect(source(G)).toBe('tlb');
  });
});

describe('permissions are honoured on hits', () => {
  it('a read-only page: read hits, a write walks and faults, and the fault drops the entry', () => {
    setup();
    pt.map(0x500000n, 0x280000, 4096, { u: true, d: true });
    expect(tr(0x500000n, ACCESS_READ, true)).toBe(WALK_OK);
    expect(source(0x500000n)).toBe('tlb');
    const walks = mmu.walks;
    expect(tr(0x500000n, ACCESS_WRITE, true)).toBe(WALK_PF);
    expect(mmu.errorCode).toBe(PFEC_P | PFEC_W | PFEC_U);
    expect(mmu.walks).toBe(walks + 1);
    expect(source(0x500000n)).toBe('walk');
  });
  it('a write to a clean page walks once, sets D (updateAD), then hits', () => {
    setup();
    walker.config.updateAD = true;
    pt.map(0x500000n, 0x280000, 4096, { w: true, u: true });
    const pte = pt.leafEntryAddress(0x500000n);
    expect(tr(0x500000n, ACCESS_READ, true)).toBe(WALK_OK);
    expect((mem.readLo(pte) >>> 6) & 1).toBe(0);
    const walks = mmu.walks;
    expect(tr(0x500000n, ACCESS_WRITE, true)).toBe(WALK_OK);
    expect(mmu.walks).toBe(walks + 1);
    expect((mem.readLo(pte) >>> 6) & 1).toBe(1);
    expect(tr(0x500008n, ACCESS_WRITE, true)).toBe(WALK_OK);
    expect(mmu.walks).toBe(walks + 1);
    expect(mmu.hit).toBe(1);
    expect(mmu.tlb.validEntries).toBe(2); // one L1 + one STLB entry, refilled in place
  });
  it('CR0.WP, SMAP (with EFLAGS.AC) and SMEP changed after the fill still decide', () => {
    setup();
    pt.map(0x500000n, 0x280000, 4096, { u: true, d: true }); // read-only user page
    walker.config.wp = false;
    expect(tr(0x500000n, ACCESS_WRITE, false)).toBe(WALK_OK); // supervisor write, WP = 0
    expect(tr(0x500000n, ACCESS_WRITE, false)).toBe(WALK_OK);
    expect(mmu.hit).toBe(1);
    walker.config.wp = true;
    expect(tr(0x500000n, ACCESS_WRITE, false)).toBe(WALK_PF);
    expect(tr(0x500000n, ACCESS_READ, false)).toBe(WALK_OK);
    walker.config.smap = true;
    expect(tr(0x500000n, ACCESS_READ, false)).toBe(WALK_PF);
    walker.config.ac = true;
    expect(tr(0x500000n, ACCESS_READ, false)).toBe(WALK_OK);
    expect(tr(0x500000n, ACCESS_EXEC, false)).toBe(WALK_OK);
    expect(tr(0x500000n, ACCESS_EXEC, false)).toBe(WALK_OK);
    expect(mmu.hit).toBe(1);
    walker.config.smep = true; // set behind the Mmu's back: the hit path still checks it
    expect(tr(0x500000n, ACCESS_EXEC, false)).toBe(WALK_PF);
  });
  it('a user access to a supervisor page cached by a kernel access faults', () => {
    setup();
    expect(tr(G, ACCESS_READ, false)).toBe(WALK_OK);
    expect(tr(G, ACCESS_READ, true)).toBe(WALK_PF);
    expect(mmu.errorCode).toBe(PFEC_P | PFEC_U);
  });
  it('an NX page does not serve a fetch from the TLB', () => {
    setup();
    pt.map(0x600000n, 0x280000, 4096, { nx: true });
    expect(tr(0x600000n)).toBe(WALK_OK);
    expect(tr(0x600000n, ACCESS_EXEC)).toBe(WALK_PF);
  });
});

describe('the per-call hit path', () => {
  it('may skip CR0.WP / CR4.SMEP / CR4.SMAP / EFLAGS.AC for user accesses: they change supervisor accesses only (SDM 4.6.1)', () => {
    expect(Mmu.userRowsIgnoreControlBits()).toBe(true);
  });
});

describe('translateBatch argument errors', () => {
  it('are MmuErrors naming the call and the sizes, not RangeErrors', () => {
    const mmu = new Mmu(new PageWalker(new PhysicalMemory(0x10000)), simpleGeometry(16, 4, 12));
    const err = (f: () => void): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = err(() => mmu.translateBatch(new Uint32Array(4), new Float64Array(1)));
    expect(e1).toBeInstanceOf(MmuError);
    expect(e1).not.toBeInstanceOf(RangeError);
    expect((e1 as MmuError).message).toBe('translateBatch: 2 addresses need 4 halves (have 4), 2 result slots (have 1)');
    expect(err(() => mmu.translateBatch(new Uint32Array(4), new Float64Array(2), 0, false, new Uint8Array(1)))).toBeInstanceOf(MmuError);
    expect(err(() => mmu.translateBatch(new Uint32Array(4), new Float64Array(2), 3))).toBeInstanceOf(MmuError);
    expect(err(() => mmu.translateBatch(new Uint32Array(4), new Float64Array(2), 0, false, undefined, 3))).toBeInstanceOf(MmuError);
  });
});
