/**
 * Shadow paging: the VMM keeps tables mapping guest-virtual straight to host-physical, points
 * the real CR3 at them, and lets the ordinary hardware walker (PageWalker over host memory) and
 * TLB (the Mmu) work as on bare metal.
 *
 *  - Shadow entries are filled lazily: a hardware page fault is first shown to the VMM, which
 *    walks the guest's tables itself (a software NestedWalker over the guest tables and the
 *    VMM's guest-physical → host-physical map, the same EPT-format table nested paging uses).
 *    If the guest's tables allow the access, the fault was "hidden": the VMM writes the shadow
 *    entry and the access is retried. If they do not, the fault is the guest's own and is
 *    injected with the guest's error code. If the guest-physical address is not backed, it is
 *    a host fault (reported like an EPT violation).
 *  - Every guest page-table frame is write-protected: shadow entries mapping it are read-only,
 *    and the guest's stores to it (GuestMemory.write64) trap. The VMM emulates the store and
 *    drops exactly the shadow entries whose guest walk read the written entry (a reverse map
 *    entry → shadow pages), with an INVLPG of each on the real TLB. A store that links a new
 *    table makes that table (and what it links) write-protected too.
 *  - Guest MOV to CR3 and INVLPG trap: CR3 selects (or creates) the shadow tables kept for that
 *    guest root; INVLPG drops the shadow entry.
 *
 * Shadow leaves are 4 KiB even under a guest's large page, so write protection works per frame.
 */
import { VirtkitError } from '../../errors.js';
import type { FrameAllocator } from '../phys.js';
import { LO_P, LO_PS, entryFrame } from '../pte.js';
import { PageTableBuilder } from '../builder.js';
import { joinVa, vaHi as hiOf, vaLo as loOf } from '../va.js';
import { Mmu } from '../mmu.js';
import type { TlbGeometry } from '../tlb.js';
import { ACCESS_WRITE, RIGHT_NX, RIGHT_U, RIGHT_W, WALK_OK, WALK_PF } from '../walker.js';
import { EQ_EXECUTABLE, EQ_WRITABLE } from './ept.js';
import { NestedWalker } from './nested.js';
import { CountingWalker, type Vm } from './vm.js';

/** VM exits by cause. */
export interface ShadowExits {
  /** Guest stores to its own page tables (emulated). */
  ptWrite: number;
  /** Hardware faults the guest never sees: the shadow entry was missing and got filled. */
  hiddenPf: number;
  /** Page faults injected into the guest (its tables forbid the access). */
  guestPf: number;
  /** Guest MOV to CR3. */
  cr3: number;
  /** Guest INVLPG. */
  invlpg: number;
  /** Accesses to guest-physical addresses the host does not back (as EPT violations). */
  hostFault: number;
}

interface ShadowContext {
  builder: PageTableBuilder;
  /** Guest entry (guest-physical address) → shadow pages filled from walks that read it. */
  byEntry: Map<number, Set<bigint>>;
  /** Guest-physical 4 KiB frame → shadow pages mapping it (to write-protect it later). */
  byFrame: Map<number, Set<bigint>>;
}

export class ShadowError extends VirtkitError {
  override name = 'ShadowError';
}

export interface ShadowOptions {
  /** Host frames for the shadow tables (outside the guest's RAM). */
  allocator: FrameAllocator;
  /** TLB geometry for the real Mmu; omit to walk on every translation. */
  tlb?: TlbGeometry;
  /** VPID the VM runs with (default 1). */
  vpid?: number;
}

export class ShadowPaging {
  readonly exits: ShadowExits = { ptWrite: 0, hiddenPf: 0, guestPf: 0, cr3: 0, invlpg: 0, hostFault: 0 };
  /** The hardware walker, over the shadow tables in host memory. */
  readonly hw: CountingWalker;
  /** The hardware TLB in front of it (when a geometry was given). */
  readonly mmu: Mmu | null;
  /** The VMM's software walk of the guest's tables. */
  readonly soft: NestedWalker;
  /** Guest-physical frames known to hold guest page tables, with their level. */
  private readonly tableLevel = new Map<number, number>();
  private readonly contexts = new Map<number, ShadowContext>();
  private ctx: ShadowContext | null = null;
  guestCr3 = 0;

  // ---- results of the last translate ----
  pa = 0;
  errorCode = 0;
  faultGpa = 0;
  exitQualification = 0;
  /** 1 when the last translate was a guest store to a write-protected page table (emulated). */
  trapped = 0;
  /** TLB lookups that hit, and lookups made (retries after hidden faults included). */
  tlbHits = 0;
  tlbLookups = 0;

  constructor(
    readonly vm: Vm,
    private readonly opts: ShadowOptions,
  ) {
    const cfg = { ...vm.guestConfig, updateAD: false };
    this.hw = new CountingWalker(vm.host, cfg);
    this.mmu = opts.tlb ? new Mmu(this.hw, opts.tlb) : null;
    this.mmu?.setVpid(opts.vpid ?? 1);
    this.soft = new NestedWalker(vm.host, vm.eptWalker, cfg);
    vm.guestMem.trap = (pa, lo, hi) => this.guestTableWrite(pa, lo, hi);
  }

  get levels(): 4 | 5 {
    return this.hw.config.levels;
  }

  /** Bytes of shadow tables (every cached guest root). */
  get tableBytes(): number {
    let n = 0;
    for (const c of this.contexts.values()) n += c.builder.tableFrames().length;
    return n * 4096;
  }

  /** The real CR3: the current shadow root. */
  get shadowCr3(): number {
    if (this.ctx === null) throw new ShadowError('shadow paging: the guest has not loaded CR3 yet');
    return this.ctx.builder.cr3;
  }

  // ---- traps ----

  /** Guest MOV to CR3 (a VM exit). */
  setGuestCr3(gpa: number): void {
    this.exits.cr3++;
    const root = gpa - (gpa % 4096);
    this.guestCr3 = root;
    let ctx = this.contexts.get(root);
    if (ctx === undefined) {
      ctx = { builder: new PageTableBuilder(this.vm.host, { levels: this.levels, allocator: this.opts.allocator }), byEntry: new Map(), byFrame: new Map() };
      this.contexts.set(root, ctx);
    }
    this.ctx = ctx;
    this.protectTables(root, this.levels);
    if (this.mmu) this.mmu.movCr3(ctx.builder.cr3);
  }

  /** Guest INVLPG (a VM exit). */
  invlpg(va: bigint): void {
    this.exits.invlpg++;
    if (this.ctx !== null) this.dropShadow(this.ctx, pageOf(va), true);
  }

  /** A guest store to a write-protected page-table frame (called by GuestMemory). */
  private guestTableWrite(pa: number, lo: number, hi: number): void {
    this.exits.ptWrite++;
    this.emulateTableWrite(pa, lo, hi);
  }

  /** The VMM's emulation of a trapped store: do it, then bring the shadow up to date. */
  private emulateTableWrite(pa: number, lo: number, hi: number): void {
    const gm = this.vm.guestMem;
    gm.rawWrite64(pa, lo, hi);
    for (const ctx of this.contexts.values()) {
      const pages = ctx.byEntry.get(pa);
      if (pages === undefined) continue;
      ctx.byEntry.delete(pa);
      for (const p of pages) this.dropShadow(ctx, p, ctx === this.ctx);
    }
    const level = this.tableLevel.get(pa - (pa % 4096));
    if (level !== undefined && level > 1 && (lo & LO_P) !== 0 && (lo & LO_PS) === 0) {
      this.protectTables(entryFrame(lo, hi, level), level - 1);
    }
  }

  /** Write-protect a guest table frame and the tables it links (once each). */
  private protectTables(frame: number, level: number): void {
    const gm = this.vm.guestMem;
    if (this.tableLevel.has(frame) || frame + 4096 > gm.size) return;
    this.tableLevel.set(frame, level);
    gm.protectedFrames.add(frame);
    // Shadow pages mapping this frame were writable: make them refill read-only.
    for (const ctx of this.contexts.values()) {
      const pages = ctx.byFrame.get(frame);
      if (pages === undefined) continue;
      ctx.byFrame.delete(frame);
      for (const p of pages) this.dropShadow(ctx, p, ctx === this.ctx);
    }
    if (level === 1) return;
    for (let i = 0; i < 512; i++) {
      const ea = frame + i * 8;
      const lo = gm.readLo(ea);
      // PS: a large page at levels 2-3, a reserved bit (the walk faults) at levels 4-5.
      if ((lo & LO_P) === 0 || (lo & LO_PS) !== 0) continue;
      this.protectTables(entryFrame(lo, gm.readHi(ea), level), level - 1);
    }
  }

  private dropShadow(ctx: ShadowContext, page: bigint, current: boolean): void {
    const b = ctx.builder;
    const ea = b.leafEntryAddress(page);
    if (ea >= 0 && (this.vm.host.readLo(ea) & LO_P) !== 0 && b.entryAddress(page, 1) === ea) b.unmap(page);
    if (current && this.mmu) this.mmu.invlpg(hiOf(page), loOf(page));
  }

  // ---- translation ----

  private hwTranslate(vaHi: number, vaLo: number, access: number, user: boolean): number {
    this.tlbLookups++;
    if (this.mmu) {
      const st = this.mmu.translate(vaHi, vaLo, access, user);
      this.tlbHits += this.mmu.hit;
      this.pa = this.mmu.pa;
      this.errorCode = this.mmu.errorCode;
      return st;
    }
    const st = this.hw.walk(this.shadowCr3, vaHi, vaLo, access, user);
    this.pa = this.hw.pa;
    this.errorCode = this.hw.errorCode;
    return st;
  }

  /**
   * A guest access to (vaHi:vaLo): the hardware translation over the shadow tables, with the
   * VMM stepping in on faults. Returns WALK_OK (pa = host-physical; trapped = 1 for a store to
   * a guest page table, which the VMM emulates), WALK_PF (injected; errorCode is the guest's),
   * WALK_GP, or NESTED_EPT_VIOLATION / NESTED_EPT_MISCONFIG for an unbacked guest-physical
   * address (faultGpa, exitQualification as nested paging would report).
   */
  translate(vaHi: number, vaLo: number, access: number, user: boolean): number {
    this.trapped = 0;
    const ctx = this.ctx;
    if (ctx === null) throw new ShadowError('shadow paging: the guest has not loaded CR3 yet');
    let st = this.hwTranslate(vaHi, vaLo, access, user);
    if (st === WALK_OK || st !== WALK_PF) return st;
    // A hardware #PF: a VM exit; the VMM walks the guest's tables.
    const soft = this.soft;
    const sst = soft.walk(this.guestCr3, vaHi, vaLo, access, user);
    if (sst === WALK_PF) {
      this.exits.guestPf++;
      this.errorCode = soft.errorCode;
      return WALK_PF;
    }
    if (sst !== WALK_OK) {
      this.exits.hostFault++;
      this.faultGpa = soft.faultGpa;
      this.exitQualification = soft.exitQualification;
      return sst;
    }
    const gFrame = soft.gpa - (soft.gpa % 4096);
    if (access === ACCESS_WRITE && this.vm.guestMem.protectedFrames.has(gFrame)) {
      this.exits.ptWrite++;
      this.trapped = 1;
      this.pa = soft.pa;
      return WALK_OK;
    }
    this.exits.hiddenPf++;
    this.fill(ctx, vaHi, vaLo, soft);
    st = this.hwTranslate(vaHi, vaLo, access, user);
    if (st !== WALK_OK) throw new ShadowError(`shadow paging: the access still faults after filling the shadow entry for ${joinVa(vaHi, vaLo).toString(16)}`);
    return st;
  }

  /**
   * A guest 8-byte store at (vaHi:vaLo) (8-byte aligned), as the guest's instruction makes it:
   * translated through the shadow like any access; a store into a guest page table traps
   * (one VM exit) and is emulated, so the shadow follows. Returns translate()'s status.
   */
  store64(vaHi: number, vaLo: number, lo: number, hi: number, user: boolean): number {
    const st = this.translate(vaHi, vaLo, ACCESS_WRITE, user);
    if (st !== WALK_OK) return st;
    if (this.trapped === 1) this.emulateTableWrite(this.soft.gpa, lo, hi);
    else this.vm.host.write64(this.pa, lo, hi);
    return st;
  }

  private fill(ctx: ShadowContext, vaHi: number, vaLo: number, soft: NestedWalker): void {
    const page = joinVa(vaHi, (vaLo & ~0xfff) >>> 0);
    const hpa = soft.pa - (soft.pa % 4096);
    const gFrame = soft.gpa - (soft.gpa % 4096);
    const eq = this.vm.eptWalker.rightsQual;
    const r = soft.rights;
    const b = ctx.builder;
    const ea = b.leafEntryAddress(page);
    if (ea >= 0 && (this.vm.host.readLo(ea) & LO_P) !== 0) b.unmap(page);
    b.map(page, hpa, 4096, {
      w: (r & RIGHT_W) !== 0 && (eq & EQ_WRITABLE) !== 0 && !this.vm.guestMem.protectedFrames.has(gFrame),
      u: (r & RIGHT_U) !== 0,
      nx: this.hw.config.nxe && ((r & RIGHT_NX) !== 0 || (eq & EQ_EXECUTABLE) === 0),
    });
    // Remember which guest entries this shadow page came from, and which frame it maps.
    for (let i = 0; i < soft.guestRefCount; i++) {
      const gEa = soft.guestEntryGpas[i]!;
      let set = ctx.byEntry.get(gEa);
      if (set === undefined) ctx.byEntry.set(gEa, (set = new Set()));
      set.add(page);
    }
    let fs = ctx.byFrame.get(gFrame);
    if (fs === undefined) ctx.byFrame.set(gFrame, (fs = new Set()));
    fs.add(page);
  }
}

function pageOf(va: bigint): bigint {
  return BigInt.asUintN(64, va) & ~0xfffn;
}
