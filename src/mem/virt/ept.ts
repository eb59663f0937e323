/**
 * Extended page tables (Intel SDM Vol. 3C, "EPT" chapter — 29.3 in recent editions, 28.2 in
 * older ones): the codec for EPT entries and the EPTP, the misconfiguration rules, a builder
 * that maps guest-physical to host-physical pages, and the walker the two-dimensional walk and
 * the shadow-paging VMM use.
 *
 * One description of the bits: EPT_ENTRY_FIELDS and EPTP_FIELDS below. Decoders, encoders, the
 * reserved-bit masks and the walker's constants are all derived from them.
 *
 * Addresses: guest-physical and host-physical addresses are below 2^MAXPHYADDR ≤ 2^52, so they
 * are plain numbers; entries are read as two 32-bit halves (no BigInt on the hot path).
 */
import { VirtkitError } from '../../errors.js';
import { MemoryError, type PhysicalMemory, type FrameAllocator } from '../phys.js';

// ---------------------------------------------------------------------------------------------
// The one description of the bits
// ---------------------------------------------------------------------------------------------

export interface BitField {
  /** Lowest bit of the field in the 64-bit value. */
  readonly bit: number;
  readonly width: number;
  /** Where the field means something: 'all' entries, 'leaf' entries only, 'large' (PDE/PDPTE) only. */
  readonly where: 'all' | 'leaf' | 'large';
}

/** EPT paging-structure entry fields (SDM Vol. 3C Tables 29-1..29-6). */
export const EPT_ENTRY_FIELDS = {
  /** Read access. */
  r: { bit: 0, width: 1, where: 'all' },
  /** Write access. */
  w: { bit: 1, width: 1, where: 'all' },
  /** Execute access (supervisor-mode execute when mode-based execute control is on). */
  x: { bit: 2, width: 1, where: 'all' },
  /** EPT memory type of the page (leaf only; 0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3, 7 reserved). */
  memType: { bit: 3, width: 3, where: 'leaf' },
  /** Ignore the guest PAT memory type (leaf only). */
  ignorePat: { bit: 6, width: 1, where: 'leaf' },
  /** Page size: 1 in a PDE (2 MiB) or PDPTE (1 GiB) that maps a page. */
  ps: { bit: 7, width: 1, where: 'large' },
  /** Accessed (when EPTP bit 6 enables EPT A/D). */
  a: { bit: 8, width: 1, where: 'all' },
  /** Dirty (leaf only, when EPT A/D is enabled). */
  d: { bit: 9, width: 1, where: 'leaf' },
  /** User-mode execute access (mode-based execute control; ignored otherwise). */
  ux: { bit: 10, width: 1, where: 'all' },
  /** Suppress #VE (leaf only; ignored unless the EPT-violation #VE control is on). */
  suppressVe: { bit: 63, width: 1, where: 'leaf' },
} as const satisfies Record<string, BitField>;

export type EptFieldName = keyof typeof EPT_ENTRY_FIELDS;

/** EPTP fields (SDM Vol. 3C, "Extended-Page-Table Pointer (EPTP)"). */
export const EPTP_FIELDS = {
  /** Memory type used to read EPT paging structures: 0 UC or 6 WB. */
  memType: { bit: 0, width: 3, where: 'all' },
  /** EPT page-walk length minus 1: 3 for 4-level EPT, 4 for 5-level EPT. */
  walkLengthMinus1: { bit: 3, width: 3, where: 'all' },
  /** Enable accessed and dirty flags for EPT. */
  adEnable: { bit: 6, width: 1, where: 'all' },
  /** Enforcement of access rights for supervisor shadow-stack pages. */
  sss: { bit: 7, width: 1, where: 'all' },
} as const satisfies Record<string, BitField>;

/** Bits 11:8 of the EPTP are reserved; the root address occupies 12..MAXPHYADDR-1. */
const EPTP_RESERVED_LO = 0xf00;

/** First bit of the frame address in an entry at `level` that maps a page (leaf) or a table. */
export function eptAddressShift(level: number, leaf: boolean): number {
  return leaf ? 12 + 9 * (level - 1) : 12;
}

// Masks of the low-half fields, derived from the table (the walker uses these).
function loMask(f: BitField): number {
  return f.bit >= 32 ? 0 : (((1 << f.width) - 1) << f.bit) >>> 0;
}
export const EPT_R = loMask(EPT_ENTRY_FIELDS.r);
export const EPT_W = loMask(EPT_ENTRY_FIELDS.w);
export const EPT_X = loMask(EPT_ENTRY_FIELDS.x);
export const EPT_RWX = EPT_R | EPT_W | EPT_X;
export const EPT_MEMTYPE = loMask(EPT_ENTRY_FIELDS.memType);
export const EPT_IPAT = loMask(EPT_ENTRY_FIELDS.ignorePat);
export const EPT_PS = loMask(EPT_ENTRY_FIELDS.ps);
export const EPT_A = loMask(EPT_ENTRY_FIELDS.a);
export const EPT_D = loMask(EPT_ENTRY_FIELDS.d);
export const EPT_UX = loMask(EPT_ENTRY_FIELDS.ux);
const MEMTYPE_SHIFT = EPT_ENTRY_FIELDS.memType.bit;

/** EPT memory types (SDM Vol. 3C, "EPT and Memory Typing"). */
export const MT_UC = 0;
export const MT_WC = 1;
export const MT_WT = 4;
export const MT_WP = 5;
export const MT_WB = 6;
/** 2, 3 and 7 are reserved in a leaf entry: an EPT misconfiguration. */
export function isReservedMemType(t: number): boolean {
  return t === 2 || t === 3 || t === 7;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** An EPT entry or EPTP that cannot be encoded or decoded as asked, or a bad builder request. */
export class EptError extends VirtkitError {
  override name = 'EptError';
  constructor(
    readonly what: string,
    readonly reason: string,
  ) {
    super(`${what}: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Capabilities (IA32_VMX_EPT_VPID_CAP and friends) that change what is legal
// ---------------------------------------------------------------------------------------------

export interface EptCaps {
  /** MAXPHYADDR, 36..52. */
  maxPhyAddr: number;
  /** Execute-only translations supported (IA32_VMX_EPT_VPID_CAP bit 0). */
  execOnly: boolean;
  /** 1-GiB EPT pages supported (IA32_VMX_EPT_VPID_CAP bit 17). */
  pages1G: boolean;
  /** 5-level EPT supported (IA32_VMX_EPT_VPID_CAP bit 7). */
  level5: boolean;
  /** Mode-based execute control for EPT is on (bit 10 = user-execute). */
  mbec: boolean;
}

export const DEFAULT_EPT_CAPS: EptCaps = { maxPhyAddr: 52, execOnly: true, pages1G: true, level5: true, mbec: false };

function checkMaxPhyAddr(m: number): void {
  if (!Number.isInteger(m) || m < 36 || m > 52) throw new EptError('maxPhyAddr', `${m} is outside 36..52`);
}

/** Reserved-bit masks (low half, high half) of a present entry at `level`, leaf or not. */
export function eptReservedMask(level: number, leaf: boolean, maxPhyAddr: number): { lo: number; hi: number } {
  // Bits 51:MAXPHYADDR are reserved everywhere.
  const hi = maxPhyAddr >= 52 ? 0 : (((1 << (52 - maxPhyAddr)) - 1) << (maxPhyAddr - 32)) >>> 0;
  let lo = 0;
  if (!leaf) {
    // Non-leaf: bits 7:3 reserved in PML5E/PML4E, bits 6:3 in a PDPTE/PDE (bit 7 is PS = 0).
    lo = level >= 4 ? 0xf8 : 0x78;
  } else if (level > 1) {
    // Large page: address bits below the page size, from bit 12, are reserved.
    lo = (((1 << (eptAddressShift(level, true) - 12)) - 1) << 12) >>> 0;
  }
  return { lo, hi };
}

// Misconfiguration reasons (0 = none).
export const MISCONFIG_NONE = 0;
export const MISCONFIG_WRITE_WITHOUT_READ = 1;
export const MISCONFIG_EXEC_ONLY = 2;
export const MISCONFIG_RESERVED_BIT = 3;
export const MISCONFIG_MEMTYPE = 4;
export const MISCONFIG_TEXT = ['', 'write permission without read (bits 2:0 = 010b or 110b)', 'execute-only not supported', 'reserved bit set', 'reserved memory type (2, 3 or 7) in a leaf'];

/** Whether an entry at `level` is present: any of R/W/X (or user-execute with MBEC) set. */
export function eptPresent(lo: number, caps: EptCaps): boolean {
  return (lo & EPT_RWX) !== 0 || (caps.mbec && (lo & EPT_UX) !== 0);
}

/** Whether an entry at `level` (present) maps a page rather than a table. */
export function eptIsLeaf(lo: number, level: number): boolean {
  return level === 1 || ((level === 2 || level === 3) && (lo & EPT_PS) !== 0);
}

/**
 * The misconfiguration rules for one set of capabilities, with the reserved-bit masks worked out
 * once (the walker checks every entry it reads without allocating).
 */
export class EptRules {
  private readonly resLo = new Uint32Array(12);
  private readonly resHi = new Uint32Array(12);

  constructor(readonly caps: EptCaps) {
    checkMaxPhyAddr(caps.maxPhyAddr);
    for (let level = 1; level <= 5; level++) {
      for (const leaf of [false, true]) {
        const m = eptReservedMask(level, leaf, caps.maxPhyAddr);
        this.resLo[level * 2 + (leaf ? 1 : 0)] = m.lo;
        this.resHi[level * 2 + (leaf ? 1 : 0)] = m.hi;
      }
    }
  }

  /**
   * The misconfiguration (MISCONFIG_*) an entry at `level` causes when a walk uses it, or 0.
   * A PS = 1 PML4E/PML5E is a reserved bit; so is a 1-GiB leaf without the capability.
   */
  misconfig(lo: number, hi: number, level: number): number {
    const caps = this.caps;
    if ((lo & EPT_W) !== 0 && (lo & EPT_R) === 0) return MISCONFIG_WRITE_WITHOUT_READ;
    if (!caps.execOnly && (lo & EPT_R) === 0 && ((lo & EPT_X) !== 0 || (caps.mbec && (lo & EPT_UX) !== 0))) return MISCONFIG_EXEC_ONLY;
    if ((lo & EPT_RWX) === 0 && !(caps.mbec && (lo & EPT_UX) !== 0)) return MISCONFIG_NONE;
    const leaf = level === 1 || ((level === 2 || level === 3) && (lo & EPT_PS) !== 0);
    if (leaf && level === 3 && !caps.pages1G) return MISCONFIG_RESERVED_BIT;
    const k = level * 2 + (leaf ? 1 : 0);
    if ((lo & this.resLo[k]!) !== 0 || (hi & this.resHi[k]!) !== 0) return MISCONFIG_RESERVED_BIT;
    if (leaf && isReservedMemType((lo & EPT_MEMTYPE) >>> MEMTYPE_SHIFT)) return MISCONFIG_MEMTYPE;
    return MISCONFIG_NONE;
  }
}

/** The misconfiguration an entry at `level` causes when used by a walk (MISCONFIG_*), or 0. */
export function eptMisconfig(lo: number, hi: number, level: number, caps: EptCaps = DEFAULT_EPT_CAPS): number {
  return new EptRules(caps).misconfig(lo, hi, level);
}

// ---------------------------------------------------------------------------------------------
// Entry codec
// ---------------------------------------------------------------------------------------------

/** An EPT entry as plain values (tools and tests; the walker reads the bits directly). */
export interface EptEntry {
  r: boolean;
  w: boolean;
  x: boolean;
  /** Memory type (leaf only). */
  memType: number;
  ignorePat: boolean;
  /** Maps a 2 MiB / 1 GiB page (PDE / PDPTE only). */
  ps: boolean;
  a: boolean;
  d: boolean;
  ux: boolean;
  suppressVe: boolean;
  /** Physical address of the page (leaf) or of the next table. */
  address: number;
}

export interface DecodedEptEntry extends EptEntry {
  level: number;
  present: boolean;
  leaf: boolean;
  /** MISCONFIG_* this entry causes when used by a walk (0: none). */
  misconfig: number;
}

function getField(lo: number, hi: number, f: BitField): number {
  const word = f.bit >= 32 ? hi : lo;
  const shift = f.bit & 31;
  return ((word >>> shift) & ((1 << f.width) - 1)) >>> 0;
}

function addressOf(lo: number, hi: number, shift: number, maxPhyAddr: number): number {
  const loPart = (lo & ~((1 << shift) - 1) & ~0xfff) >>> 0;
  const hiBits = maxPhyAddr - 32;
  const hiPart = hi & ((1 << hiBits) - 1);
  return hiPart * 0x1_0000_0000 + loPart;
}

/** Decode the entry (lo, hi) found at `level` (1 = EPT PTE … 5 = EPT PML5E). Never throws for any bits. */
export function decodeEptEntry(lo: number, hi: number, level: number, caps: EptCaps = DEFAULT_EPT_CAPS): DecodedEptEntry {
  if (!(level >= 1 && level <= 5)) throw new EptError('level', `${level} is outside 1..5`);
  const present = eptPresent(lo, caps);
  const leaf = eptIsLeaf(lo, level);
  const e: DecodedEptEntry = {
    level,
    present,
    leaf,
    r: getField(lo, hi, EPT_ENTRY_FIELDS.r) === 1,
    w: getField(lo, hi, EPT_ENTRY_FIELDS.w) === 1,
    x: getField(lo, hi, EPT_ENTRY_FIELDS.x) === 1,
    memType: leaf ? getField(lo, hi, EPT_ENTRY_FIELDS.memType) : 0,
    ignorePat: leaf && getField(lo, hi, EPT_ENTRY_FIELDS.ignorePat) === 1,
    ps: (level === 2 || level === 3) && getField(lo, hi, EPT_ENTRY_FIELDS.ps) === 1,
    a: getField(lo, hi, EPT_ENTRY_FIELDS.a) === 1,
    d: leaf && getField(lo, hi, EPT_ENTRY_FIELDS.d) === 1,
    ux: getField(lo, hi, EPT_ENTRY_FIELDS.ux) === 1,
    suppressVe: leaf && getField(lo, hi, EPT_ENTRY_FIELDS.suppressVe) === 1,
    address: addressOf(lo, hi, eptAddressShift(level, leaf), caps.maxPhyAddr),
    misconfig: eptMisconfig(lo, hi, level, caps),
  };
  return e;
}

/**
 * Encode an entry for `level`. Fields that have no meaning at that level must be false/0 (an
 * EptError names the field); the address must be aligned to what the entry maps and fit
 * MAXPHYADDR. Encoding a write-without-read or reserved memory type is allowed on purpose
 * (tests build misconfigurations with it); decodeEptEntry(...).misconfig says what it causes.
 */
export function encodeEptEntry(e: Partial<EptEntry>, level: number, maxPhyAddr = 52): { lo: number; hi: number } {
  if (!(level >= 1 && level <= 5)) throw new EptError('level', `${level} is outside 1..5`);
  checkMaxPhyAddr(maxPhyAddr);
  const ps = e.ps === true;
  if (ps && level !== 2 && level !== 3) throw new EptError('ps', `a level-${level} EPT entry cannot map a page (PS only in a PDE or PDPTE)`);
  const leaf = level === 1 || ps;
  let lo = 0;
  let hi = 0;
  for (const name of Object.keys(EPT_ENTRY_FIELDS) as EptFieldName[]) {
    const f: BitField = EPT_ENTRY_FIELDS[name];
    const raw = e[name];
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : (raw ?? 0);
    if (!Number.isInteger(v) || v < 0 || v >= 1 << f.width) throw new EptError(name, `${String(raw)} does not fit ${f.width} bit(s)`);
    if (v === 0) continue;
    if (f.where === 'leaf' && !leaf) throw new EptError(name, `only a leaf entry has ${name}; a level-${level} entry pointing to a table does not`);
    if (f.where === 'large' && level !== 2 && level !== 3) throw new EptError(name, `level ${level} has no ${name} bit`);
    if (f.bit >= 32) hi |= v << (f.bit - 32);
    else lo |= v << f.bit;
  }
  const addr = e.address ?? 0;
  const shift = eptAddressShift(level, leaf);
  if (!Number.isInteger(addr) || addr < 0 || addr >= 2 ** maxPhyAddr) throw new EptError('address', `0x${addr.toString(16)} is outside MAXPHYADDR ${maxPhyAddr}`);
  if (addr % 2 ** shift !== 0) throw new EptError('address', `0x${addr.toString(16)} is not aligned to ${2 ** shift} bytes`);
  lo |= addr % 0x1_0000_0000;
  hi |= Math.floor(addr / 0x1_0000_0000);
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

/** The entry as one 64-bit value (tools and JSON). */
export function eptEntryToBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

// ---------------------------------------------------------------------------------------------
// EPTP codec
// ---------------------------------------------------------------------------------------------

export interface Eptp {
  /** 0 (UC) or 6 (WB). */
  memType: number;
  /** 4 or 5 (page-walk length minus 1 = 3 or 4 in the EPTP). */
  levels: 4 | 5;
  adEnable: boolean;
  sss: boolean;
  /** Physical address of the EPT PML4 (or PML5) table. */
  root: number;
}

function fieldBig(v: bigint, f: BitField): number {
  return Number((v >> BigInt(f.bit)) & ((1n << BigInt(f.width)) - 1n));
}

/** Decode an EPTP; an invalid one (VM entry would fail) is an EptError naming the field. */
export function decodeEptp(v: bigint, caps: EptCaps = DEFAULT_EPT_CAPS): Eptp {
  checkMaxPhyAddr(caps.maxPhyAddr);
  if (v < 0n || v >= 1n << 64n) throw new EptError('eptp', 'not a 64-bit value');
  const memType = fieldBig(v, EPTP_FIELDS.memType);
  if (memType !== MT_UC && memType !== MT_WB) throw new EptError('eptp.memType', `${memType} is not 0 (UC) or 6 (WB)`);
  const wl = fieldBig(v, EPTP_FIELDS.walkLengthMinus1);
  if (wl !== 3 && !(wl === 4 && caps.level5)) throw new EptError('eptp.walkLengthMinus1', `${wl} is not ${caps.level5 ? '3 or 4' : '3'}`);
  if ((Number(v & 0xfffn) & EPTP_RESERVED_LO) !== 0) throw new EptError('eptp', 'reserved bits 11:8 are set');
  if (v >> BigInt(caps.maxPhyAddr) !== 0n) throw new EptError('eptp', `bits 63:${caps.maxPhyAddr} are reserved and set`);
  return {
    memType,
    levels: (wl + 1) as 4 | 5,
    adEnable: fieldBig(v, EPTP_FIELDS.adEnable) === 1,
    sss: fieldBig(v, EPTP_FIELDS.sss) === 1,
    root: Number(v & ~0xfffn),
  };
}

export function encodeEptp(p: Partial<Eptp> & { root: number }, caps: EptCaps = DEFAULT_EPT_CAPS): bigint {
  const memType = p.memType ?? MT_WB;
  if (memType !== MT_UC && memType !== MT_WB) throw new EptError('eptp.memType', `${memType} is not 0 (UC) or 6 (WB)`);
  const levels = p.levels ?? 4;
  if (levels !== 4 && !(levels === 5 && caps.level5)) throw new EptError('eptp.levels', `${String(levels)} is not ${caps.level5 ? '4 or 5' : '4'}`);
  if (!Number.isInteger(p.root) || p.root < 0 || p.root % 4096 !== 0 || p.root >= 2 ** caps.maxPhyAddr) {
    throw new EptError('eptp.root', `0x${p.root.toString(16)} is not a 4 KiB-aligned address below 2^${caps.maxPhyAddr}`);
  }
  const put = (f: BitField, x: number): bigint => BigInt(x) << BigInt(f.bit);
  return (
    put(EPTP_FIELDS.memType, memType) |
    put(EPTP_FIELDS.walkLengthMinus1, levels - 1) |
    put(EPTP_FIELDS.adEnable, p.adEnable ? 1 : 0) |
    put(EPTP_FIELDS.sss, p.sss ? 1 : 0) |
    BigInt(p.root)
  );
}

// ---------------------------------------------------------------------------------------------
// Exit qualification for EPT violations (SDM Vol. 3C Table 28-7, "Exit Qualification for EPT
// Violations")
// ---------------------------------------------------------------------------------------------

export const EQ_READ = 1 << 0;
export const EQ_WRITE = 1 << 1;
export const EQ_FETCH = 1 << 2;
/** The guest-physical address was readable: AND of bit 0 of the EPT entries used. */
export const EQ_READABLE = 1 << 3;
export const EQ_WRITABLE = 1 << 4;
export const EQ_EXECUTABLE = 1 << 5;
/** User-mode executable (AND of bit 10), only with mode-based execute control. */
export const EQ_USER_EXECUTABLE = 1 << 6;
/** The guest linear-address field is valid. */
export const EQ_GLA_VALID = 1 << 7;
/** With bit 7: 1 = the access was to the translation of the linear address (the final GPA), 0 = to a guest paging-structure entry. */
export const EQ_FINAL_TRANSLATION = 1 << 8;

export const EQ_BITS: Record<string, number> = {
  read: EQ_READ,
  write: EQ_WRITE,
  fetch: EQ_FETCH,
  readable: EQ_READABLE,
  writable: EQ_WRITABLE,
  executable: EQ_EXECUTABLE,
  userExecutable: EQ_USER_EXECUTABLE,
  glaValid: EQ_GLA_VALID,
  finalTranslation: EQ_FINAL_TRANSLATION,
};

/** Names of the bits set in an exit qualification (tools, JSON). */
export function describeExitQualification(q: number): string[] {
  return Object.entries(EQ_BITS)
    .filter(([, b]) => (q & b) !== 0)
    .map(([n]) => n);
}

// ---------------------------------------------------------------------------------------------
// Walker
// ---------------------------------------------------------------------------------------------

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
        const offMask = shift === 12 ? 0xfff : shift === 21 ? 0x1f_ffff : 0x3fff_ffff;
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

// ---------------------------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------------------------

export type EptPageSize = 4096 | 0x200000 | 0x40000000;

export interface EptPerms {
  r?: boolean;
  w?: boolean;
  x?: boolean;
  ux?: boolean;
  /** Default 6 (WB). */
  memType?: number;
  ignorePat?: boolean;
}

const SIZE_LEVEL: Record<number, number> = { 4096: 1, 0x200000: 2, 0x40000000: 3 };

/**
 * Builds EPT tables in host memory: map(gpa, hpa, size, perms). Tables come from `allocator`
 * (host frames the guest cannot reach). Non-leaf entries grant R/W/X (and UX), so a leaf's
 * permissions are the effective ones.
 */
export class EptBuilder {
  readonly root: number;
  readonly levels: 4 | 5;
  readonly maxPhyAddr: number;
  private readonly frames: number[] = [];

  constructor(
    readonly mem: PhysicalMemory,
    readonly allocator: FrameAllocator,
    opts: { levels?: 4 | 5; maxPhyAddr?: number; adEnable?: boolean; memType?: number } = {},
  ) {
    this.levels = opts.levels ?? 4;
    this.maxPhyAddr = opts.maxPhyAddr ?? 52;
    checkMaxPhyAddr(this.maxPhyAddr);
    this.adEnable = opts.adEnable ?? false;
    this.memType = opts.memType ?? MT_WB;
    this.root = this.newTable();
  }

  readonly adEnable: boolean;
  readonly memType: number;

  /** The EPTP that points at these tables. */
  get eptp(): bigint {
    return encodeEptp({ root: this.root, levels: this.levels, adEnable: this.adEnable, memType: this.memType }, { ...DEFAULT_EPT_CAPS, maxPhyAddr: this.maxPhyAddr });
  }

  private newTable(): number {
    const pa = this.allocator.alloc();
    this.frames.push(pa);
    return pa;
  }

  private index(gpa: number, level: number): number {
    return Math.floor(gpa / 2 ** (3 + 9 * level)) % 512;
  }

  private checkGpa(gpa: number, what: string): void {
    if (!Number.isInteger(gpa) || gpa < 0 || gpa >= 2 ** Math.min(this.maxPhyAddr, 12 + 9 * this.levels)) {
      throw new EptError(what, `0x${gpa.toString(16)} is not a guest-physical address below 2^${this.maxPhyAddr}`);
    }
  }

  /** Map [gpa, gpa+size) to [hpa, hpa+size). An EptError on misalignment or a conflicting mapping. */
  map(gpa: number, hpa: number, size: EptPageSize, perms: EptPerms): void {
    const leafLevel = SIZE_LEVEL[size];
    if (leafLevel === undefined) throw new EptError('size', `${String(size)} is not 4096, 2 MiB or 1 GiB`);
    this.checkGpa(gpa, 'gpa');
    if (gpa % size !== 0) throw new EptError('gpa', `0x${gpa.toString(16)} is not aligned to the page size 0x${size.toString(16)}`);
    if (hpa % size !== 0) throw new EptError('hpa', `0x${hpa.toString(16)} is not aligned to the page size 0x${size.toString(16)}`);
    const { lo, hi } = encodeEptEntry(
      { r: perms.r ?? false, w: perms.w ?? false, x: perms.x ?? false, ux: perms.ux ?? false, memType: perms.memType ?? MT_WB, ignorePat: perms.ignorePat ?? false, ps: leafLevel > 1, address: hpa },
      leafLevel,
      this.maxPhyAddr,
    );
    if ((lo & (EPT_RWX | EPT_UX)) === 0) throw new EptError('perms', 'a mapping needs at least one of r, w, x (or ux)');
    let table = this.root;
    for (let level: number = this.levels; level > leafLevel; level--) {
      const pa = table + this.index(gpa, level) * 8;
      const eLo = this.mem.readLo(pa);
      const eHi = this.mem.readHi(pa);
      if ((eLo & (EPT_RWX | EPT_UX)) === 0) {
        const t = this.newTable();
        const link = encodeEptEntry({ r: true, w: true, x: true, ux: true, address: t }, level, this.maxPhyAddr);
        this.mem.write64(pa, link.lo, link.hi);
        table = t;
      } else {
        if (eptIsLeaf(eLo, level)) throw new EptError('gpa', `0x${gpa.toString(16)} is already inside a ${level === 3 ? '1 GiB' : '2 MiB'} mapping`);
        table = addressOf(eLo, eHi, 12, this.maxPhyAddr);
      }
    }
    const pa = table + this.index(gpa, leafLevel) * 8;
    const old = this.mem.readLo(pa);
    if ((old & (EPT_RWX | EPT_UX)) !== 0) throw new EptError('gpa', `0x${gpa.toString(16)} is already mapped at level ${leafLevel}`);
    this.mem.write64(pa, lo, hi);
  }

  /** Host-physical address of the leaf entry mapping gpa (present or not, deepest table), or -1. */
  leafEntryAddress(gpa: number): number {
    this.checkGpa(gpa, 'gpa');
    let table = this.root;
    for (let level: number = this.levels; level >= 1; level--) {
      const pa = table + this.index(gpa, level) * 8;
      const lo = this.mem.readLo(pa);
      if (level === 1 || (lo & (EPT_RWX | EPT_UX)) === 0 || eptIsLeaf(lo, level)) return pa;
      table = addressOf(lo, this.mem.readHi(pa), 12, this.maxPhyAddr);
    }
    return -1;
  }

  /** Host-physical address of the entry at `level` on the path to gpa, or -1 when the path stops earlier. */
  entryAddress(gpa: number, level: number): number {
    this.checkGpa(gpa, 'gpa');
    let table = this.root;
    for (let l: number = this.levels; l >= level; l--) {
      const pa = table + this.index(gpa, l) * 8;
      if (l === level) return pa;
      const lo = this.mem.readLo(pa);
      if ((lo & (EPT_RWX | EPT_UX)) === 0 || eptIsLeaf(lo, l)) return -1;
      table = addressOf(lo, this.mem.readHi(pa), 12, this.maxPhyAddr);
    }
    return -1;
  }

  private presentLeaf(gpa: number): { pa: number; level: number } {
    const pa = this.leafEntryAddress(gpa);
    const lo = this.mem.readLo(pa);
    if ((lo & (EPT_RWX | EPT_UX)) === 0) throw new EptError('gpa', `0x${gpa.toString(16)} is not mapped`);
    let level = 1;
    for (let l = 1; l <= this.levels; l++) if (this.entryAddress(gpa, l) === pa) level = l;
    return { pa, level };
  }

  /** Clear the leaf entry covering gpa. */
  unmap(gpa: number): void {
    const { pa } = this.presentLeaf(gpa);
    this.mem.write64(pa, 0, 0);
  }

  /** Rewrite the permissions and memory type of the leaf covering gpa (address kept). */
  protect(gpa: number, perms: EptPerms): void {
    const { pa, level } = this.presentLeaf(gpa);
    const cur = decodeEptEntry(this.mem.readLo(pa), this.mem.readHi(pa), level, { ...DEFAULT_EPT_CAPS, maxPhyAddr: this.maxPhyAddr });
    const { lo, hi } = encodeEptEntry(
      { ...cur, r: perms.r ?? false, w: perms.w ?? false, x: perms.x ?? false, ux: perms.ux ?? false, memType: perms.memType ?? MT_WB, ignorePat: perms.ignorePat ?? false },
      level,
      this.maxPhyAddr,
    );
    if ((lo & (EPT_RWX | EPT_UX)) === 0) throw new EptError('perms', 'use unmap() to remove every permission');
    this.mem.write64(pa, lo, hi);
  }

  /** Frames holding EPT tables. */
  tableFrames(): number[] {
    return [...this.frames];
  }

  /** Bytes of EPT tables. */
  get tableBytes(): number {
    return this.frames.length * 4096;
  }
}
