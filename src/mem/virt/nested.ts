/**
 * The two-dimensional page walk of nested paging (Intel EPT): the guest's own 4- or 5-level
 * tables live in guest-physical memory, so every guest paging-structure entry is reached through
 * a guest-physical address that the EPT must first translate, and so is the final
 * guest-physical address. With an n-level guest and an m-level EPT a cold walk makes
 * n·(m+1) + m = (n+1)(m+1) − 1 memory references: 24 for 4-on-4, 35 for 5-on-5; large pages on
 * either side shorten the walks they end.
 *
 * The guest half applies the SDM rules through walker.ts's exported per-entry checks
 * (reservedLoMask / reservedHiMask, entryRights, combineRights, accessFault, pfErrorCode), so a
 * guest fault here is exactly the fault PageWalker reports. Each reference (EPT entry or guest
 * entry) is recorded, in order, as a host-physical address; refKinds says which was which.
 *
 * NestedWalker is a PageWalker (same result fields), so the TLB engineer's Mmu can put a TLB in
 * front of it: the TLB then caches guest-virtual → host-physical, as the hardware does (tagged
 * by VPID). The extra statuses (NESTED_EPT_VIOLATION / NESTED_EPT_MISCONFIG) pass through the
 * Mmu as faults.
 */
import { MemoryError, type PhysicalMemory } from '../phys.js';
import { HI_FRAME, LO_FRAME_4K, LO_PS, reservedHiMask, reservedLoMask } from '../pte.js';
import { PAGE_SIZES, sizeIndexOfShift } from '../format.js';
import { isCanonicalHi, tableIndex } from '../va.js';
import {
  ACCESS_READ,
  ACCESS_WRITE,
  PageWalker,
  PFEC_P,
  PFEC_RSVD,
  RIGHT_NX,
  RIGHT_W,
  RIGHTS_ALL,
  WALK_GP,
  WALK_OK,
  WALK_PF,
  accessFault,
  combineRights,
  entryRights,
  leafToTranslation,
  pfErrorCode,
  writeBackAD,
  type PagingConfig,
} from '../walker.js';
import { EPT_MISCONFIG, EPT_OK, EQ_EXECUTABLE, EQ_READ, EQ_WRITABLE, EptWalker } from './ept.js';

/** EPT violation: faultGpa, exitQualification (EQ_* bits) set. */
export const NESTED_EPT_VIOLATION = 3;
/** EPT misconfiguration: faultGpa and misconfig (MISCONFIG_*) set. */
export const NESTED_EPT_MISCONFIG = 4;

/** refKinds[i]: the reference was an EPT entry ... */
export const REF_EPT = 0;
/** ... or a guest paging-structure entry. */
export const REF_GUEST = 1;

/** Longest walk: 5 guest levels × (5 EPT + 1) + 5. */
const MAX_REFS = 35;
const TWO32 = 4294967296;

export class NestedWalker extends PageWalker {
  /** Host-physical addresses of every entry read, EPT and guest, in order. */
  override readonly refs = new Float64Array(MAX_REFS);
  /** REF_EPT or REF_GUEST for each of refs. */
  readonly refKinds = new Uint8Array(MAX_REFS);

  // ---- results beyond PageWalker's ----
  /** Final guest-physical address (WALK_OK and final-translation EPT faults). */
  gpa = 0;
  /** Guest-physical address whose EPT translation failed. */
  faultGpa = 0;
  /** Exit qualification of an EPT violation (EQ_* bits). */
  exitQualification = 0;
  /** MISCONFIG_* of an EPT misconfiguration. */
  misconfig = 0;
  /** Guest-physical address of the guest leaf entry (or of the guest entry that faulted). */
  leafEntryGpa = 0;
  /** Guest-physical addresses of the guest entries read, in order: guestEntryGpas[0..guestRefCount). */
  readonly guestEntryGpas = new Float64Array(5);
  /** Host-physical addresses of the same guest entries. */
  readonly guestEntryHpas = new Float64Array(5);
  guestRefCount = 0;
  /** Sum of refCount over every walk (for averages). */
  totalRefs = 0;

  /**
   * @param hostMem host-physical memory (EPT tables and the guest's RAM behind them)
   * @param ept the EPT walker, loaded with the VM's EPTP; may be swapped between walks (VM switch)
   * @param config the guest's paging controls (levels, NXE, WP, SMEP, SMAP, AC, updateAD)
   */
  constructor(
    hostMem: PhysicalMemory,
    public ept: EptWalker,
    config: Partial<PagingConfig> = {},
  ) {
    super(hostMem, config);
  }

  private eptFault(st: number, gpa: number, access: number, final: boolean): number {
    const ept = this.ept;
    this.faultGpa = gpa;
    if (st === EPT_MISCONFIG) {
      this.misconfig = ept.misconfig;
      return NESTED_EPT_MISCONFIG;
    }
    // A guest paging-structure access counted as a write (EPT A/D on) sets both bit 0 and
    // bit 1 (SDM Vol. 3C, exit qualification for EPT violations, note 1).
    this.exitQualification = ept.qualification(access, true, final) | (!final && ept.adEnable ? EQ_READ : 0);
    return NESTED_EPT_VIOLATION;
  }

  private copyEptRefs(): void {
    const ept = this.ept;
    for (let i = 0; i < ept.refCount; i++) {
      this.refKinds[this.refCount] = REF_EPT;
      this.refs[this.refCount++] = ept.refs[i]!;
    }
    this.totalRefs += ept.refCount;
  }

  /**
   * Translate guest-virtual (vaHi:vaLo) from the guest's CR3 (a guest-physical address) for an
   * access at CPL 3 (user) or 0. Returns WALK_OK (pa = host-physical), WALK_PF (the guest's
   * #PF, errorCode as the guest walker defines it), WALK_GP, NESTED_EPT_VIOLATION or
   * NESTED_EPT_MISCONFIG.
   */
  override walk(cr3: number, vaHi: number, vaLo: number, access: number, user: boolean): number {
    const c = this.config;
    const ept = this.ept;
    const levels = c.levels === 5 ? 5 : 4;
    this.refCount = 0;
    this.guestRefCount = 0;
    this.errorCode = 0;
    this.exitQualification = 0;
    this.misconfig = 0;
    if (!isCanonicalHi(vaHi, levels)) return WALK_GP;
    const nxe = c.nxe;
    const rsvdHi = reservedHiMask(c.maxPhyAddr, nxe);
    const u32 = this.mem.u32;
    const size = this.mem.size;
    // With EPT A/D flags on, the processor's accesses to guest paging structures count as
    // writes for EPT (SDM Vol. 3C, "Accessed and Dirty Flags for EPT").
    const tableAccess = ept.adEnable ? ACCESS_WRITE : ACCESS_READ;
    let gTable = cr3 - (cr3 % 4096);
    let rights = RIGHTS_ALL;
    let level = levels;
    let lo = 0;
    let hi = 0;
    let hEa = 0;
    for (;;) {
      const gEa = gTable + tableIndex(vaHi, vaLo, level) * 8;
      const st = ept.walk(gEa, tableAccess, false);
      this.copyEptRefs();
      if (st !== EPT_OK) {
        this.leafLevel = level;
        this.leafEntryGpa = gEa;
        return this.eptFault(st, gEa, tableAccess, false);
      }
      hEa = ept.hpa;
      if (hEa + 8 > size) throw new MemoryError(hEa, `guest level-${level} entry is outside host memory (size 0x${size.toString(16)})`);
      this.refKinds[this.refCount] = REF_GUEST;
      this.refs[this.refCount++] = hEa;
      this.guestEntryHpas[this.guestRefCount] = hEa;
      this.guestEntryGpas[this.guestRefCount++] = gEa;
      this.totalRefs++;
      const w = hEa / 4;
      lo = u32[w]!;
      hi = u32[w + 1]!;
      this.leafEntryPa = hEa;
      this.leafEntryGpa = gEa;
      this.leafLevel = level;
      this.leafLo = lo;
      this.leafHi = hi;
      if ((lo & 1) === 0) {
        this.rights = rights;
        this.errorCode = pfErrorCode(access, user, nxe, c.smep);
        return WALK_PF;
      }
      if (((lo & reservedLoMask(level, lo)) | (hi & rsvdHi)) !== 0) {
        this.rights = rights;
        this.errorCode = PFEC_P | PFEC_RSVD | pfErrorCode(access, user, nxe, c.smep);
        return WALK_PF;
      }
      rights = combineRights(rights, entryRights(lo, hi));
      if (level === 1 || (lo & LO_PS) !== 0) break;
      gTable = (hi & HI_FRAME) * TWO32 + ((lo & LO_FRAME_4K) >>> 0);
      level--;
    }
    this.rights = rights;
    if (accessFault(rights, access, user, c.wp, c.smep, c.smap, c.ac, nxe)) {
      this.errorCode = PFEC_P | pfErrorCode(access, user, nxe, c.smep);
      return WALK_PF;
    }
    // The guest leaf's translation (gpa, memory type, G, D, pkey); pa and frame become host ones below.
    leafToTranslation(this, lo, hi, level, vaLo);
    const guestShift = this.pageShift;
    const gpa = this.pa;
    this.gpa = gpa;
    const st = ept.walk(gpa, access, user);
    this.copyEptRefs();
    if (st !== EPT_OK) return this.eptFault(st, gpa, access, true);
    if (c.updateAD) {
      // The guest's A (every guest entry used) and D (leaf, on a write), written at the
      // host-physical addresses the walk read them from.
      lo = writeBackAD(u32, this.guestEntryHpas, this.guestRefCount, hEa, access === ACCESS_WRITE);
      this.leafLo = lo;
      this.dirty = (lo >>> 6) & 1;
    }
    // The combined translation: the smaller of the two page sizes, and the rights both allow
    // (what a TLB may cache for guest-virtual → host-physical).
    const shift = guestShift < ept.pageShift ? guestShift : ept.pageShift;
    const hpa = ept.hpa;
    this.pa = hpa;
    this.pageShift = shift;
    // hpa mod 2^shift from its low 32 bits (shift ≤ 30): no floating-point modulo.
    this.frame = hpa - ((hpa >>> 0) & PAGE_SIZES[sizeIndexOfShift(shift)]!.offsetMask);
    const eq = ept.rightsQual;
    this.rights = (rights & ~RIGHT_W) | ((eq & EQ_WRITABLE) !== 0 ? rights & RIGHT_W : 0) | ((eq & EQ_EXECUTABLE) === 0 ? RIGHT_NX : 0);
    return WALK_OK;
  }
}
