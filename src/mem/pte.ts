/**
 * x86-64 paging-structure entries (Intel SDM Vol. 3A, 4.5, tables 4-15 … 4-20), by level:
 * 5 = PML5E, 4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE. An entry is 8 little-endian bytes held as
 * two unsigned 32-bit halves, lo (bits 31:0) and hi (bits 63:32): no BigInt on the hot path.
 *
 * ENTRY_FIELDS below is the one description of the bits; encodeEntry and decodeEntry both
 * follow it, and the walker's constants (BIT_*, the reserved masks) name the same positions.
 * The same bit means different things at different levels, which is why every field says for
 * which entry kinds it exists:
 *  - KIND_TABLE: an entry that references the next table (PML5E, PML4E, PDPTE/PDE with PS = 0);
 *  - KIND_PAGE:  a PTE, mapping a 4 KiB page (bit 7 is PAT there);
 *  - KIND_LARGE: a PDPTE/PDE with PS = 1, mapping a 1 GiB/2 MiB page (PAT moves to bit 12,
 *    which is therefore not part of the frame address).
 */
import { VirtkitError } from '../errors.js';

import { KIND_ALL, KIND_LARGE, KIND_LEAF, KIND_PAGE, KIND_TABLE, LO_PS as FORMAT_PS, PAGE_SIZES, HI_ADDRESS, entryKind, fieldHalf, fieldMask, fieldShift, type BitField } from './format.js';

export { KIND_TABLE, KIND_PAGE, KIND_LARGE, entryKind };

// Bit positions (within lo unless the name says HI; HI positions are bit - 32).
export const BIT_P = 0;
export const BIT_RW = 1;
export const BIT_US = 2;
export const BIT_PWT = 3;
export const BIT_PCD = 4;
export const BIT_A = 5;
export const BIT_D = 6;
/** PS in PDPTE/PDE (must be 0 in PML4E/PML5E); PAT in a PTE. */
export const BIT_PS = 7; // format.ts LO_PS, shared with EPT
export const BIT_PAT_4K = 7;
export const BIT_G = 8;
/** PAT of a 2 MiB/1 GiB leaf. */
export const BIT_PAT_LARGE = 12;
/** Protection key, bits 62:59 = hi bits 30:27. */
export const HI_SHIFT_PKEY = 27;
/** XD, bit 63 = hi bit 31. */
export const HI_BIT_XD = 31;

// Masks in the halves (as unsigned numbers).
export const LO_P = 1 << BIT_P;
export const LO_RW = 1 << BIT_RW;
export const LO_US = 1 << BIT_US;
export const LO_PWT = 1 << BIT_PWT;
export const LO_PCD = 1 << BIT_PCD;
export const LO_A = 1 << BIT_A;
export const LO_D = 1 << BIT_D;
export const LO_PS = FORMAT_PS;
export const LO_G = 1 << BIT_G;
export const LO_PAT_LARGE = 1 << BIT_PAT_LARGE;
export const HI_XD = 0x8000_0000;
/** Frame address bits 31:12 of a table/4 KiB entry. */
export const LO_FRAME_4K = PAGE_SIZES[0]!.loFrameMask;
/** Frame address bits 31:21 of a 2 MiB leaf (bits 20:13 reserved, 12 PAT). */
export const LO_FRAME_2M = PAGE_SIZES[1]!.loFrameMask;
/** Frame address bits 31:30 of a 1 GiB leaf (bits 29:13 reserved, 12 PAT). */
export const LO_FRAME_1G = PAGE_SIZES[2]!.loFrameMask;
/** Frame address bits 51:32 (before the MAXPHYADDR check). */
export const HI_FRAME = HI_ADDRESS;
/** Reserved in a 2 MiB leaf: bits 20:13. */
export const LO_RSVD_2M = 0x001f_e000;
/** Reserved in a 1 GiB leaf: bits 29:13. */
export const LO_RSVD_1G = 0x3fff_e000;

const TWO32 = 4294967296;

export type EntryFieldName = 'p' | 'w' | 'u' | 'pwt' | 'pcd' | 'a' | 'd' | 'ps' | 'pat' | 'g' | 'avl' | 'avlHi' | 'pkey' | 'nx';

/** An x86-64 entry field, in the common format of format.ts. */
export type EntryField = BitField & { readonly name: EntryFieldName };

/**
 * Every bit of an entry except the frame address, by kind. `avl` and `avlHi` are the bits the
 * processor ignores, kept in place (not shifted) so software can use them: in a table entry
 * bits 6, 8 and 11:9 and 62:52; in a leaf bits 11:9 and 58:52 (62:59 are the protection key).
 */
export const ENTRY_FIELDS: readonly EntryField[] = [
  { name: 'p', bit: BIT_P, width: 1, kinds: KIND_ALL, what: 'P: present' },
  { name: 'w', bit: BIT_RW, width: 1, kinds: KIND_ALL, what: 'R/W: writes allowed' },
  { name: 'u', bit: BIT_US, width: 1, kinds: KIND_ALL, what: 'U/S: user-mode accesses allowed' },
  { name: 'pwt', bit: BIT_PWT, width: 1, kinds: KIND_ALL, what: 'PWT: page-level write-through' },
  { name: 'pcd', bit: BIT_PCD, width: 1, kinds: KIND_ALL, what: 'PCD: page-level cache disable' },
  { name: 'a', bit: BIT_A, width: 1, kinds: KIND_ALL, what: 'A: accessed' },
  { name: 'd', bit: BIT_D, width: 1, kinds: KIND_LEAF, what: 'D: dirty' },
  { name: 'ps', bit: BIT_PS, width: 1, kinds: KIND_TABLE | KIND_LARGE, what: 'PS: page size (reserved in PML4E/PML5E)' },
  { name: 'pat', bit: BIT_PAT_4K, width: 1, kinds: KIND_PAGE, what: 'PAT (4 KiB page)' },
  { name: 'pat', bit: BIT_PAT_LARGE, width: 1, kinds: KIND_LARGE, what: 'PAT (2 MiB/1 GiB page)' },
  { name: 'g', bit: BIT_G, width: 1, kinds: KIND_LEAF, what: 'G: global' },
  { name: 'avl', bit: 6, width: 6, inPlace: 0xf40, kinds: KIND_TABLE, what: 'ignored bits 6, 8, 11:9 (in place)' },
  { name: 'avl', bit: 9, width: 3, inPlace: 0xe00, kinds: KIND_LEAF, what: 'ignored bits 11:9 (in place)' },
  { name: 'avlHi', bit: 52, width: 11, inPlace: 0x7ff0_0000, kinds: KIND_TABLE, what: 'ignored bits 62:52 (in place in hi)' },
  { name: 'avlHi', bit: 52, width: 7, inPlace: 0x07f0_0000, kinds: KIND_LEAF, what: 'ignored bits 58:52 (in place in hi)' },
  { name: 'pkey', bit: 32 + HI_SHIFT_PKEY, width: 4, kinds: KIND_LEAF, what: 'protection key, bits 62:59' },
  { name: 'nx', bit: 32 + HI_BIT_XD, width: 1, kinds: KIND_ALL, what: 'XD: execute disable (reserved when EFER.NXE = 0)' },
];

/** A field list per kind, derived once from ENTRY_FIELDS. */
const FIELDS_BY_KIND: Record<number, readonly EntryField[]> = {
  [KIND_TABLE]: ENTRY_FIELDS.filter((f) => f.kinds & KIND_TABLE),
  [KIND_PAGE]: ENTRY_FIELDS.filter((f) => f.kinds & KIND_PAGE),
  [KIND_LARGE]: ENTRY_FIELDS.filter((f) => f.kinds & KIND_LARGE),
};

/** Frame-address mask in lo for a kind and level (big pages lose their low bits, and PAT). */
export function loFrameMask(level: number, ps: boolean): number {
  if (!ps || level === 1 || level >= 4) return LO_FRAME_4K;
  return PAGE_SIZES[level - 1]!.loFrameMask;
}

/** Page size (bytes) of a leaf at a level: 4 KiB, 2 MiB, 1 GiB. */
export function leafSize(level: number): number {
  return PAGE_SIZES[level - 1]!.size;
}

/**
 * Reserved bits in lo for a present entry at a level (SDM 4.5, tables 4-15 … 4-20): PS in a
 * PML5E/PML4E; bits 29:13 of a 1 GiB leaf; bits 20:13 of a 2 MiB leaf (bit 12 is PAT there).
 * Bits above MAXPHYADDR and XD are in hi (reservedHiMask).
 */
export function reservedLoMask(level: number, lo: number): number {
  if (level >= 4) return LO_PS;
  if ((lo & LO_PS) === 0 || level === 1) return 0;
  return level === 3 ? LO_RSVD_1G : LO_RSVD_2M;
}

/** Bits 51:MAXPHYADDR as a mask on hi (MAXPHYADDR 32..52). */
export function physReservedHi(maxPhyAddr: number): number {
  const s = maxPhyAddr - 32;
  return ((HI_FRAME >>> s) << s) >>> 0;
}

/**
 * Reserved bits in hi, the same at every level: bits 51:MAXPHYADDR, and XD when EFER.NXE = 0.
 * Bits 62:52 are ignored (or the protection key), never reserved, in 4-level/5-level paging.
 */
export function reservedHiMask(maxPhyAddr: number, nxe: boolean): number {
  return (physReservedHi(maxPhyAddr) | (nxe ? 0 : HI_XD)) >>> 0;
}

/** Physical address held in an entry (table base or page base; PAT and reserved bits excluded). */
export function entryFrame(lo: number, hi: number, level: number): number {
  const ps = level !== 1 && (lo & LO_PS) !== 0;
  return (hi & HI_FRAME) * TWO32 + ((lo & loFrameMask(level, ps)) >>> 0);
}

export class PteError extends VirtkitError {
  override name = 'PteError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`page-table entry ${field}: ${reason}`);
  }
}

/** Decoded entry: every field of the level's layout, plus the frame address. */
export interface DecodedEntry {
  level: number;
  kind: 'table' | 'page';
  /** Bytes mapped by a leaf (4096, 0x200000, 0x40000000); 0 for a table reference. */
  pageSize: number;
  p: boolean;
  w: boolean;
  u: boolean;
  pwt: boolean;
  pcd: boolean;
  a: boolean;
  /** Leaves only (ignored in table entries, reported false). */
  d: boolean;
  /** Bit 7 in levels 2..5 (reserved, must be 0, in PML4E/PML5E). */
  ps: boolean;
  /** Bit 7 in a PTE, bit 12 in a large leaf. */
  pat: boolean;
  g: boolean;
  nx: boolean;
  pkey: number;
  /** Ignored low bits in place (table: mask 0xf40, leaf: 0xe00). */
  avl: number;
  /** Ignored high bits in place in hi (table: mask 0x7ff00000, leaf: 0x07f00000). */
  avlHi: number;
  /** Physical address of the next table or of the page (PAT and reserved bits masked out). */
  frame: number;
}

/** Decode the entry (lo, hi) read at `level` (1 = PTE … 5 = PML5E). */
export function decodeEntry(lo: number, hi: number, level: number): DecodedEntry {
  if (!(level >= 1 && level <= 5)) throw new PteError('level', `${level} is not 1..5`);
  const kind = entryKind(lo, level);
  const e: DecodedEntry = {
    level,
    kind: kind === KIND_TABLE ? 'table' : 'page',
    pageSize: kind === KIND_TABLE ? 0 : leafSize(level),
    p: false, w: false, u: false, pwt: false, pcd: false, a: false, d: false, ps: false, pat: false, g: false, nx: false,
    pkey: 0, avl: 0, avlHi: 0,
    frame: entryFrame(lo, hi, level),
  };
  const rec = e as unknown as Record<string, number | boolean>;
  for (const f of FIELDS_BY_KIND[kind]!) {
    const mask = fieldMask(f);
    const v = ((fieldHalf(f) === 0 ? lo : hi) >>> fieldShift(f)) & mask;
    rec[f.name] = mask === 1 ? v === 1 : v >>> 0;
  }
  return e;
}

/** What encodeEntry takes: the frame, and any fields of the level's layout (absent = 0). */
export type EntryInput = Partial<Omit<DecodedEntry, 'level' | 'kind' | 'pageSize' | 'frame'>> & { frame: number };

export interface EntryHalves {
  lo: number;
  hi: number;
}

/**
 * Encode an entry for `level`. `ps` picks a large leaf at levels 2/3 (a PS bit at level 4/5 is
 * encoded as given, so tests can build reserved-bit faults). The frame must be aligned to what
 * the entry maps and below 2^52; every field must exist at that level.
 */
export function encodeEntry(input: EntryInput | DecodedEntry, level: number): EntryHalves {
  if (!(level >= 1 && level <= 5)) throw new PteError('level', `${level} is not 1..5`);
  const ps = level !== 1 && input.ps === true;
  const kind = level === 1 ? KIND_PAGE : ps && level <= 3 ? KIND_LARGE : KIND_TABLE;
  const align = kind === KIND_LARGE ? leafSize(level) : 0x1000;
  const frame = input.frame;
  if (!Number.isInteger(frame) || frame < 0 || frame >= 2 ** 52) throw new PteError('frame', `0x${frame.toString(16)} is not a physical address below 2^52`);
  if (frame % align !== 0) throw new PteError('frame', `0x${frame.toString(16)} is not aligned to 0x${align.toString(16)}`);
  let lo = frame % TWO32;
  let hi = Math.floor(frame / TWO32);
  const fields = FIELDS_BY_KIND[kind]!;
  const rec = input as unknown as Record<string, number | boolean | undefined>;
  for (const [name, value] of Object.entries(rec)) {
    // A DecodedEntry may be passed back as it is: its descriptive keys are not bits.
    if (value === undefined || name === 'frame' || name === 'level' || name === 'kind' || name === 'pageSize') continue;
    const f = fields.find((x) => x.name === name);
    if (!f) {
      if (value === false || value === 0) continue; // absent-at-this-level fields left 0 are fine
      throw new PteError(name, `does not exist in a level-${level} ${kind === KIND_TABLE ? 'table' : 'leaf'} entry`);
    }
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    const mask = fieldMask(f);
    if (f.inPlace === undefined) {
      if (!Number.isInteger(v) || v < 0 || v > mask) throw new PteError(name, `${v} is out of range 0..${mask}`);
      if (fieldHalf(f) === 0) lo |= v << fieldShift(f);
      else hi |= v << fieldShift(f);
    } else {
      // In-place ignored bits: must lie inside the mask.
      if (!Number.isInteger(v) || (v & ~mask) !== 0 || v < 0) throw new PteError(name, `0x${v.toString(16)} has bits outside 0x${mask.toString(16)}`);
      if (fieldHalf(f) === 0) lo |= v;
      else hi |= v;
    }
  }
  if (ps && level >= 4) lo |= LO_PS;
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

/** An entry's halves as one bigint (tools, tests, JSON). */
export function entryToBigInt(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

// ---- software swap entries (demand paging) ----
// A not-present entry (P = 0) is ignored by the processor in every other bit, so software may
// store there where the page went: bit 1 marks "swapped out", bits 50:12 hold the swap slot.
// A never-touched page has an all-zero entry.

/** Largest swap slot: 39 bits (entry bits 50:12). */
export const SWAP_SLOT_MAX = 2 ** 39 - 1;
export const SWAP_MARK = 2;

/** lo half of the swap entry for `slot`: ((slot & 0xfffff) << 12) | 2. */
export function swapPteLo(slot: number): number {
  if (!(slot >= 0 && slot <= SWAP_SLOT_MAX) || slot !== Math.floor(slot)) throw new PteError('swap slot', `${slot} is not an integer 0..2^39-1`);
  return (((slot & 0xfffff) << 12) | SWAP_MARK) >>> 0;
}

/** hi half of the swap entry for `slot`: slot >>> 20 (slot bits 38:20 → entry bits 50:32). */
export function swapPteHi(slot: number): number {
  if (!(slot >= 0 && slot <= SWAP_SLOT_MAX) || slot !== Math.floor(slot)) throw new PteError('swap slot', `${slot} is not an integer 0..2^39-1`);
  return Math.floor(slot / 0x100000) >>> 0;
}

/** A swap entry: P = 0 and the swapped-out mark set. */
export function isSwapPte(lo: number): boolean {
  return (lo & 3) === SWAP_MARK;
}

/** The slot stored in a swap entry. */
export function swapSlotOf(lo: number, hi: number): number {
  return (hi & 0x7ffff) * 0x100000 + (lo >>> 12);
}
