/**
 * Builds x86-64 page tables in physical memory the way an operating system does: map, unmap
 * and re-protect 4 KiB, 2 MiB and 1 GiB pages, creating intermediate tables on demand. The
 * intermediate entries are present, writable and user, so the leaf alone decides the rights.
 * Every conflict or bad argument is a BuilderError naming the address and what is wrong.
 */
import { VirtkitError } from '../errors.js';
import { FrameAllocator, MemoryError, type PhysicalMemory } from './phys.js';
import { encodeEntry, entryFrame, LO_P, LO_RW, LO_US, leafSize } from './pte.js';
import { pageSizeOfBytes, sizeName } from './format.js';
import { MAP_ALREADY, MAP_INSIDE_LARGE, MAP_OK, MAP_TABLE_BELOW, MappingLimitError, RadixTables, type RadixFormat, type RadixWalkLimits } from './radix.js';
import { formatVa, isCanonical, vaHi, vaLo } from './va.js';

export { sizeName };

export type PageSize = 4096 | 0x200000 | 0x40000000;

export interface PageFlags {
  w?: boolean;
  u?: boolean;
  pwt?: boolean;
  pcd?: boolean;
  a?: boolean;
  d?: boolean;
  g?: boolean;
  nx?: boolean;
  pat?: boolean;
  pkey?: number;
}

export class BuilderError extends VirtkitError {
  override name = 'BuilderError';
  constructor(
    /** The virtual address the operation was about (unsigned 64-bit). */
    readonly va: bigint,
    readonly reason: string,
  ) {
    super(`va ${formatVa(va)}: ${reason}`);
  }
}

const TWO32 = 4294967296;

// ---- CR3 (SDM 4.5: with CR4.PCIDE = 1, bits 11:0 are the PCID; the root table is 4 KiB aligned) ----

/** CR3 value from the root table's physical address and a PCID (0..4095). */
export function makeCr3(rootPa: number, pcid = 0): number {
  if (!Number.isInteger(rootPa) || rootPa < 0 || rootPa >= 2 ** 52 || rootPa % 4096 !== 0) {
    throw new VirtkitError(`cr3: root table address 0x${rootPa.toString(16)} is not a 4 KiB-aligned physical address`);
  }
  if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff) throw new VirtkitError(`cr3: PCID ${pcid} is out of range 0..4095`);
  return rootPa + pcid;
}

/** Root-table address in a CR3 value (PCID bits 11:0 dropped). */
export function cr3Root(cr3: number): number {
  return cr3 - (cr3 % 4096);
}

/** PCID in a CR3 value (bits 11:0). */
export function cr3Pcid(cr3: number): number {
  return cr3 % 4096;
}

export function splitCr3(cr3: number): { root: number; pcid: number } {
  return { root: cr3Root(cr3), pcid: cr3Pcid(cr3) };
}

/** x86-64 entries for the radix engine: present = P; a table link is present, writable and user. */
export const X86_RADIX: RadixFormat = {
  present: (lo) => (lo & LO_P) !== 0,
  link: (pa) => ({ lo: ((pa % TWO32) | LO_P | LO_RW | LO_US) >>> 0, hi: Math.floor(pa / TWO32) }),
};

export class PageTableBuilder {
  readonly cr3: number;
  readonly levels: 4 | 5;
  readonly allocator: FrameAllocator;
  readonly maxPhyAddr: number;

  constructor(
    readonly mem: PhysicalMemory,
    opts: { levels?: 4 | 5; tablesAt?: number; tablesEnd?: number; maxPhyAddr?: number; allocator?: FrameAllocator } = {},
  ) {
    const levels = opts.levels ?? 4;
    if (levels !== 4 && levels !== 5) throw new BuilderError(0n, `levels must be 4 or 5, not ${String(levels)}`);
    this.levels = levels;
    const maxPhyAddr = opts.maxPhyAddr ?? 52;
    if (!Number.isInteger(maxPhyAddr) || maxPhyAddr < 32 || maxPhyAddr > 52) throw new BuilderError(0n, `maxPhyAddr ${maxPhyAddr} is out of range 32..52`);
    this.maxPhyAddr = maxPhyAddr;
    this.allocator = opts.allocator ?? new FrameAllocator(mem, opts.tablesAt ?? 0x100000, opts.tablesEnd ?? mem.size);
    this.cr3 = this.allocTable(0n);
    this.tables = new RadixTables(mem, X86_RADIX, this.cr3, levels, () => this.allocTable(this.mapping));
  }

  /** The engine doing the work. */
  readonly tables: RadixTables;
  /** The address being mapped (for the message if no frame is left for a table). */
  private mapping = 0n;

  private allocTable(va: bigint): number {
    try {
      return this.allocator.alloc();
    } catch (e) {
      if (e instanceof MemoryError) throw new BuilderError(va, `no frame left for a page table (${e.reason})`);
      throw e;
    }
  }

  private checkVa(va: bigint): void {
    if (!isCanonical(va, this.levels)) throw new BuilderError(va, `not canonical for ${this.levels}-level paging (bits 63:${this.levels === 5 ? 56 : 47} must be equal)`);
  }

  /** Map [va, va+size) to [pa, pa+size). */
  map(va: bigint, pa: number, size: PageSize, flags: PageFlags): void {
    this.checkVa(va);
    const leafLevel = pageSizeOfBytes(size)?.level;
    if (leafLevel === undefined) throw new BuilderError(va, `page size ${String(size)} is not 4K, 2M or 1G`);
    const name = sizeName(size);
    if (BigInt.asUintN(64, va) % BigInt(size) !== 0n) throw new BuilderError(va, `not aligned to its ${name} page`);
    if (!Number.isInteger(pa) || pa < 0) throw new BuilderError(va, `pa ${String(pa)} is not a physical address`);
    if (pa % size !== 0) throw new BuilderError(va, `pa 0x${pa.toString(16)} is not aligned to its ${name} page`);
    if (pa + size > 2 ** this.maxPhyAddr) throw new BuilderError(va, `pa 0x${pa.toString(16)} + ${name} is beyond MAXPHYADDR (${this.maxPhyAddr} bits)`);
    if (flags.pkey !== undefined && !(Number.isInteger(flags.pkey) && flags.pkey >= 0 && flags.pkey <= 15)) throw new BuilderError(va, `pkey ${flags.pkey} is out of range 0..15`);
    const e = this.leafEntry(va, pa, leafLevel, flags);
    this.mapping = va;
    const r = this.tables.map(vaHi(va), vaLo(va), leafLevel, e.lo, e.hi);
    if (r === MAP_OK) return;
    const at = this.tables.stopLevel;
    if (r === MAP_INSIDE_LARGE) throw new BuilderError(va, `overlaps the ${sizeName(leafSize(at))} page already mapped at ${formatVa(RadixTables.pageBase(va, at))}`);
    if (r === MAP_TABLE_BELOW) throw new BuilderError(va, `a page table is already there (smaller pages are mapped inside this ${name} range)`);
    if (r === MAP_ALREADY) throw new BuilderError(va, `already mapped (${sizeName(leafSize(at))} page at ${formatVa(RadixTables.pageBase(va, at))})`);
  }

  private leafEntry(va: bigint, pa: number, level: number, f: PageFlags): { lo: number; hi: number } {
    try {
      return encodeEntry(
        { frame: pa, p: true, ps: level > 1, w: f.w, u: f.u, pwt: f.pwt, pcd: f.pcd, a: f.a, d: f.d, g: f.g, nx: f.nx, pat: f.pat, pkey: f.pkey },
        level,
      );
    } catch (e) {
      if (e instanceof VirtkitError) throw new BuilderError(va, e.message);
      throw e;
    }
  }

  /** Clears the leaf covering va (tables stay, empty or not, as most kernels leave them). */
  unmap(va: bigint): void {
    this.checkVa(va);
    if (!this.tables.unmap(vaHi(va), vaLo(va))) throw new BuilderError(va, 'cannot unmap: not mapped');
  }

  /** Rewrites the flags of the leaf covering va; its frame and page size stay. */
  protect(va: bigint, flags: PageFlags): void {
    this.checkVa(va);
    if (flags.pkey !== undefined && !(Number.isInteger(flags.pkey) && flags.pkey >= 0 && flags.pkey <= 15)) throw new BuilderError(va, `pkey ${flags.pkey} is out of range 0..15`);
    const done = this.tables.protect(vaHi(va), vaLo(va), (lo, hi, level) => this.leafEntry(va, entryFrame(lo, hi, level), level, flags));
    if (!done) throw new BuilderError(va, 'cannot protect: not mapped');
  }

  /** Physical address of the entry at `level` (1 = PTE … 5) on the path to va, or -1 when the path stops earlier. */
  entryAddress(va: bigint, level: number): number {
    if (!Number.isInteger(level) || level < 1 || level > this.levels) throw new BuilderError(va, `level ${level} is not 1..${this.levels}`);
    const ea = this.descend(va, level);
    return this.descendLevel === level ? ea : -1;
  }

  /** Physical address of the leaf entry mapping va (present or not, at the deepest existing table), or -1. */
  leafEntryAddress(va: bigint): number {
    return this.descend(va, 1);
  }

  private descend(va: bigint, level: number): number {
    if (!isCanonical(va, this.levels)) return -1;
    const ea = this.tables.descend(vaHi(va), vaLo(va), level);
    this.descendLevel = this.tables.stopLevel;
    return ea;
  }

  /** Level of the entry descend() last returned. */
  private descendLevel = 0;

  /** Frames holding page tables (for shadow paging's write protection and size reports), ascending. */
  tableFrames(): number[] {
    return this.tables.tableFrames();
  }
}

/** One present leaf found by listMappings. */
export interface LeafMapping {
  /** Unsigned 64-bit virtual address, sign-extended (upper half: 0xffff8000…). */
  va: bigint;
  pa: number;
  size: number;
  level: number;
  entryPa: number;
  lo: number;
  hi: number;
}

/** A table entry that points back at a table already on the path from cr3 to it (a loop). */
export interface TableLoop {
  loop: true;
  /** Virtual address the entry covers (sign-extended, as LeafMapping.va). */
  va: bigint;
  /** Level of the entry (4 = PML4E …) and where it is. */
  level: number;
  entryPa: number;
  /** The table it points to, which the path has already gone through. */
  table: number;
}

/** Bounds on the work of walkMappings over a hostile image (the radix engine's). */
export type MappingWalkLimits = RadixWalkLimits;

export { MappingLimitError };

/**
 * Every present leaf reachable from cr3, in virtual-address order (lower half, then upper half,
 * which is index order once addresses are sign-extended), one at a time: a caller can stream
 * them out. PS in a PML4E/PML5E is reserved; such an entry is reported as a leaf nowhere and
 * its subtree is not walked (the walker faults on it).
 *
 * An image is data, possibly hostile: an entry pointing at a table already on its own path (a
 * self-map, or a loop) is yielded as a TableLoop and not descended into, and the counts of
 * leaves and of tables visited are bounded (MappingLimitError), since aliased tables multiply
 * the leaves up to 512^levels. Depth is bounded by `levels`: no recursion on the data.
 */
export function* walkMappings(mem: PhysicalMemory, cr3: number, levels: 4 | 5, limits: MappingWalkLimits = {}): Generator<LeafMapping | TableLoop> {
  const vaBits = levels === 5 ? 57 : 48;
  const signExtend = (va: bigint): bigint => BigInt.asUintN(64, BigInt.asIntN(vaBits, va));
  const tables = new RadixTables(mem, X86_RADIX, cr3Root(cr3), levels, () => {
    throw new MemoryError(0, 'listing allocates nothing');
  });
  for (const e of tables.entries(limits)) {
    if (e.loop) yield { loop: true, va: signExtend(e.addr), level: e.level, entryPa: e.entryPa, table: e.table };
    else yield { va: signExtend(e.addr), pa: entryFrame(e.lo, e.hi, e.level), size: leafSize(e.level), level: e.level, entryPa: e.entryPa, lo: e.lo, hi: e.hi };
  }
}

/** Every present leaf reachable from cr3 (walkMappings without the loops), in one array. */
export function listMappings(mem: PhysicalMemory, cr3: number, levels: 4 | 5, limits?: MappingWalkLimits): LeafMapping[] {
  const out: LeafMapping[] = [];
  for (const m of walkMappings(mem, cr3, levels, limits)) if (!('loop' in m)) out.push(m);
  return out;
}
