/**
 * The EPT walk (Intel SDM Vol. 3C, "EPT Translation Mechanism"): guest-physical to host-physical
 * through EPT tables in host memory, with the misconfiguration rules and EPT A/D flags of
 * ept-format.ts.
 */
import { MemoryError, type PhysicalMemory } from '../phys.js';
import { PAGE_SIZES } from '../format.js';
import {
  DEFAULT_EPT_CAPS,
  EPT_A,
  EPT_D,
  EPT_IPAT,
  EPT_MEMTYPE,
  EPT_MEMTYPE_SHIFT,
  EPT_PS,
  EPT_R,
  EPT_RWX,
  EPT_UX,
  EPT_W,
  EPT_X,
  EQ_FETCH,
  EQ_FINAL_TRANSLATION,
  EQ_GLA_VALID,
  EQ_READ,
  EQ_USER_EXECUTABLE,
  EQ_WRITE,
  EptError,
  EptRules,
  decodeEptp,
  type EptCaps,
} from './ept-format.js';

const MEMTYPE_SHIFT = EPT_MEMTYPE_SHIFT;


export const EPT_OK = 0;
export const EPT_VIOLATION = 1;
export const EPT_MISCONFIG = 2;

// Access kinds, the same numbers as walker.ts's ACCESS_*.
const A_READ = 0;
const A_WRITE = 1;
const A_EXEC = 2;

/**
 * Walks EPT tables in host memory. Like PageWalker: walk() allocates nothing and leaves its
 * results in fields, valid until the next walk.
 */
export class EptWalker {
  readonly caps: EptCaps;
  readonly rules: EptRules;
  root = 0;
  levels: 4 | 5 = 4;
  adEnable = false;

  // ---- results of the last walk ----
  /** Host-physical address (EPT_OK). */
  hpa = 0;
  /** 12, 21 or 30. */
  pageShift = 12;
  /** Leaf memory type and ignore-PAT bit. */
  memType = 0;
  ignorePat = false;
  /** EQ_READABLE | EQ_WRITABLE | EQ_EXECUTABLE (| EQ_USER_EXECUTABLE) of the entries used. */
  rightsQual = 0;
  /** Level of the leaf, or of the entry that was not present or misconfigured. */
  leafLevel = 0;
  /** Host-physical address of that entry. */
  entryPa = 0;
  /** MISCONFIG_* (EPT_MISCONFIG). */
  misconfig = 0;
  /** Host-physical addresses of the EPT entries read, in order. */
  readonly refs = new Float64Array(5);
  refCount = 0;

  constructor(
    readonly mem: PhysicalMemory,
    caps: Partial<EptCaps> = {},
  ) {
    this.caps = { ...DEFAULT_EPT_CAPS, ...caps };
    this.rules = new EptRules(this.caps);
    this.gpaLimit = 2 ** this.caps.maxPhyAddr;
    this.hiAddrMask = (2 ** (this.caps.maxPhyAddr - 32) - 1) >>> 0;
    this.mbec = this.caps.mbec;
  }

  /** 2^MAXPHYADDR: guest-physical addresses at or above it cannot be translated. */
  private readonly gpaLimit: number;
  /** Address bits 32..MAXPHYADDR-1 in an entry's high half. */
  private readonly hiAddrMask: number;
  private readonly mbec: boolean;

  /** Load an EPTP (validated as VM entry would). */
  load(eptp: bigint): void {
    const p = decodeEptp(eptp, this.caps);
    this.root = p.root;
    this.levels = p.levels;
    this.adEnable = p.adEnable;
  }

  /**
   * Translate a guest-physical address for an access (ACCESS_READ/WRITE/EXEC; `user` matters
   * only with MBEC). Returns EPT_OK, EPT_VIOLATION or EPT_MISCONFIG. Out-of-range GPAs (at or
   * above 2^MAXPHYADDR) are a violation with no entry read.
   */
  walk(gpa: number, access: number, user = false): number {
    const u32 = this.mem.u32;
    const memSize = this.mem.size;
    const refs = this.refs;
    const mbec = this.mbec;
    this.rightsQual = 0;
    this.misconfig = 0;
    if (!(gpa >= 0 && gpa < this.gpaLimit)) {
      this.refCount = 0;
      this.leafLevel = this.levels + 1;
      this.entryPa = -1;
      return EPT_VIOLATION;
    }
    const gLo = gpa >>> 0;
    const gHi = (gpa - gLo) / 0x1_0000_0000;
    const hiAddrMask = this.hiAddrMask;
    let rights = EPT_RWX | EPT_UX;
    let table = this.root;
    let n = 0;
    for (let level: number = this.levels; level >= 1; level--) {
      const shift = 3 + 9 * level;
      const idx = shift < 32 ? ((gLo >>> shift) | (shift === 30 ? gHi << 2 : 0)) & 511 : (gHi >>> (shift - 32)) & 511;
      const pa = table + idx * 8;
      refs[n++] = pa;
      if (!(pa + 8 <= memSize)) {
        this.refCount = n;
        throw new MemoryError(pa, `EPT entry is outside host memory (size 0x${memSize.toString(16)})`);
      }
      const w = pa / 4;
      const lo = u32[w]!;
      const hi = u32[w + 1]!;
      const mc = this.rules.misconfig(lo, hi, level);
      if (mc !== 0 || ((lo & EPT_RWX) === 0 && !(mbec && (lo & EPT_UX) !== 0))) {
        // Misconfigured, or not present (the AND of the rights includes this zero entry).
        this.refCount = n;
        this.entryPa = pa;
        this.leafLevel = level;
        this.misconfig = mc;
        return mc !== 0 ? EPT_MISCONFIG : EPT_VIOLATION;
      }
      rights &= lo;
      if (this.adEnable && (lo & EPT_A) === 0) u32[w] = (lo | EPT_A) >>> 0;
      const addrHi = hi & hiAddrMask;
      if (level === 1 || ((level === 2 || level === 3) && (lo & EPT_PS) !== 0)) {
        this.refCount = n;
        this.entryPa = pa;
        this.leafLevel = level;
        const offMask = PAGE_SIZES[level - 1]!.offsetMask;
        this.pageShift = shift;
        this.memType = (lo & EPT_MEMTYPE) >>> MEMTYPE_SHIFT;
        this.ignorePat = (lo & EPT_IPAT) !== 0;
        this.rightsQual = ((rights & EPT_RWX) << 3) | (mbec && (rights & EPT_UX) !== 0 ? EQ_USER_EXECUTABLE : 0);
        this.hpa = addrHi * 0x1_0000_0000 + (((lo & ~offMask & 0xfffff000) | (gLo & offMask)) >>> 0);
        let ok: boolean;
        if (access === A_READ) ok = (rights & EPT_R) !== 0;
        else if (access === A_WRITE) ok = (rights & EPT_W) !== 0;
        else if (access === A_EXEC) ok = mbec && user ? (rights & EPT_UX) !== 0 : (rights & EPT_X) !== 0;
        else ok = false;
        if (!ok) return EPT_VIOLATION;
        if (this.adEnable && access === A_WRITE && (u32[w]! & EPT_D) === 0) u32[w] = (u32[w]! | EPT_D) >>> 0;
        return EPT_OK;
      }
      table = addrHi * 0x1_0000_0000 + ((lo & 0xfffff000) >>> 0);
    }
    /* c8 ignore next */
    throw new EptError('walk', 'unreachable');
  }

  /** The exit qualification for the last EPT_VIOLATION (access bits, rights, GLA-valid/final). */
  qualification(access: number, glaValid: boolean, finalTranslation: boolean): number {
    const acc = access === A_READ ? EQ_READ : access === A_WRITE ? EQ_WRITE : EQ_FETCH;
    return acc | this.rightsQual | (glaValid ? EQ_GLA_VALID | (finalTranslation ? EQ_FINAL_TRANSLATION : 0) : 0);
  }
}

