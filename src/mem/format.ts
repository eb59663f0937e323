/**
 * The one description of paging-structure entries and page sizes, shared by x86-64 paging
 * (pte.ts) and EPT (virt/ept-format.ts), and by the radix-table engine (radix.ts) that builds
 * both kinds of tables.
 *
 * Both formats are 8-byte entries in 4 KiB tables of 512, indexed by 9 address bits per level
 * from bit 12 up; both use bit 7 (PS) at levels 2 and 3 for a 2 MiB / 1 GiB leaf and bits 51:12
 * for the next table's address. They differ in what "present" means and in the other bits,
 * which each format lists as BitFields.
 */

/** Entry kinds a field exists in (bit set). */
export const KIND_TABLE = 1;
/** A level-1 entry, mapping a 4 KiB page. */
export const KIND_PAGE = 2;
/** A level-2/3 entry with PS = 1, mapping a 2 MiB / 1 GiB page. */
export const KIND_LARGE = 4;
export const KIND_LEAF = KIND_PAGE | KIND_LARGE;
export const KIND_ALL = KIND_TABLE | KIND_PAGE | KIND_LARGE;

/** One field of an entry: its lowest bit (0..63), width, and the entry kinds it exists in. */
export interface BitField {
  readonly name: string;
  readonly bit: number;
  readonly width: number;
  /** KIND_* bits of the entries in which these bits mean this. */
  readonly kinds: number;
  /** Levels (bit l for level l, 1..5) at which the field exists; absent: every level. */
  readonly levels?: number;
  /**
   * For groups of ignored bits kept in place (not shifted): the bits, within the 32-bit half
   * holding `bit`. Absent for ordinary fields.
   */
  readonly inPlace?: number;
  /** SDM name and meaning. */
  readonly what: string;
}

/** Which half (0 = bits 31:0, 1 = bits 63:32) a field is in, its shift there and its mask after shifting. */
export function fieldHalf(f: BitField): 0 | 1 {
  return f.bit >= 32 ? 1 : 0;
}
export function fieldShift(f: BitField): number {
  return f.inPlace !== undefined ? 0 : f.bit & 31;
}
export function fieldMask(f: BitField): number {
  if (f.inPlace !== undefined) return f.inPlace >>> 0;
  return f.width >= 32 ? 0xffff_ffff : (2 ** f.width - 1) >>> 0;
}
/** The field's bits in place in its half (a mask on lo or hi). */
export function fieldBits(f: BitField): number {
  return f.inPlace !== undefined ? f.inPlace >>> 0 : (fieldMask(f) << fieldShift(f)) >>> 0;
}
/** Whether the field exists in an entry of `kind` at `level`. */
export function fieldExists(f: BitField, kind: number, level: number): boolean {
  return (f.kinds & kind) !== 0 && (f.levels === undefined || ((f.levels >>> level) & 1) === 1);
}
/** The field's value in an entry (lo, hi). */
export function readField(lo: number, hi: number, f: BitField): number {
  return (((fieldHalf(f) === 0 ? lo : hi) >>> fieldShift(f)) & fieldMask(f)) >>> 0;
}

/** Bit 7: PS, a leaf at levels 2 and 3, in both formats. */
export const LO_PS = 0x80;

/** The kind of an entry at a level: PS decides at levels 2 and 3; level 1 maps pages; 4/5 reference tables. */
export function entryKind(lo: number, level: number): number {
  if (level === 1) return KIND_PAGE;
  if ((level === 2 || level === 3) && (lo & LO_PS) !== 0) return KIND_LARGE;
  return KIND_TABLE;
}

// ---------------------------------------------------------------------------------------------
// Page sizes
// ---------------------------------------------------------------------------------------------

export interface PageSizeInfo {
  /** SIZE_* index (TLB arrays, statistics). */
  readonly index: number;
  /** Level of the leaf mapping a page of this size. */
  readonly level: number;
  readonly shift: 12 | 21 | 30;
  readonly size: 0x1000 | 0x20_0000 | 0x4000_0000;
  readonly name: '4K' | '2M' | '1G';
  /** Offset bits (size − 1), all within the low 32 bits. */
  readonly offsetMask: number;
  /** Frame bits of a leaf's low half (bits 31:shift); bit 12 of a large leaf is PAT, not address. */
  readonly loFrameMask: number;
  /** 2^(32 − shift): the weight of an address's high half in its page number. */
  readonly vpnScale: number;
}

function pageSize(index: number, shift: 12 | 21 | 30, name: '4K' | '2M' | '1G'): PageSizeInfo {
  const size = 2 ** shift;
  return {
    index,
    level: index + 1,
    shift,
    size: size as PageSizeInfo['size'],
    name,
    offsetMask: size - 1,
    loFrameMask: (0xffff_ffff - (size - 1)) >>> 0,
    vpnScale: 2 ** (32 - shift),
  };
}

/** The one page-size table: 4 KiB (level 1), 2 MiB (level 2), 1 GiB (level 3). */
export const PAGE_SIZES: readonly PageSizeInfo[] = [pageSize(0, 12, '4K'), pageSize(1, 21, '2M'), pageSize(2, 30, '1G')];

export const SIZE_4K = 0;
export const SIZE_2M = 1;
export const SIZE_1G = 2;

/** The page size a leaf at `level` (1..3) maps. */
export function pageSizeOfLevel(level: number): PageSizeInfo {
  return PAGE_SIZES[level - 1]!;
}

/** The page-size entry for a size in bytes, or undefined. */
export function pageSizeOfBytes(size: number): PageSizeInfo | undefined {
  return PAGE_SIZES.find((p) => p.size === size);
}

/** SIZE_* index of a page shift (12, 21, 30). */
export function sizeIndexOfShift(shift: number): number {
  return shift === 12 ? SIZE_4K : shift === 21 ? SIZE_2M : SIZE_1G;
}

/** "4K", "2M", "1G", or the number for any other size. */
export function sizeName(size: number): string {
  return pageSizeOfBytes(size)?.name ?? String(size);
}

/** Bits 51:32 of a table or page address (the high half of bits 51:12). */
export const HI_ADDRESS = 0x000f_ffff;

/**
 * Check a literal used on a fast path against the value the tables give, at module load: a
 * hand-fused loop may spell 0xfff or 12 for speed, but never differently from the description.
 */
export function assertLiteral(what: string, literal: number, fromTables: number): void {
  if (literal !== fromTables) throw new Error(`fast-path literal ${what} = 0x${literal.toString(16)} disagrees with the tables (0x${fromTables.toString(16)})`);
}
