/**
 * The 4-level / 5-level page walk, exactly as Intel SDM Vol. 3A ch. 4 defines it (4.5 the walk
 * and reserved bits, 4.6 access rights, 4.7 the page-fault error code, 4.8 A/D flags).
 *
 * Hot-path conventions: a virtual address is two 32-bit halves (vaHi, vaLo) so 57-bit LA57
 * addresses stay exact without BigInt; physical addresses (< 2^52) are plain numbers.
 * walk() allocates nothing: results are written to the walker's own fields and stay valid until
 * the next walk.
 *
 * The per-entry checks (reservedLoMask/reservedHiMask in pte.ts, entryRights, combineRights,
 * accessFault, pfErrorCode here) are small pure functions so a nested (EPT-over-guest) walker
 * can apply the same rules without copying them.
 */
import { MemoryError, type PhysicalMemory } from './phys.js';
import { HI_FRAME, LO_A, LO_D, LO_FRAME_4K, LO_PS, reservedHiMask, reservedLoMask } from './pte.js';
import { PAGE_SIZES, assertLiteral } from './format.js';
import { isCanonicalHi, tableIndex } from './va.js';

export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXEC = 2;

export const WALK_OK = 0;
/** Page fault (#PF): errorCode holds the SDM error code. */
export const WALK_PF = 1;
/** General protection (#GP): non-canonical address; no entry was read. */
export const WALK_GP = 2;

/** Page-fault error-code bits (SDM Vol. 3A, 4.7). */
export const PFEC_P = 1 << 0;
export const PFEC_W = 1 << 1;
export const PFEC_U = 1 << 2;
export const PFEC_RSVD = 1 << 3;
export const PFEC_I = 1 << 4;
export const PFEC_PK = 1 << 5;

/** Effective-rights bits in PageWalker.rights (combined over every level of the walk). */
export const RIGHT_W = 1; // writable at every level
export const RIGHT_U = 2; // user at every level
export const RIGHT_NX = 4; // XD set at some level (and EFER.NXE = 1)

export interface PagingConfig {
  levels: 4 | 5;
  /** MAXPHYADDR, 36..52 (default 52). */
  maxPhyAddr: number;
  /** EFER.NXE */
  nxe: boolean;
  /** CR0.WP */
  wp: boolean;
  /** CR4.SMEP */
  smep: boolean;
  /** CR4.SMAP */
  smap: boolean;
  /** EFLAGS.AC (SMAP override for supervisor data accesses). */
  ac: boolean;
  /** Set A at every level used and D in the leaf on a write (off by default). */
  updateAD: boolean;
}

export const DEFAULT_PAGING: PagingConfig = {
  levels: 4,
  maxPhyAddr: 52,
  nxe: true,
  wp: true,
  smep: false,
  smap: false,
  ac: false,
  updateAD: false,
};

const TWO32 = 4294967296;

/** Rights one entry grants, as RIGHT_* bits: R/W (bit 1) → RIGHT_W, U/S (bit 2) → RIGHT_U, XD → RIGHT_NX. */
export function entryRights(lo: number, hi: number): number {
  return ((lo >>> 1) & 3) | ((hi >>> 31) << 2);
}

/** Rights before the first entry: everything allowed, nothing execute-disabled. */
export const RIGHTS_ALL = RIGHT_W | RIGHT_U;

/**
 * Combine rights across levels (SDM 4.6): R/W and U/S must allow at every level (AND), XD at any
 * level forbids fetches (OR).
 */
export function combineRights(acc: number, entry: number): number {
  return (acc & entry & (RIGHT_W | RIGHT_U)) | ((acc | entry) & RIGHT_NX);
}

/**
 * True when an access with these effective rights is NOT allowed (SDM 4.6.1, 4-level/5-level
 * paging, protection keys off). A page is a user-mode address when U/S = 1 at every level.
 *  - User (CPL 3): user-mode addresses only; writes need R/W = 1 at every level (WP is
 *    irrelevant); fetches need XD = 0 everywhere when NXE = 1.
 *  - Supervisor data: SMAP = 1 and AC = 0 forbid reads and writes of user-mode addresses;
 *    writes need R/W = 1 everywhere only when CR0.WP = 1 (with WP = 0 the supervisor writes
 *    read-only pages, user-mode or not, as long as SMAP allows the access).
 *  - Supervisor fetches: XD when NXE = 1; SMEP = 1 forbids user-mode addresses entirely.
 */
export function accessFault(rights: number, access: number, user: boolean, wp: boolean, smep: boolean, smap: boolean, ac: boolean, nxe: boolean): boolean {
  const userPage = (rights & RIGHT_U) !== 0;
  if (access === ACCESS_EXEC) {
    if (nxe && (rights & RIGHT_NX) !== 0) return true;
    return user ? !userPage : smep && userPage;
  }
  if (user) return !userPage || (access === ACCESS_WRITE && (rights & RIGHT_W) === 0);
  if (userPage && smap && !ac) return true;
  return access === ACCESS_WRITE && wp && (rights & RIGHT_W) === 0;
}

/**
 * accessFault as a table for walk()'s fast path: ACCESS_FAULTS[((sig * 3 + access) * 2 + user) *
 * 8 + rights] = 1 when accessFault(rights, access, user, …) is true, with sig = WP | SMEP << 1 |
 * SMAP << 2 | AC << 3 | NXE << 4. Built by calling accessFault: one description of the rules.
 */
const ACCESS_FAULTS = (() => {
  const t = new Uint8Array(32 * 3 * 2 * 8);
  for (let sig = 0; sig < 32; sig++) {
    for (let access = 0; access < 3; access++) {
      for (let user = 0; user < 2; user++) {
        for (let rights = 0; rights < 8; rights++) {
          const fault = accessFault(rights, access, user === 1, (sig & 1) !== 0, (sig & 2) !== 0, (sig & 4) !== 0, (sig & 8) !== 0, (sig & 16) !== 0);
          t[((sig * 3 + access) * 2 + user) * 8 + rights] = fault ? 1 : 0;
        }
      }
    }
  }
  return t;
})();

/**
 * The error-code bits that describe the access (SDM 4.7): W/R for a write, U/S for CPL 3, I/D for
 * an instruction fetch only when EFER.NXE = 1 or CR4.SMEP = 1. P and RSVD are added by the cause.
 */
export function pfErrorCode(access: number, user: boolean, nxe: boolean, smep: boolean): number {
  return (access === ACCESS_WRITE ? PFEC_W : 0) | (user ? PFEC_U : 0) | (access === ACCESS_EXEC && (nxe || smep) ? PFEC_I : 0);
}

/** The result fields a leaf fills (PageWalker's, which NestedWalker shares). */
export interface LeafResult {
  pa: number;
  frame: number;
  pageShift: number;
  memType: number;
  global: number;
  dirty: number;
  pkey: number;
  leafLo: number;
}

/**
 * The one leaf-to-translation: the page a present leaf (lo, hi) at `level` maps, with the
 * offset of vaLo, its memory-type selector PAT·4 + PCD·2 + PWT (PAT is bit 7 in a PTE, bit 12 in
 * a large leaf: SDM 11.12.3), G, D and the protection key.
 */
export function leafToTranslation(r: LeafResult, lo: number, hi: number, level: number, vaLo: number): void {
  const size = PAGE_SIZES[level - 1]!;
  r.pageShift = size.shift;
  r.frame = (hi & HI_FRAME) * TWO32 + ((lo & size.loFrameMask) >>> 0);
  r.pa = r.frame + (vaLo & size.offsetMask);
  r.memType = ((lo >>> 3) & 3) | (level === 1 ? (lo >>> 5) & 4 : (lo >>> 10) & 4);
  r.global = (lo >>> 8) & 1;
  r.dirty = (lo >>> 6) & 1;
  r.pkey = (hi >>> 27) & 0xf;
  r.leafLo = lo;
}

/**
 * The one A/D write-back of a successful walk (SDM 4.8): A in every entry used (entryPas[0..n),
 * physical addresses), D in the leaf at leafPa on a write. Returns the leaf's low half after it.
 */
export function writeBackAD(u32: Uint32Array, entryPas: Float64Array, n: number, leafPa: number, write: boolean): number {
  for (let i = 0; i < n; i++) {
    const wi = entryPas[i]! / 4;
    u32[wi] = u32[wi]! | LO_A;
  }
  const lw = leafPa / 4;
  if (write) u32[lw] = u32[lw]! | LO_D;
  return u32[lw]!;
}

// The fast paths (walk() here, the batch loops in batch.ts) spell these as literals.
assertLiteral('4K frame mask', 0xffff_f000, PAGE_SIZES[0]!.loFrameMask);
assertLiteral('4K offset mask', 0xfff, PAGE_SIZES[0]!.offsetMask);
assertLiteral('frame bits 51:32', 0xf_ffff, HI_FRAME);
assertLiteral('table-entry stop bits (P, PS, frame bit 31)', 0x8000_0081, (1 | LO_PS | 0x8000_0000) >>> 0);
assertLiteral('A', 0x20, LO_A);
assertLiteral('D', 0x40, LO_D);

export class PageWalker {
  readonly config: PagingConfig;

  // ---- results of the last walk ----
  /** Translated physical address (WALK_OK). */
  pa = 0;
  /** Physical base of the page (pa with the offset bits cleared). */
  frame = 0;
  /** 12, 21 or 30. */
  pageShift = 12;
  /** RIGHT_* bits, effective over all levels (WALK_OK, and for protection faults). */
  rights = 0;
  /** Leaf's G bit (1/0). */
  global = 0;
  /** Leaf's D bit (1/0) after any update. */
  dirty = 0;
  /** Leaf's protection key (bits 62:59). */
  pkey = 0;
  /** Leaf's memory-type selector PAT·4 + PCD·2 + PWT (the PAT entry index, SDM 11.12.3). */
  memType = 0;
  /** Physical address of the leaf entry (or of the entry that faulted). */
  leafEntryPa = 0;
  /** Level of the leaf / faulting entry: 1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E. */
  leafLevel = 0;
  /** Leaf entry's halves (WALK_OK, or of the entry that faulted). */
  leafLo = 0;
  leafHi = 0;
  /** Page-fault error code (WALK_PF). */
  errorCode = 0;
  /** Physical addresses of the entries read, in order: refs[0..refCount). */
  readonly refs = new Float64Array(5);
  refCount = 0;

  constructor(
    readonly mem: PhysicalMemory,
    config: Partial<PagingConfig> = {},
  ) {
    this.config = { ...DEFAULT_PAGING, ...config };
  }

  /**
   * Translate (vaHi:vaLo) for an access kind (ACCESS_*) at user (CPL 3) or supervisor
   * privilege, walking from cr3 (a physical address of the root table; the PCID bits 11:0, if
   * any, are ignored here). Returns WALK_OK, WALK_PF or WALK_GP. vaHi/vaLo may also be given as
   * signed 32-bit halves (only their bits are used), which callers holding int32 values use to
   * avoid boxing.
   *
   * The common case — a canonical address, every entry present with no reserved bit, tables
   * below 2 GiB (PhysicalMemory is at most 2 GiB, so every table that can be read is), a 4 KiB
   * leaf, an access the rights allow — runs in straight-line int32 code here. Anything else (a
   * fault, a large page, a table address the fast path cannot hold in an int32) starts over in
   * walkGeneral, which has every rule; the fast path only reads memory and writes result fields
   * that walkGeneral rewrites, so starting over changes nothing.
   */
  walk(cr3: number, vaHi: number, vaLo: number, access: number, user: boolean): number {
    // Literals, not the named constants, on this path: V8 loads an imported or module-level
    // const from its module cell (with a TDZ check) at every use; the comments name them.
    const c = this.config;
    const nxe = c.nxe ? 1 : 0;
    if (c.maxPhyAddr !== this.cachedMaxPhyAddr || nxe !== this.cachedNxe) this.cacheMasks(c.maxPhyAddr, nxe);
    const five = c.levels === 5;
    const top = vaHi | 0;
    if (!(cr3 >= 0 && cr3 < 0x8000_0000) || access >>> 0 > 2 || top >> (five ? 24 : 15) !== top >> 31) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    const u32 = this.mem.u32;
    const last = this.mem.size - 8; // an entry at ea is inside memory when ea <= last
    // A table entry (levels 5, 4) must be present with PS (reserved there) and frame bit 31
    // clear, and no bit in hi: nothing reserved, no frame bits above 2^32. Levels 3 and 2 also
    // leave the fast path for PS = 1 (a 1 GiB / 2 MiB page).
    const tableHiStop = this.tableHiStop;
    const refs = this.refs;
    let table = cr3 & 0x7fff_f000;
    let n = 0;
    let ea = 0;
    let lo = 0;
    let hi = 0;
    let loAnd = -1; // R/W and U/S must be 1 at every level
    let hiOr = 0; // XD at any level
    if (five) {
      ea = table + ((vaHi >>> 13) & 0xff8);
      if (ea > last) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
      refs[n++] = ea;
      lo = u32[ea >>> 2]!;
      hi = u32[(ea >>> 2) + 1]!;
      if ((lo & 0x8000_0081) !== 1 || (hi & tableHiStop) !== 0) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
      loAnd &= lo;
      hiOr |= hi;
      table = lo & 0x7fff_f000;
    }
    ea = table + ((vaHi >>> 4) & 0xff8); // PML4 index: bits 47:39 = vaHi bits 15:7
    if (ea > last) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    refs[n++] = ea;
    lo = u32[ea >>> 2]!;
    hi = u32[(ea >>> 2) + 1]!;
    if ((lo & 0x8000_0081) !== 1 || (hi & tableHiStop) !== 0) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    loAnd &= lo;
    hiOr |= hi;
    table = lo & 0x7fff_f000;
    ea = table + ((((vaLo >>> 30) | (vaHi << 2)) & 511) << 3); // PDPT index: bits 38:30
    if (ea > last) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    refs[n++] = ea;
    lo = u32[ea >>> 2]!;
    hi = u32[(ea >>> 2) + 1]!;
    if ((lo & 0x8000_0081) !== 1 || (hi & tableHiStop) !== 0) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    loAnd &= lo;
    hiOr |= hi;
    table = lo & 0x7fff_f000;
    ea = table + ((vaLo >>> 18) & 0xff8); // PD index: bits 29:21
    if (ea > last) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    refs[n++] = ea;
    lo = u32[ea >>> 2]!;
    hi = u32[(ea >>> 2) + 1]!;
    if ((lo & 0x8000_0081) !== 1 || (hi & tableHiStop) !== 0) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    loAnd &= lo;
    hiOr |= hi;
    table = lo & 0x7fff_f000;
    ea = table + ((vaLo >>> 9) & 0xff8); // PT index: bits 20:12
    if (ea > last) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    refs[n++] = ea;
    const w = ea >>> 2;
    lo = u32[w]!;
    hi = u32[w + 1]!;
    // A PTE: present, nothing reserved in hi (a PTE has no reserved bit in lo).
    if ((lo & 1) === 0 || (hi & this.leafHiReserved) !== 0) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    loAnd &= lo;
    hiOr |= hi;
    const rights = ((loAnd >>> 1) & 3) | ((hiOr >>> 31) << 2);
    // accessFault(rights, access, user, wp, smep, smap, ac, nxe), from its table
    const sig = (c.wp ? 1 : 0) | (c.smep ? 2 : 0) | (c.smap ? 4 : 0) | (c.ac ? 8 : 0) | (nxe << 4);
    if (this.accessFaults[(((sig * 3 + access) << 1) | (user ? 1 : 0)) * 8 + rights] !== 0) return this.walkGeneral(cr3, vaHi, vaLo, access, user);
    if (c.updateAD) {
      // A in every entry used, D in the leaf on a write (the walk succeeded).
      for (let i = 0; i < n; i++) {
        const wi = refs[i]! >>> 2;
        u32[wi] = u32[wi]! | LO_A;
      }
      if (access === 1 /* ACCESS_WRITE */) u32[w] = u32[w]! | LO_D;
      lo = u32[w]!;
    }
    this.refCount = n;
    this.errorCode = 0;
    this.leafEntryPa = ea;
    this.leafLevel = 1;
    this.leafLo = lo;
    this.leafHi = hi;
    this.rights = rights;
    this.pageShift = 12;
    this.memType = ((lo >>> 3) & 3) | ((lo >>> 5) & 4);
    const frameHi = hi & 0xf_ffff; // HI_FRAME
    const frameLo = (lo & 0xffff_f000) >>> 0; // LO_FRAME_4K
    const frame = frameHi === 0 ? frameLo : frameHi * 4294967296 + frameLo;
    this.frame = frame;
    this.pa = frame + (vaLo & 0xfff);
    this.global = (lo >>> 8) & 1;
    this.dirty = (lo >>> 6) & 1;
    this.pkey = (hi >>> 27) & 0xf;
    return 0; // WALK_OK
  }

  private readonly accessFaults = ACCESS_FAULTS;
  private cachedMaxPhyAddr = -1;
  /** EFER.NXE of the cached masks as 0/1 (a number compares without a call into the runtime). */
  private cachedNxe = -1;
  /** reservedHiMask(maxPhyAddr, nxe) for the cached config: a leaf's reserved bits in hi. */
  private leafHiReserved = 0;
  /** leafHiReserved | HI_FRAME: hi bits that send a table entry off the fast path. */
  private tableHiStop = 0;

  private cacheMasks(maxPhyAddr: number, nxe: number): void {
    this.cachedMaxPhyAddr = maxPhyAddr;
    this.cachedNxe = nxe;
    this.leafHiReserved = reservedHiMask(maxPhyAddr, nxe === 1) | 0;
    this.tableHiStop = (this.leafHiReserved | HI_FRAME) | 0;
  }

  /** The walk with every rule of the SDM (walk() runs its common case faster, same results). */
  walkGeneral(cr3: number, vaHi: number, vaLo: number, access: number, user: boolean): number {
    const c = this.config;
    const levels = c.levels === 5 ? 5 : 4;
    this.refCount = 0;
    this.errorCode = 0;
    // A non-canonical address faults (#GP) before any paging-structure access.
    if (!isCanonicalHi(vaHi, levels)) return WALK_GP;
    const nxe = c.nxe;
    const rsvdHi = reservedHiMask(c.maxPhyAddr, nxe);
    const u32 = this.mem.u32;
    const size = this.mem.size;
    const refs = this.refs;
    let table = cr3 - (cr3 % 4096);
    let rights = RIGHTS_ALL;
    let level = levels;
    let lo = 0;
    let hi = 0;
    let ea = 0;
    let n = 0; // entries read (kept local: one store of refCount per walk)
    for (;;) {
      ea = table + tableIndex(vaHi, vaLo, level) * 8;
      refs[n++] = ea;
      if (ea + 8 > size) {
        this.refCount = n;
        throw new MemoryError(ea, `level-${level} entry is outside memory (size 0x${size.toString(16)})`);
      }
      const w = ea / 4;
      lo = u32[w]!;
      hi = u32[w + 1]!;
      if ((lo & 1) === 0) {
        this.errorCode = pfErrorCode(access, user, nxe, c.smep);
        break;
      }
      if (((lo & reservedLoMask(level, lo)) | (hi & rsvdHi)) !== 0) {
        this.errorCode = PFEC_P | PFEC_RSVD | pfErrorCode(access, user, nxe, c.smep);
        break;
      }
      rights = combineRights(rights, entryRights(lo, hi));
      if (level === 1 || (lo & LO_PS) !== 0) break; // PS at levels 4/5 was reserved above
      table = (hi & HI_FRAME) * TWO32 + ((lo & LO_FRAME_4K) >>> 0);
      level--;
    }
    this.refCount = n;
    this.leafEntryPa = ea;
    this.leafLevel = level;
    this.leafLo = lo;
    this.leafHi = hi;
    this.rights = rights;
    if (this.errorCode !== 0 || (lo & 1) === 0) return WALK_PF;
    if (accessFault(rights, access, user, c.wp, c.smep, c.smap, c.ac, nxe)) {
      this.errorCode = PFEC_P | pfErrorCode(access, user, nxe, c.smep);
      return WALK_PF;
    }
    if (c.updateAD) lo = writeBackAD(u32, refs, n, ea, access === ACCESS_WRITE);
    leafToTranslation(this, lo, hi, level, vaLo);
    return WALK_OK;
  }
}
