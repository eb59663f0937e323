/**
 * The translation engine: TLBs (tlb.ts) in front of a PageWalker (walker.ts), with the control
 * state that decides what the TLB may hold and what each instruction drops (SDM Vol. 3A 4.10):
 * CR3 and its PCID, CR4.PGE / PCIDE / SMEP / SMAP, and the VPID of the running (virtual) CPU.
 *
 * A hit must give the answer the walk would give. The TLB caches the EFFECTIVE rights of the walk
 * (RIGHT_W / RIGHT_U / RIGHT_NX) and whether the page is known dirty; each hit checks them against
 * the access and the walker's current WP / SMEP / SMAP / AC through a small table. When the cached
 * entry does not plainly allow the access — a write to a read-only or clean page, a user access to
 * a supervisor page, a fetch from an NX page — the engine walks the tables again, as x86 does: the
 * walk sets D (walker.config.updateAD), refills the entry, or raises the fault (and a fault drops
 * the stale entry: SDM 4.10.4.2). Faults are never cached.
 *
 * Hot path: translate() and translateBatch() allocate nothing; results go to fields.
 */
import { ACCESS_WRITE, PageWalker, WALK_GP, WALK_OK, accessFault } from './walker.js';
import { Tlb, TLB_DIRTY, sizeIndexOfShift, type TlbGeometry, type TlbOptions, type TlbStats } from './tlb.js';
import { translateBatch } from './batch.js';
import { PAGE_SIZES } from './format.js';

export { KIND_USER, batchStatus, batchErrorCode, encodeFault } from './batch.js';

const MEMO_MASK = 1023;

/**
 * okTable[(sig * 8 + access * 2 + user) * 16 + flags] = 1 when an entry with `flags`
 * (RIGHT_W | RIGHT_U | RIGHT_NX | TLB_DIRTY) may serve the access without a walk, under the
 * control bits sig = WP | SMEP << 1 | SMAP << 2 | AC << 3 (SDM 4.6).
 */
const OK_TABLE = (() => {
  const t = new Uint8Array(16 * 8 * 16);
  for (let sig = 0; sig < 16; sig++) {
    for (let access = 0; access < 3; access++) {
      for (let user = 0; user < 2; user++) {
        for (let f = 0; f < 16; f++) {
          // The walker's own rule (accessFault) on the cached effective rights. NXE = 1: an
          // entry with XD set can only have been cached with NXE = 1 (it is reserved otherwise).
          let ok = !accessFault(f & 7, access, user === 1, (sig & 1) !== 0, (sig & 2) !== 0, (sig & 4) !== 0, (sig & 8) !== 0, true);
          // A write must find the page dirty; otherwise the walk sets D.
          if (access === ACCESS_WRITE && (f & TLB_DIRTY) === 0) ok = false;
          t[(sig * 8 + access * 2 + user) * 16 + f] = ok ? 1 : 0;
        }
      }
    }
  }
  return t;
})();

export interface MmuOptions extends TlbOptions {
  /** false: every translation walks (no TLB), for comparisons. Default true. */
  tlb?: boolean;
  /** Initial CR4.PGE (default true) and CR4.PCIDE (default false). */
  pge?: boolean;
  pcide?: boolean;
}

export interface Cr4Bits {
  pge?: boolean;
  pcide?: boolean;
  smep?: boolean;
  smap?: boolean;
}

export class Mmu {
  readonly tlb: Tlb;
  readonly tlbEnabled: boolean;

  // ---- control state ----
  /** CR3's table base (physical; the PCID is kept apart in `pcid`). */
  cr3 = 0;
  /** Current PCID (always 0 when CR4.PCIDE = 0); the TLB holds it (the one place the context lives). */
  get pcid(): number {
    return this.tlb.pcid;
  }
  get vpid(): number {
    return this.tlb.vpid;
  }
  pge: boolean;
  pcide: boolean;

  // ---- results of the last translate ----
  pa = 0;
  errorCode = 0;
  pageShift = 12;
  /** 1 when the last translate was served by the TLB without a walk. */
  hit = 0;

  /**
   * translateBatch's and translate()'s hint: the L1 4K entry last found for (VPN mod 1024). Only
   * a hint, always checked against the entry's tags and context; 0 (a valid index) when unset.
   */
  readonly memo = new Int32Array(MEMO_MASK + 1);
  /** OK_TABLE, reached through the instance on the per-call path (see translate()). */
  private readonly okTable = OK_TABLE;
  /** Faults counted by the batch loops (batch.ts). */
  faultCount = 0;

  /** Page walks made (each TLB miss or refill, and every translation with the TLB off). */
  walks = 0;
  /** Translations requested. */
  translations = 0;

  constructor(
    readonly walker: PageWalker,
    geometry: TlbGeometry,
    opts: MmuOptions = {},
  ) {
    this.tlb = new Tlb(geometry, opts);
    this.tlbEnabled = opts.tlb ?? true;
    this.pge = opts.pge ?? true;
    this.pcide = opts.pcide ?? false;
  }

  /** Counters of the TLB levels (a snapshot). */
  get stats(): TlbStats {
    return this.tlb.stats();
  }

  /** The control bits the TLB's rights check depends on: WP | SMEP << 1 | SMAP << 2 | AC << 3. */
  sig(): number {
    const c = this.walker.config;
    return (c.wp ? 1 : 0) | (c.smep ? 2 : 0) | (c.smap ? 4 : 0) | (c.ac ? 8 : 0);
  }

  /** Bit f set when an entry with flags f may serve (access, user) under sig without a walk. */
  okMask(sig: number, access: number, user: number): number {
    const row = (sig * 8 + access * 2 + user) * 16;
    let m = 0;
    for (let f = 0; f < 16; f++) m |= OK_TABLE[row + f]! << f;
    return m;
  }

  /**
   * Translate (vaHi:vaLo) for an access kind (ACCESS_*) at user or supervisor privilege.
   * Returns WALK_OK (pa, pageShift set), WALK_PF (errorCode set) or WALK_GP.
   *
   * Small enough for V8 to inline into a caller's loop: the memo's entry, when it is this page's
   * L1 4K entry and grants the access, answers here; anything else goes to translateSig.
   */
  translate(vaHi: number, vaLo: number, access: number, user: boolean): number {
    // Kept under V8's inlining limit (460 bytes of bytecode): the rest is in translateSig.
    const c = this.walker.config;
    // CR0.WP, CR4.SMEP/SMAP and EFLAGS.AC only change what supervisor accesses may do (OK_TABLE's
    // user rows are the same for every sig: a test checks it), so a user access skips reading them.
    const sig = user ? 0 : +c.wp | (+c.smep << 1) | (+c.smap << 2) | (+c.ac << 3);
    const u = +user;
    const tlb = this.tlb;
    const top = (vaHi | 0) >> (c.levels === 5 ? 24 : 15);
    if ((top === 0 || top === -1) && this.tlbEnabled) {
      const ent = tlb.ent;
      const i = this.memo[(vaLo >>> 12) & 1023]!;
      const e = i << 3;
      const ctx = ent[e + 2]!;
      // tlbTagLo / tlbTagHi of a 4K page (the memo only names L1 4K entries); an access outside
      // 0..2 finds 0 (or undefined) in OK_TABLE and goes the long way.
      if (ent[e]! === ((vaLo >>> 12) | (vaHi << 20)) && ent[e + 1]! === ((vaHi & 0x1ffffff) >>> 12) << 2 && (ctx === tlb.curCtx || ctx === tlb.curGlobal) && this.okTable[(sig * 8 + access * 2 + u) * 16 + ent[e + 3]!] === 1) {
        if (tlb.policyCode === 0) tlb.entF[(i << 2) + 2] = ++tlb.clock;
        tlb.counters[0]!++; // statSlot(0, SIZE_4K, ST_HITS)
        this.translations++;
        this.pa = tlb.entF[(i << 2) + 3]! + (vaLo & 0xfff);
        this.pageShift = 12;
        this.errorCode = 0;
        this.hit = 1;
        return 0; // WALK_OK (a literal: a module binding is loaded from its cell at each use)
      }
    }
    return this.translateSig(vaHi, vaLo, access, u, sig, false);
  }

  /** Whether OK_TABLE's rows for user accesses are the same under every control-bit setting (translate() relies on it). */
  static userRowsIgnoreControlBits(): boolean {
    for (let sig = 1; sig < 16; sig++) {
      for (let access = 0; access < 3; access++) {
        for (let f = 0; f < 16; f++) if (OK_TABLE[(sig * 8 + access * 2 + 1) * 16 + f] !== OK_TABLE[(access * 2 + 1) * 16 + f]) return false;
      }
    }
    return true;
  }

  /** translate() with the control bits given (the batch loops' entry to every rule). */
  translateSig(vaHi: number, vaLo: number, access: number, user: number, sig: number, l1FourKMissed: boolean): number {
    this.translations++;
    if (this.tlbEnabled) {
      // A non-canonical address must not hit an entry (its low 57 bits may name a cached page).
      const top = vaHi >> (this.walker.config.levels === 5 ? 24 : 15);
      if (top === 0 || top === -1) {
        const tlb = this.tlb;
        const i = tlb.lookupFrom(vaHi, vaLo, l1FourKMissed);
        if (i >= 0) {
          if (OK_TABLE[(sig * 8 + access * 2 + user) * 16 + tlb.flagsOf(i)] === 1) {
            const shift = tlb.hitShift;
            const off = vaLo & PAGE_SIZES[sizeIndexOfShift(shift)]!.offsetMask;
            this.pa = tlb.frameOf(i) + off;
            this.pageShift = shift;
            this.errorCode = 0;
            this.hit = 1;
            if (shift === 12 && tlb.hitLevel === 1) this.memo[(vaLo >>> 12) & 1023] = i;
            return WALK_OK;
          }
          return this.walkAndFill(vaHi, vaLo, access, user, true);
        }
        return this.walkAndFill(vaHi, vaLo, access, user, false);
      }
    }
    return this.walkAndFill(vaHi, vaLo, access, user, false);
  }

  private walkAndFill(vaHi: number, vaLo: number, access: number, user: number, wasHit: boolean): number {
    this.hit = 0;
    const st = this.walker.walk(this.cr3, vaHi, vaLo, access, user === 1);
    return this.afterWalk(st, vaHi, vaLo, access, wasHit);
  }

  /** What follows a walk (status st) for (vaHi:vaLo): counts, results, the TLB fill or the fault's invalidation. */
  afterWalk(st: number, vaHi: number, vaLo: number, access: number, wasHit: boolean): number {
    const w = this.walker;
    this.hit = 0;
    // A #GP for a non-canonical address reads no entry: not a walk.
    if (st !== WALK_GP) this.walks++;
    if (st !== WALK_OK) {
      this.errorCode = w.errorCode;
      this.pa = 0;
      if (this.tlbEnabled && st !== WALK_GP) {
        // A page fault drops what the TLB held for the address (SDM 4.10.4.2).
        if (wasHit) this.tlb.invalidatePage(vaHi, vaLo, this.pcid, true);
        else this.tlb.recordMiss(0);
      }
      return st;
    }
    this.pa = w.pa;
    this.pageShift = w.pageShift;
    this.errorCode = 0;
    if (this.tlbEnabled) {
      const s = sizeIndexOfShift(w.pageShift);
      // The processor sets D on a successful write whether or not the model writes it back
      // (updateAD off), so the entry is dirty after one.
      const flags = (w.rights & 7) | (w.dirty !== 0 || access === ACCESS_WRITE ? TLB_DIRTY : 0);
      if (!wasHit) this.tlb.recordMiss(s);
      const i = this.tlb.fill(vaHi, vaLo, s, w.frame, flags, this.pge && w.global !== 0);
      // The memo names L1 4K entries only (translate() counts a memo hit as one).
      if (s === 0 && i >= 0 && this.tlb.l1ForSize[0]! >= 0) this.memo[(vaLo >>> 12) & 1023] = i;
    }
    return WALK_OK;
  }

  /**
   * Translate many addresses. `vas` holds (lo, hi) pairs — the little-endian halves of each
   * 64-bit VA, so a BigUint64Array's buffer can be viewed as the input directly. `out[i]` gets
   * the physical address, or encodeFault(status, errorCode) < 0 for a fault (batchStatus /
   * batchErrorCode decode it). Every address uses `access` and `user`, unless `kinds` is given:
   * then kinds[i] = ACCESS_* | (KIND_USER when at CPL 3). Returns the number of faults. The
   * TLB, its counters and `walks` end up exactly as after the same translate() calls one by one
   * (property tests check it); the per-translation fields (pa, errorCode, hit) are not
   * meaningful after a batch. Bad sizes are an MmuError.
   */
  translateBatch(vas: Uint32Array, out: Float64Array, access = 0, user = false, kinds?: Uint8Array, count = vas.length >>> 1): number {
    return translateBatch(this, vas, out, access, user, kinds, count);
  }

  /**
   * MOV to CR3: `base` is the new root table's physical address, `pcid` its PCID field (bits
   * 11:0, used only with CR4.PCIDE), `noFlush` its bit 63. With PCIDE, the non-global entries of
   * the new PCID are dropped unless noFlush; without PCIDE, every non-global entry (they all
   * belong to PCID 0). Bit 63 set without PCIDE is a reserved bit: #GP, nothing changes.
   * Returns WALK_OK or WALK_GP.
   */
  movCr3(base: number, pcid = 0, noFlush = false): number {
    if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff) return WALK_GP;
    if (noFlush && !this.pcide) return WALK_GP;
    this.cr3 = base;
    this.tlb.setContext(this.pcide ? pcid : 0, this.vpid);
    if (!noFlush) this.tlb.flushPcid(this.pcid);
    return WALK_OK;
  }

  /** INVLPG: drops the page for the current PCID and global entries for it; a no-op for a non-canonical address. */
  invlpg(vaHi: number, vaLo: number): void {
    const top = vaHi >> (this.walker.config.levels === 5 ? 24 : 15);
    if (top !== 0 && top !== -1) return;
    this.tlb.invlpg(vaHi, vaLo);
  }

  /**
   * INVPCID type 0 (individual address, except globals), 1 (single context, except globals),
   * 2 (all contexts including globals), 3 (all contexts except globals). #GP (WALK_GP, nothing
   * dropped) for a type above 3, a PCID above 4095, a non-canonical address with type 0, or a
   * non-zero PCID with type 0/1 while CR4.PCIDE = 0 (SDM Vol. 2, INVPCID).
   */
  invpcid(type: number, pcid: number, vaHi = 0, vaLo = 0): number {
    if (!(type >= 0 && type <= 3 && Number.isInteger(type))) return WALK_GP;
    if (!(pcid >= 0 && pcid <= 0xfff && Number.isInteger(pcid))) return WALK_GP;
    if (type <= 1 && !this.pcide && pcid !== 0) return WALK_GP;
    switch (type) {
      case 0: {
        const top = vaHi >> (this.walker.config.levels === 5 ? 24 : 15);
        if (top !== 0 && top !== -1) return WALK_GP;
        this.tlb.invalidatePage(vaHi, vaLo, pcid, false);
        break;
      }
      case 1:
        this.tlb.flushPcid(pcid);
        break;
      case 2:
        this.tlb.flushVpid(this.vpid);
        break;
      default:
        this.tlb.flushNonGlobal();
    }
    return WALK_OK;
  }

  /**
   * MOV to CR4 (only the bits the TLB cares about; omitted bits keep their value). Changing PGE,
   * or clearing PCIDE, drops every entry (globals too); setting SMEP drops the current PCID's
   * entries (SDM 4.10.4.1). SMEP/SMAP go to the walker's config. Setting PCIDE needs the PCID
   * field of CR3 to be 0, which holds here since it is 0 whenever PCIDE is clear.
   */
  setCr4(bits: Cr4Bits): number {
    const pge = bits.pge ?? this.pge;
    const pcide = bits.pcide ?? this.pcide;
    const smep = bits.smep ?? this.walker.config.smep;
    let flushAll = false;
    if (pge !== this.pge) flushAll = true;
    if (this.pcide && !pcide) flushAll = true;
    const smepSet = smep && !this.walker.config.smep;
    this.pge = pge;
    this.pcide = pcide;
    this.walker.config.smep = smep;
    if (bits.smap !== undefined) this.walker.config.smap = bits.smap;
    if (!pcide && this.pcid !== 0) this.tlb.setContext(0, this.vpid);
    if (flushAll) this.tlb.flushVpid(this.vpid);
    else if (smepSet) this.tlb.flushPcid(this.pcid);
    return WALK_OK;
  }

  /**
   * Switch to another virtual CPU's tag (VM entry/exit with VPIDs enabled): entries of other
   * VPIDs stay, unseen. `flushVpid` drops one VPID's entries (INVVPID single-context).
   */
  setVpid(vpid: number): void {
    this.tlb.setContext(this.pcid, vpid);
  }

  flushVpid(vpid: number): void {
    this.tlb.flushVpid(vpid);
  }
}
