/**
 * Extended page tables (Intel SDM Vol. 3C, "EPT" chapter — 29.3 in recent editions, 28.2 in
 * older ones), the format: EPT entries and the EPTP, the misconfiguration rules and the exit
 * qualification of an EPT violation. The walker is in ept-walker.ts, the builder (a face of the
 * radix engine) in ept-builder.ts.
 *
 * One description of the bits: EPT_ENTRY_FIELDS and EPTP_FIELDS below, in the common BitField
 * form of format.ts (the x86-64 entries use the same). Decoders, encoders, the reserved-bit
 * masks and the walker's constants are all derived from them.
 *
 * Addresses: guest-physical and host-physical addresses are below 2^MAXPHYADDR ≤ 2^52, so they
 * are plain numbers; entries are read as two 32-bit halves (no BigInt on the hot path).
 */
import { VirtkitError } from '../../errors.js';
import { KIND_ALL, KIND_LARGE, KIND_LEAF, KIND_TABLE, fieldExists, fieldBits, readField, type BitField } from '../format.js';

// ---------------------------------------------------------------------------------------------
// The one description of the bits
// ---------------------------------------------------------------------------------------------

const LEVELS_2_3 = (1 << 2) | (1 << 3);

/** EPT paging-structure entry fields (SDM Vol. 3C Tables 29-1..29-6). */
export const EPT_ENTRY_FIELDS = {
  r: { name: 'r', bit: 0, width: 1, kinds: KIND_ALL, what: 'read access' },
  w: { name: 'w', bit: 1, width: 1, kinds: KIND_ALL, what: 'write access' },
  x: { name: 'x', bit: 2, width: 1, kinds: KIND_ALL, what: 'execute access (supervisor-mode execute with mode-based execute control)' },
  memType: { name: 'memType', bit: 3, width: 3, kinds: KIND_LEAF, what: 'EPT memory type of the page (0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3, 7 reserved)' },
  ignorePat: { name: 'ignorePat', bit: 6, width: 1, kinds: KIND_LEAF, what: 'ignore the guest PAT memory type' },
  ps: { name: 'ps', bit: 7, width: 1, kinds: KIND_TABLE | KIND_LARGE, levels: LEVELS_2_3, what: 'page size: 1 in a PDE (2 MiB) or PDPTE (1 GiB) that maps a page' },
  a: { name: 'a', bit: 8, width: 1, kinds: KIND_ALL, what: 'accessed (when EPTP bit 6 enables EPT A/D)' },
  d: { name: 'd', bit: 9, width: 1, kinds: KIND_LEAF, what: 'dirty (when EPT A/D is enabled)' },
  ux: { name: 'ux', bit: 10, width: 1, kinds: KIND_ALL, what: 'user-mode execute access (mode-based execute control; ignored otherwise)' },
  suppressVe: { name: 'suppressVe', bit: 63, width: 1, kinds: KIND_LEAF, what: 'suppress #VE (ignored unless the EPT-violation #VE control is on)' },
} as const satisfies Record<string, BitField>;

export type EptFieldName = keyof typeof EPT_ENTRY_FIELDS;

/** EPTP fields (SDM Vol. 3C, "Extended-Page-Table Pointer (EPTP)"). */
export const EPTP_FIELDS = {
  memType: { name: 'memType', bit: 0, width: 3, kinds: KIND_ALL, what: 'memory type used to read EPT paging structures: 0 UC or 6 WB' },
  walkLengthMinus1: { name: 'walkLengthMinus1', bit: 3, width: 3, kinds: KIND_ALL, what: 'EPT page-walk length minus 1: 3 for 4-level EPT, 4 for 5-level EPT' },
  adEnable: { name: 'adEnable', bit: 6, width: 1, kinds: KIND_ALL, what: 'enable accessed and dirty flags for EPT' },
  sss: { name: 'sss', bit: 7, width: 1, kinds: KIND_ALL, what: 'enforcement of access rights for supervisor shadow-stack pages' },
} as const satisfies Record<string, BitField>;

/** Bits 11:8 of the EPTP are reserved; the root address occupies 12..MAXPHYADDR-1. */
const EPTP_RESERVED_LO = 0xf00;

/** First bit of the frame address in an entry at `level` that maps a page (leaf) or a table. */
export function eptAddressShift(level: number, leaf: boolean): number {
  return leaf ? 12 + 9 * (level - 1) : 12; // PAGE_SIZES[level - 1].shift for levels 1..3
}

// Masks of the low-half fields, derived from the table (the walker uses these).
function loMask(f: BitField): number {
  return f.bit >= 32 ? 0 : fieldBits(f);
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
/** Shift of the leaf memory type (bits 5:3). */
export const EPT_MEMTYPE_SHIFT = EPT_ENTRY_FIELDS.memType.bit;
const MEMTYPE_SHIFT = EPT_MEMTYPE_SHIFT;

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

export function checkMaxPhyAddr(m: number): void {
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

const getField = readField;

export function addressOf(lo: number, hi: number, shift: number, maxPhyAddr: number): number {
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
    if (!fieldExists(f, leaf ? KIND_LEAF : KIND_TABLE, level)) {
      if ((f.kinds & KIND_TABLE) === 0 && !leaf) throw new EptError(name, `only a leaf entry has ${name}; a level-${level} entry pointing to a table does not`);
      throw new EptError(name, `level ${level} has no ${name} bit`);
    }
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

