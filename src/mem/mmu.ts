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
import { ACCESS_EXEC, ACCESS_WRITE, PageWalker, RIGHT_NX, RIGHT_U, RIGHT_W, WALK_GP, WALK_OK } from './walker.js';
import { Tlb, TLB_DIRTY, sizeIndexOfShift, type TlbGeometry, type TlbOptions, type TlbStats } from './tlb.js';


const MEMO_MASK = 1023;

/** translateBatch kinds[] bit: the access is made at CPL 3. */
export const KIND_USER = 4;

/**
 * The batch API's result encoding in one Float64Array slot: a physical address (≥ 0) on success,
 * or -((status << 16) | errorCode) (< 0) on a fault.
 */
export function batchStatus(v: number): number {
  return v >= 0 ? WALK_OK : (-v >>> 16) & 0xff;
}
export function batchErrorCode(v: number): number {
  return v >= 0 ? 0 : -v & 0xffff;
}

/**
 * okTable[(sig * 8 + access * 2 + user) * 16 + flags] = 1 when an entry with `flags`
 * (RIGHT_W | RIGHT_U | RIGHT_NX | TLB_DIRTY) may serve the access without a walk, under the
 * control bits sig = WP | SMEP << 1 | SMAP << 2 | AC << 3 (SDM 4.6).
 */
const OK_TABLE = (() => {
  const t = new Uint8Array(16 * 8 * 16);
  for (let sig = 0; sig < 16; sig++) {
    const wp = (sig & 1) !== 0;
    const smep = (sig & 2) !== 0;
    const smap = (sig & 4) !== 0;
    const ac = (sig & 8) !== 0;
    for (let access = 0; access < 3; access++) {
      for (let user = 0; user < 2; user++) {
        for (let f = 0; f < 16; f++) {
          const w = (f & RIGHT_W) !== 0;
          const u = (f & RIGHT_U) !== 0;
          const nx = (f & RIGHT_NX) !== 0;
          const dirty = (f & TLB_DIRTY) !== 0;
          let ok: boolean;
          if (access === ACCESS_EXEC) {
            ok = !nx && (user ? u : !(u && smep));
          } else if (user) {
            ok = u && (access !== ACCESS_WRITE || w);
          } else {
            // Supervisor data access: SMAP forbids user pages unless EFLAGS.AC; writes to
            // read-only pages fault only with CR0.WP.
            ok = !(u && smap && !ac) && (access !== ACCESS_WRITE || w || !wp);
          }
          // A write must find the page dirty; otherwise the walk sets D.
          if (access === ACCESS_WRITE && !dirty) ok = false;
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
  /** Current PCID (always 0 when CR4.PCIDE = 0). */
  pcid = 0;
  vpid = 0;
  pge: boolean;
  pcide: boolean;

  // ---- results of the last translate ----
  pa = 0;
  errorCode = 0;
  pageShift = 12;
  /** 1 when the last translate was served by the TLB without a walk. */
  hit = 0;

  /** translateBatch's hint: L1 4K entry index last found for (VPN mod MEMO_SIZE), or -1. */
  private readonly memo = new Int32Array(MEMO_MASK + 1).fill(-1);

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

  private sig(): number {
    const c = this.walker.config;
    return (c.wp ? 1 : 0) | (c.smep ? 2 : 0) | (c.smap ? 4 : 0) | (c.ac ? 8 : 0);
  }

  /**
   * Translate (vaHi:vaLo) for an access kind (ACCESS_*) at user or supervisor privilege.
   * Returns WALK_OK (pa, pageShift set), WALK_PF (errorCode set) or WALK_GP.
   */
  translate(vaHi: number, vaLo: number, access: number, user: boolean): number {
    return this.translateSig(vaHi, vaLo, access, user ? 1 : 0, this.sig(), false);
  }

  private translateSig(vaHi: number, vaLo: number, access: number, user: number, sig: number, l1FourKMissed: boolean): number {
    this.translations++;
    if (this.tlbEnabled) {
      // A non-canonical address must not hit an entry (its low 57 bits may name a cached page).
      const top = vaHi >> (this.walker.config.levels === 5 ? 24 : 15);
      if (top === 0 || top === -1) {
        const tlb = this.tlb;
        const i = tlb.lookupFrom(vaHi, vaLo, l1FourKMissed);
        if (i >= 0) {
          if (OK_TABLE[(sig * 8 + access * 2 + user) * 16 + tlb.flags[i]!] === 1) {
            const shift = tlb.hitShift;
            const off = shift === 12 ? vaLo & 0xfff : shift === 21 ? vaLo & 0x1fffff : vaLo & 0x3fffffff;
            this.pa = tlb.frame[i]! + off;
            this.pageShift = shift;
            this.errorCode = 0;
            this.hit = 1;
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
  private afterWalk(st: number, vaHi: number, vaLo: number, access: number, wasHit: boolean): number {
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
      this.tlb.fill(vaHi, vaLo, s, w.frame, flags, this.pge && w.global !== 0);
    }
    return WALK_OK;
  }

  /**
   * Translate many addresses. `vas` holds (lo, hi) pairs — the little-endian halves of each
   * 64-bit VA, so a BigUint64Array's buffer can be viewed as the input directly. `out[i]` gets
   * the physical address, or -((status << 16) | errorCode) for a fault (batchStatus /
   * batchErrorCode decode it). Every address uses `access` and `user`, unless `kinds` is given:
   * then kinds[i] = ACCESS_* | (KIND_USER when at CPL 3). Returns the number of faults. The
   * TLB, its counters and `walks` end up exactly as after the same translate() calls one by one
   * (a property test checks it); the per-translation fields (pa, errorCode, hit) are not
   * meaningful after a batch.
   */
  translateBatch(vas: Uint32Array, out: Float64Array, access = 0, user = false, kinds?: Uint8Array, count = vas.length >>> 1): number {
    if (count * 2 > vas.length || count > out.length || (kinds !== undefined && count > kinds.length)) {
      throw new RangeError(`translateBatch: ${count} addresses need ${count * 2} halves, ${count} results${kinds ? ' and kinds' : ''}`);
    }
    const sig = this.sig();
    const u = user ? 1 : 0;
    let faults = 0;
    const perAddr = kinds !== undefined;
    // The hit path for 4K pages in the L1 4K array, inlined with everything in locals: one
    // set index, one key compare per way, one context compare, one rights-table load. Anything
    // else (another page size, the STLB, a miss, rights the entry cannot grant) takes the
    // general path, which starts over from a clean state (the failed probe changed nothing).
    const tlb = this.tlb;
    const a4 = tlb.l1ForSize[0]!;
    const fast = this.tlbEnabled && a4 >= 0 && tlb.arrMask[a4]! >= 0;
    const keys = tlb.key;
    const ctxs = tlb.ctx;
    const frames = tlb.frame;
    const flags = tlb.flags;
    const stamps = tlb.stamp;
    const lru = tlb.policyCode === 0;
    const base4 = fast ? tlb.arrBase[a4]! : 0;
    const ways4 = fast ? tlb.arrWays[a4]! : 0;
    const mask4 = fast ? tlb.arrMask[a4]! : 0;
    const canonShift = this.walker.config.levels === 5 ? 24 : 15;
    const memo = this.memo;
    // batchUniform inlines the miss path too when the L1 4K array is the TLB's only array (the issue's
    // 64-entry 4-way TLB): then a miss there is a miss everywhere (lookupFrom would probe
    // nothing else), and a 4K walk fills the set just searched, where no entry for the page is
    // visible to this context, so place() would take the first invalid way or the oldest stamp.
    // Random replacement and global fills keep the general path (place() has them).
    const inlineMiss = fast && tlb.arrayCount === 1 && tlb.l1ForSize[1]! < 0 && tlb.l1ForSize[2]! < 0 && tlb.policyCode !== 2;
    const walker = this.walker;
    // PageWalker.walk takes int32 halves (no boxing of halves ≥ 2^31); subclasses get them as given.
    const plainWalker = Object.getPrototypeOf(walker) === PageWalker.prototype;
    if (fast && !perAddr) return this.batchUniform(vas, out, count, access, u, sig, inlineMiss, plainWalker);
    if (!this.tlbEnabled) return this.batchNoTlb(vas, out, count, access, u, kinds, plainWalker);
    let fastHits = 0;
    let clock = tlb.clock; // kept in a local on the hit path; synced around the general path
    for (let n = 0; n < count; n++) {
      let acc = access;
      let usr = u;
      if (perAddr) {
        const k = kinds[n]!;
        acc = k & 3;
        usr = (k & KIND_USER) !== 0 ? 1 : 0;
      }
      const lo = vas[2 * n]!;
      const hi = vas[2 * n + 1]!;
      let missed4K = false;
      if (fast) {
        const top = hi >> canonShift;
        if (top === 0 || top === -1) {
          const hi57 = hi & 0x1ffffff;
          const head = lo >>> 12;
          const key = (hi57 * 1048576 + head) * 4;
          const cur = tlb.curCtx;
          const glob = tlb.curGlobal;
          // v86's trick, kept exact: a direct-mapped memo remembers which L1 entry last held
          // this page; one load and one key compare find it. It is only a hint — validated
          // against the entry's key and context, and a context sees at most one entry per page
          // (Tlb.place) — so the answer, stats and LRU order are those of the way search.
          const h = head & MEMO_MASK;
          let i = memo[h]!;
          let end = i + 1;
          if (i < 0 || keys[i] !== key || (ctxs[i] !== cur && ctxs[i] !== glob)) {
            i = base4 + ((head | (hi57 << 20)) & mask4) * ways4;
            end = i + ways4;
            for (; i < end; i++) {
              if (keys[i] === key) {
                const c = ctxs[i]!;
                if (c === cur || c === glob) break;
              }
            }
            if (i < end) memo[h] = i;
            else missed4K = true;
          }
          if (i < end && OK_TABLE[(sig * 8 + acc * 2 + usr) * 16 + flags[i]!] === 1) {
            if (lru) stamps[i] = ++clock;
            out[n] = frames[i]! + (lo & 0xfff);
            fastHits++;
            continue;
          }
        }
      }
      tlb.clock = clock;
      const st = this.translateSig(hi, lo, acc, usr, sig, missed4K);
      clock = tlb.clock;
      if (st === WALK_OK) out[n] = this.pa;
      else {
        out[n] = -((st << 16) | this.errorCode);
        faults++;
      }
    }
    tlb.clock = clock;
    if (fastHits > 0) {
      tlb.counters[0]! += fastHits; // L1 4K hits (counter index 0)
      this.translations += fastHits;
      this.hit = 1;
    }
    return faults;
  }

  /**
   * translateBatch's loop when every address has the same access kind and privilege and the
   * TLB has a power-of-two L1 4K array: the same steps as the general loop (a property test
   * compares them with translate() one by one), specialised so V8 keeps it small — the rights
   * check is one bit of a 16-bit mask (OK_TABLE's row for this access) instead of a table load.
   */
  private batchUniform(vas: Uint32Array, out: Float64Array, count: number, acc: number, usr: number, sig: number, inlineMiss: boolean, plainWalker: boolean): number {
    const tlb = this.tlb;
    const a4 = tlb.l1ForSize[0]!;
    const keys = tlb.key;
    const ctxs = tlb.ctx;
    const frames = tlb.frame;
    const flags = tlb.flags;
    const stamps = tlb.stamp;
    const counters = tlb.counters;
    const lru = tlb.policyCode === 0;
    const base4 = tlb.arrBase[a4]!;
    const ways4 = tlb.arrWays[a4]!;
    const mask4 = tlb.arrMask[a4]!;
    const canonShift = this.walker.config.levels === 5 ? 24 : 15;
    const memo = this.memo;
    const walker = this.walker;
    const row = (sig * 8 + acc * 2 + usr) * 16;
    let okMask = 0;
    for (let f = 0; f < 16; f++) okMask |= OK_TABLE[row + f]! << f;
    const isUser = usr === 1;
    // Batch invariants: the context (nothing in the loop changes CR3, the PCID or the VPID).
    const cur = tlb.curCtx;
    const glob = tlb.curGlobal;
    let faults = 0;
    let fastHits = 0;
    // The inline miss path's counts, added to the fields once (in finally, so a MemoryError
    // thrown by a walk leaves them exact too).
    let misses = 0;
    let evictions = 0;
    let clock = tlb.clock;
    try {
      for (let n = 0; n < count; n++) {
        const lo = vas[2 * n]!;
        const hi = vas[2 * n + 1]!;
        const top = hi >> canonShift;
        if (top === 0 || top === -1) {
          const hi57 = hi & 0x1ffffff;
          const head = lo >>> 12;
          const key = (hi57 * 1048576 + head) * 4;
          // The memo hint (see translateBatch), then the set's ways.
          const h = head & 1023; // MEMO_MASK (a literal: module consts are loaded from their cell)
          let i = memo[h]!;
          if (i < 0 || keys[i] !== key || (ctxs[i] !== cur && ctxs[i] !== glob)) {
            const setBase = base4 + ((head | (hi57 << 20)) & mask4) * ways4;
            const end = setBase + ways4;
            for (i = setBase; i < end; i++) {
              if (keys[i] === key) {
                const c = ctxs[i]!;
                if (c === cur || c === glob) break;
              }
            }
            if (i < end) memo[h] = i;
            else if (inlineMiss) {
              // translateSig + walkAndFill for a miss in a TLB whose only array is this one
              // (walks and the miss, fill and eviction counters are counted in misses and
              // evictions).
              this.translations++;
              this.hit = 0;
              const st = plainWalker ? walker.walk(this.cr3, hi | 0, lo | 0, acc, isUser) : walker.walk(this.cr3, hi, lo, acc, isUser);
              if (st === WALK_OK && walker.pageShift === 12 && !(this.pge && walker.global !== 0)) {
                misses++;
                // place()'s choice: the first invalid way, else the oldest stamp.
                let victim = -1;
                for (let j = setBase; j < end; j++) {
                  if (keys[j]! < 0) {
                    victim = j;
                    break;
                  }
                }
                if (victim < 0) {
                  victim = tlb.oldestWay(setBase, ways4);
                  evictions++;
                }
                keys[victim] = key;
                ctxs[victim] = cur;
                frames[victim] = walker.frame;
                flags[victim] = (walker.rights & 7) | (walker.dirty !== 0 || acc === ACCESS_WRITE ? TLB_DIRTY : 0);
                stamps[victim] = ++clock;
                memo[h] = victim;
                out[n] = walker.pa;
                continue;
              }
              tlb.clock = clock;
              const st2 = this.afterWalk(st, hi, lo, acc, false);
              clock = tlb.clock;
              if (st2 === WALK_OK) out[n] = this.pa;
              else {
                out[n] = -((st2 << 16) | this.errorCode);
                faults++;
              }
              continue;
            } else {
              tlb.clock = clock;
              const st = this.translateSig(hi, lo, acc, usr, sig, true);
              clock = tlb.clock;
              if (st === WALK_OK) out[n] = this.pa;
              else {
                out[n] = -((st << 16) | this.errorCode);
                faults++;
              }
              continue;
            }
          }
          if (((okMask >>> flags[i]!) & 1) !== 0) {
            if (lru) stamps[i] = ++clock;
            out[n] = frames[i]! + (lo & 0xfff);
            fastHits++;
            continue;
          }
        }
        tlb.clock = clock;
        const st = this.translateSig(hi, lo, acc, usr, sig, false);
        clock = tlb.clock;
        if (st === WALK_OK) out[n] = this.pa;
        else {
          out[n] = -((st << 16) | this.errorCode);
          faults++;
        }
      }
    } finally {
      tlb.clock = clock;
      counters[0]! += fastHits; // L1 4K hits
      counters[1]! += misses; // L1 4K misses (recordMiss(SIZE_4K); there is no STLB)
      counters[2]! += misses; // L1 4K fills: one per such miss
      counters[3]! += evictions; // L1 4K evictions
      this.translations += fastHits;
      this.walks += misses;
      if (fastHits > 0) this.hit = 1;
    }
    return faults;
  }

  /**
   * translateBatch with the TLB off: every address walks. The same steps as translateSig +
   * walkAndFill (translations, walks unless #GP, faults encoded in out), with the halves passed
   * as int32 to a plain PageWalker (no boxing of halves ≥ 2^31).
   */
  private batchNoTlb(vas: Uint32Array, out: Float64Array, count: number, access: number, u: number, kinds: Uint8Array | undefined, plainWalker: boolean): number {
    const walker = this.walker;
    const cr3 = this.cr3;
    let faults = 0;
    for (let n = 0; n < count; n++) {
      let acc = access;
      let usr = u;
      if (kinds !== undefined) {
        const k = kinds[n]!;
        acc = k & 3;
        usr = (k & KIND_USER) !== 0 ? 1 : 0;
      }
      const lo = vas[2 * n]!;
      const hi = vas[2 * n + 1]!;
      this.translations++;
      this.hit = 0;
      const st = plainWalker ? walker.walk(cr3, hi | 0, lo | 0, acc, usr === 1) : walker.walk(cr3, hi, lo, acc, usr === 1);
      if (st === WALK_OK) {
        this.walks++;
        out[n] = walker.pa;
        continue;
      }
      const st2 = this.afterWalk(st, hi, lo, acc, false);
      out[n] = -((st2 << 16) | this.errorCode);
      faults++;
    }
    return faults;
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
    this.pcid = this.pcide ? pcid : 0;
    this.tlb.setContext(this.pcid, this.vpid);
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
    if (!pcide && this.pcid !== 0) {
      this.pcid = 0;
      this.tlb.setContext(0, this.vpid);
    }
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
    this.vpid = vpid;
  }

  flushVpid(vpid: number): void {
    this.tlb.flushVpid(vpid);
  }
}
