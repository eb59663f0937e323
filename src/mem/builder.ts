/**
 * Builds x86-64 page tables in physical memory the way an operating system does: map, unmap
 * and re-protect 4 KiB, 2 MiB and 1 GiB pages, creating intermediate tables on demand. The
 * intermediate entries are present, writable and user, so the leaf alone decides the rights.
 * Every conflict or bad argument is a BuilderError naming the address and what is wrong.
 */
import { VirtkitError } from '../errors.js';
import { FrameAllocator, MemoryError, type PhysicalMemory } from './phys.js';
import { encodeEntry, entryFrame, LO_P, LO_PS, LO_RW, LO_US, LO_FRAME_4K, HI_FRAME, leafSize } from './pte.js';
import { formatVa, isCanonical, tableIndex, vaHi, vaLo } from './va.js';

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

const SIZE_LEVEL: Record<number, number> = { 4096: 1, 0x200000: 2, 0x40000000: 3 };

export function sizeName(size: number): string {
  return size === 4096 ? '4K' : size === 0x200000 ? '2M' : size === 0x40000000 ? '1G' : String(size);
}

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
  }

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
    const leafLevel = SIZE_LEVEL[size];
    if (leafLevel === undefined) throw new BuilderError(va, `page size ${String(size)} is not 4K, 2M or 1G`);
    const name = sizeName(size);
    if (BigInt.asUintN(64, va) % BigInt(size) !== 0n) throw new BuilderError(va, `not aligned to its ${name} page`);
    if (!Number.isInteger(pa) || pa < 0) throw new BuilderError(va, `pa ${String(pa)} is not a physical address`);
    if (pa % size !== 0) throw new BuilderError(va, `pa 0x${pa.toString(16)} is not aligned to its ${name} page`);
    if (pa + size > 2 ** this.maxPhyAddr) throw new BuilderError(va, `pa 0x${pa.toString(16)} + ${name} is beyond MAXPHYADDR (${this.maxPhyAddr} bits)`);
    if (flags.pkey !== undefined && !(Number.isInteger(flags.pkey) && flags.pkey >= 0 && flags.pkey <= 15)) throw new BuilderError(va, `pkey ${flags.pkey} is out of range 0..15`);
    const hi = vaHi(va);
    const lo = vaLo(va);
    const mem = this.mem;
    // Check the whole path for conflicts before allocating anything, so a refused mapping
    // leaves the tables as they were.
    let table = this.cr3;
    for (let level = this.levels; level > leafLevel; level--) {
      const ea = table + tableIndex(hi, lo, level) * 8;
      const elo = mem.readLo(ea);
      if ((elo & LO_P) === 0) break; // tables below are new (empty): no conflict possible
      if ((elo & LO_PS) !== 0 && level <= 3) {
        throw new BuilderError(va, `overlaps the ${sizeName(leafSize(level))} page already mapped at ${formatVa(this.pageBase(va, level))}`);
      }
      table = entryFrame(elo, mem.readHi(ea), level);
      if (level - 1 === leafLevel) {
        const llo = mem.readLo(table + tableIndex(hi, lo, leafLevel) * 8);
        if ((llo & LO_P) !== 0) {
          if (leafLevel > 1 && (llo & LO_PS) === 0) throw new BuilderError(va, `a page table is already there (smaller pages are mapped inside this ${name} range)`);
          throw new BuilderError(va, `already mapped (${sizeName(leafSize(leafLevel))} page at ${formatVa(this.pageBase(va, leafLevel))})`);
        }
      }
    }
    // Now create the path and write the leaf.
    table = this.cr3;
    for (let level = this.levels; level > leafLevel; level--) {
      const ea = table + tableIndex(hi, lo, level) * 8;
      const elo = mem.readLo(ea);
      if ((elo & LO_P) === 0) {
        const next = this.allocTable(va);
        mem.write64(ea, (next % TWO32 | LO_P | LO_RW | LO_US) >>> 0, Math.floor(next / TWO32));
        table = next;
      } else {
        table = (mem.readHi(ea) & HI_FRAME) * TWO32 + ((elo & LO_FRAME_4K) >>> 0);
      }
    }
    const e = this.leafEntry(va, pa, leafLevel, flags);
    mem.write64(table + tableIndex(hi, lo, leafLevel) * 8, e.lo, e.hi);
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

  private pageBase(va: bigint, level: number): bigint {
    const size = BigInt(leafSize(level));
    return BigInt.asUintN(64, va) - (BigInt.asUintN(64, va) % size);
  }

  /** Walk to the leaf covering va: [entry address, level] of a present leaf, or throws. */
  private presentLeaf(va: bigint, what: string): [number, number] {
    this.checkVa(va);
    const ea = this.leafEntryAddress(va);
    const lo = ea < 0 ? 0 : this.mem.readLo(ea);
    if ((lo & LO_P) === 0) throw new BuilderError(va, `cannot ${what}: not mapped`);
    return [ea, this.levelOf(va, ea)];
  }

  private levelOf(va: bigint, leafEa: number): number {
    for (let level = 1; level <= this.levels; level++) if (this.entryAddress(va, level) === leafEa) return level;
    return -1;
  }

  /** Clears the leaf covering va (tables stay, empty or not, as most kernels leave them). */
  unmap(va: bigint): void {
    const [ea] = this.presentLeaf(va, 'unmap');
    this.mem.write64(ea, 0, 0);
  }

  /** Rewrites the flags of the leaf covering va; its frame and page size stay. */
  protect(va: bigint, flags: PageFlags): void {
    const [ea, level] = this.presentLeaf(va, 'protect');
    if (flags.pkey !== undefined && !(Number.isInteger(flags.pkey) && flags.pkey >= 0 && flags.pkey <= 15)) throw new BuilderError(va, `pkey ${flags.pkey} is out of range 0..15`);
    const frame = entryFrame(this.mem.readLo(ea), this.mem.readHi(ea), level);
    const e = this.leafEntry(va, frame, level, flags);
    this.mem.write64(ea, e.lo, e.hi);
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

  /** Level of the entry descend() last returned. */
  private descendLevel = 0;

  /**
   * Follow the tables towards va down to `level`: the address of the entry there, or of the
   * entry where the path stops earlier (not present, or a 2M/1G leaf), with its level in
   * descendLevel; -1 for a non-canonical va or a table outside memory.
   */
  private descend(va: bigint, level: number): number {
    if (!isCanonical(va, this.levels)) return -1;
    const hi = vaHi(va);
    const lo = vaLo(va);
    let table = this.cr3;
    for (let l: number = this.levels; ; l--) {
      const ea = table + tableIndex(hi, lo, l) * 8;
      this.descendLevel = l;
      if (l === level) return ea;
      const elo = this.mem.readLo(ea);
      if ((elo & LO_P) === 0 || ((elo & LO_PS) !== 0 && l <= 3)) return ea;
      table = entryFrame(elo, this.mem.readHi(ea), l);
      if (table + 4096 > this.mem.size) return -1;
    }
  }

  /** Frames holding page tables (for shadow paging's write protection and size reports), ascending. */
  tableFrames(): number[] {
    const seen = new Set<number>();
    const visit = (table: number, level: number): void => {
      if (seen.has(table) || table + 4096 > this.mem.size) return;
      seen.add(table);
      if (level === 1) return;
      for (let i = 0; i < 512; i++) {
        const ea = table + i * 8;
        const lo = this.mem.readLo(ea);
        if ((lo & LO_P) === 0 || ((lo & LO_PS) !== 0 && level <= 3)) continue;
        visit(entryFrame(lo, this.mem.readHi(ea), level), level - 1);
      }
    };
    visit(this.cr3, this.levels);
    return [...seen].sort((a, b) => a - b);
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

/** Bounds on the work of walkMappings over a hostile image. */
export interface MappingWalkLimits {
  /** Leaves yielded at most; one more is a MappingLimitError (default 2^20). */
  maxLeaves?: number;
  /** Tables visited at most (aliased tables are visited once per path); default 2^18. */
  maxTables?: number;
}

/** walkMappings went past a limit: the image aliases tables far more than a real one would. */
export class MappingLimitError extends VirtkitError {
  override name = 'MappingLimitError';
}

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
  const maxLeaves = limits.maxLeaves ?? 1 << 20;
  const maxTables = limits.maxTables ?? 1 << 18;
  const vaBits = levels === 5 ? 57 : 48;
  const signExtend = (va: bigint): bigint => BigInt.asUintN(64, BigInt.asIntN(vaBits, va));
  // The path: table, next index and VA prefix per level (index = level).
  const table = new Array<number>(levels + 1).fill(0);
  const next = new Array<number>(levels + 1).fill(0);
  const prefix = new Array<bigint>(levels + 1).fill(0n);
  let leaves = 0;
  let tables = 1;
  let level: number = levels;
  table[level] = cr3Root(cr3);
  mem.check(table[level]!, 4096);
  while (level <= levels) {
    const i = next[level]!;
    if (i === 512) {
      level++;
      continue;
    }
    next[level] = i + 1;
    const ea = table[level]! + i * 8;
    const lo = mem.readLo(ea);
    if ((lo & LO_P) === 0) continue;
    const hi = mem.readHi(ea);
    const va = prefix[level]! | (BigInt(i) << BigInt(3 + 9 * level));
    const ps = (lo & LO_PS) !== 0;
    if (level >= 4 && ps) continue;
    if (level === 1 || ps) {
      if (++leaves > maxLeaves) throw new MappingLimitError(`more than ${maxLeaves} mappings: the tables are aliased (entries sharing tables multiply the leaves)`);
      yield { va: signExtend(va), pa: entryFrame(lo, hi, level), size: leafSize(level), level, entryPa: ea, lo, hi };
      continue;
    }
    const child = entryFrame(lo, hi, level);
    let onPath = false;
    for (let l = level; l <= levels; l++) if (table[l] === child) onPath = true;
    if (onPath) {
      yield { loop: true, va: signExtend(va), level, entryPa: ea, table: child };
      continue;
    }
    if (++tables > maxTables) throw new MappingLimitError(`more than ${maxTables} page-table visits: the tables are aliased (entries sharing tables)`);
    mem.check(child, 4096);
    level--;
    table[level] = child;
    next[level] = 0;
    prefix[level] = va;
  }
}

/** Every present leaf reachable from cr3 (walkMappings without the loops), in one array. */
export function listMappings(mem: PhysicalMemory, cr3: number, levels: 4 | 5, limits?: MappingWalkLimits): LeafMapping[] {
  const out: LeafMapping[] = [];
  for (const m of walkMappings(mem, cr3, levels, limits)) if (!('loop' in m)) out.push(m);
  return out;
}
