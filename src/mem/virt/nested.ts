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
import { encodeFault } from '../batch.js';
import { assertLiteral } from '../format.js';
import { EPT_MEMTYPE_SHIFT, EPT_PS, EPT_R, isReservedMemType } from './ept-format.js';

// The lean walk's literals, checked against the EPT format: an EPT table entry it takes has R
// (bit 0) set and bits 7:3 (reserved in a PML4E/PML5E, PS + reserved 6:3 in a PDPTE/PDE) clear;
// a leaf's memory type (bits 5:3) is one of 0, 1, 4, 5, 6 (bit t of 0x73).
assertLiteral('EPT table-entry check bits', 0xf9, EPT_R | EPT_PS | 0x78);
assertLiteral('EPT memory-type shift', 3, EPT_MEMTYPE_SHIFT);
assertLiteral('EPT valid memory types', 0x73, [0, 1, 2, 3, 4, 5, 6, 7].reduce((m, t) => (isReservedMemType(t) ? m : m | (1 << t)), 0));

/** eptFast4K's AND of the entries' low halves (R/W/X rights), an int32 slot: no boxing. */
const EPT_AND = new Int32Array(1);

/**
 * The EPT walk's common case, as a function the lean nested walk can inline: a guest-physical
 * address below 2^31, every EPT entry readable (R = 1, so neither misconfiguration of the
 * write/execute-only kind can occur), no reserved bit, tables and pages below 2^31, a 4 KiB
 * leaf with a valid memory type. Reads memory only. Returns the host-physical address, or -1
 * for anything else (the caller then walks with every rule).
 */
function eptFast4K(u32: Uint32Array, last: number, root: number, five: boolean, gpa: number): number {
  let table = root;
  let and = -1;
  let ea = 0;
  let lo = 0;
  if (five) {
    ea = table; // PML5 index: gpa bits 56:48 = 0 below 2^31
    if (ea > last) return -1;
    lo = u32[ea >>> 2]!;
    if ((lo & 0x8000_00f9) !== 1 || (u32[(ea >>> 2) + 1]! & 0xf_ffff) !== 0) return -1;
    and &= lo;
    table = lo & 0x7fff_f000;
  }
  ea = table; // PML4 index: gpa bits 47:39 = 0 below 2^31
  if (ea > last) return -1;
  lo = u32[ea >>> 2]!;
  if ((lo & 0x8000_00f9) !== 1 || (u32[(ea >>> 2) + 1]! & 0xf_ffff) !== 0) return -1;
  and &= lo;
  table = lo & 0x7fff_f000;
  ea = table + ((gpa >>> 27) & 0xff8); // PDPT index: bits 38:30
  if (ea > last) return -1;
  lo = u32[ea >>> 2]!;
  if ((lo & 0x8000_00f9) !== 1 || (u32[(ea >>> 2) + 1]! & 0xf_ffff) !== 0) return -1;
  and &= lo;
  table = lo & 0x7fff_f000;
  ea = table + ((gpa >>> 18) & 0xff8); // PD index: bits 29:21
  if (ea > last) return -1;
  lo = u32[ea >>> 2]!;
  if ((lo & 0x8000_00f9) !== 1 || (u32[(ea >>> 2) + 1]! & 0xf_ffff) !== 0) return -1;
  and &= lo;
  table = lo & 0x7fff_f000;
  ea = table + ((gpa >>> 9) & 0xff8); // PT index: bits 20:12
  if (ea > last) return -1;
  lo = u32[ea >>> 2]!;
  if ((lo & 0x8000_0001) !== 1 || ((0x73 >>> ((lo >>> 3) & 7)) & 1) === 0 || (u32[(ea >>> 2) + 1]! & 0xf_ffff) !== 0) return -1;
  EPT_AND[0] = and & lo;
  return (lo & 0x7fff_f000) + (gpa & 0xfff);
}

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

  /**
   * Translate many guest-virtual addresses ((lo, hi) pairs in `vas`) for one access kind and
   * privilege: out[i] is the host-physical address or encodeFault(status, code) (errorCode for
   * WALK_PF, exitQualification for NESTED_EPT_VIOLATION, misconfig for NESTED_EPT_MISCONFIG).
   * Returns the number of faults. Memory (guest A/D, EPT A/D) and totalRefs end up exactly as
   * after walk() on each address in turn (a property test checks it); the result fields are
   * those of the last address that took walk().
   *
   * The common case — EPT A/D off, no mode-based execute control, 4 KiB pages on both sides,
   * everything below 2^31, nothing reserved or missing, rights that allow the access — is a lean
   * walk that only reads until it has succeeded; anything else is walk() itself.
   */
  walkBatch(cr3: number, vas: Uint32Array, out: Float64Array, access: number, user: boolean, count = vas.length >>> 1): number {
    const c = this.config;
    const ept = this.ept;
    const mem = this.mem;
    const u32 = mem.u32;
    const last = mem.size - 8;
    const five = c.levels === 5;
    const eptFive = ept.levels === 5;
    const canonShift = five ? 24 : 15;
    const lean = !ept.adEnable && !ept.caps.mbec && cr3 >= 0 && cr3 < 0x8000_0000 && access >= 0 && access <= 2;
    const leafHiReserved = reservedHiMask(c.maxPhyAddr, c.nxe) | 0;
    const tableHiStop = (leafHiReserved | HI_FRAME) | 0;
    let faultMask = 0;
    for (let r = 0; r < 8; r++) if (accessFault(r, access, user, c.wp, c.smep, c.smap, c.ac, c.nxe)) faultMask |= 1 << r;
    const updateAD = c.updateAD;
    const write = access === ACCESS_WRITE;
    const gLevels = five ? 5 : 4;
    const eLevels = eptFive ? 5 : 4;
    const refsPerWalk = gLevels * (eLevels + 1) + eLevels;
    const root = ept.root;
    const hEas = this.guestEntryHpas;
    let faults = 0;
    let lean4K = 0;
    for (let n = 0; n < count; n++) {
      const lo = vas[2 * n]!;
      const hi = vas[2 * n + 1]!;
      if (lean) {
        const top = (hi | 0) >> canonShift;
        let hpa = -1;
        if ((top === 0 || top === -1) && root < 0x8000_0000) {
          let table = cr3 & 0x7fff_f000;
          let loAnd = -1;
          let hiOr = 0;
          let level = gLevels;
          let elo = 0;
          let ehi = 0;
          let hEa = 0;
          for (; level >= 1; level--) {
            const idx =
              level === 1 ? (lo >>> 9) & 0xff8 : level === 2 ? (lo >>> 18) & 0xff8 : level === 3 ? (((lo >>> 30) | (hi << 2)) & 511) << 3 : level === 4 ? (hi >>> 4) & 0xff8 : (hi >>> 13) & 0xff8;
            hEa = eptFast4K(u32, last, root, eptFive, table + idx);
            if (hEa < 0 || hEa > last) break;
            hEas[level - 1] = hEa;
            elo = u32[hEa >>> 2]!;
            ehi = u32[(hEa >>> 2) + 1]!;
            if (level > 1) {
              if ((elo & 0x8000_0081) !== 1 || (ehi & tableHiStop) !== 0) break;
              table = elo & 0x7fff_f000;
            } else if ((elo & 0x8000_0001) !== 1 || (ehi & tableHiStop) !== 0) break; // and a frame below 2^31
            loAnd &= elo;
            hiOr |= ehi;
          }
          if (level === 0) {
            const rights = ((loAnd >>> 1) & 3) | ((hiOr >>> 31) << 2);
            if (((faultMask >>> rights) & 1) === 0) {
              const h = eptFast4K(u32, last, root, eptFive, (elo & 0x7fff_f000) + (lo & 0xfff));
              // The final translation needs the access's EPT right (R, W or X = bit `access`).
              if (h >= 0 && ((EPT_AND[0]! >>> access) & 1) === 1) {
                if (updateAD) {
                  for (let k = 0; k < gLevels; k++) {
                    const wi = hEas[k]! >>> 2;
                    u32[wi] = u32[wi]! | 0x20; // A
                  }
                  if (write) u32[hEas[0]! >>> 2] = u32[hEas[0]! >>> 2]! | 0x40; // D
                }
                hpa = h;
              }
            }
          }
        }
        if (hpa >= 0) {
          out[n] = hpa;
          lean4K++;
          continue;
        }
      }
      const st = this.walk(cr3, hi, lo, access, user);
      if (st === WALK_OK) out[n] = this.pa;
      else {
        out[n] = encodeFault(st, st === WALK_PF ? this.errorCode : st === NESTED_EPT_VIOLATION ? this.exitQualification : st === NESTED_EPT_MISCONFIG ? this.misconfig : 0);
        faults++;
      }
    }
    this.totalRefs += lean4K * refsPerWalk;
    return faults;
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
