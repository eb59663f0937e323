/**
 * CONTRACT STUB — the page-table issue (#5) replaces the body; the exported names, constants and
 * result fields below are the interface the TLB/MMU (#6), demand paging (#8) and virtualization
 * (#7) code is written against. Change them only together with those users.
 *
 * Hot-path conventions: a virtual address is two 32-bit halves (vaHi, vaLo) so 57-bit LA57
 * addresses stay exact without BigInt; physical addresses (< 2^52) are plain numbers.
 * walk() allocates nothing: results are written to the walker's own fields and stay valid until
 * the next walk.
 */
import type { PhysicalMemory } from './phys.js';

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
  /** Leaf's PWT/PCD/PAT memory-type bits, leaf protection key (bits 62:59). */
  pkey = 0;
  /** Physical address of the leaf entry (or of the entry that faulted). */
  leafEntryPa = 0;
  /** Level of the leaf / faulting entry: 1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E. */
  leafLevel = 0;
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
   * any, are ignored here). Returns WALK_OK, WALK_PF or WALK_GP.
   */
  walk(_cr3: number, _vaHi: number, _vaLo: number, _access: number, _user: boolean): number {
    throw new Error('PageWalker.walk: not implemented yet (issue #5)');
  }
}
