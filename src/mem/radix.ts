/**
 * The radix-table engine: 512-entry tables of 8-byte entries, one level per 9 address bits from
 * bit 12 up, with 4 KiB leaves at level 1 and 2 MiB / 1 GiB leaves (PS = 1) at levels 2 / 3. It
 * maps, unmaps, re-protects, descends and lists; x86-64 page tables (PageTableBuilder) and EPT
 * (EptBuilder) are thin faces over it that say what "present" is, how a table is linked, and
 * how a conflict is reported.
 *
 * Addresses (virtual or guest-physical) come as two 32-bit halves, as everywhere on the paging
 * side; physical addresses of tables are plain numbers.
 */
import { VirtkitError } from '../errors.js';
import type { PhysicalMemory } from './phys.js';
import { HI_ADDRESS, KIND_TABLE, LO_PS, entryKind, pageSizeOfLevel } from './format.js';
import { tableIndex } from './va.js';

const TWO32 = 4294967296;

/** What the engine needs to know about an entry format. */
export interface RadixFormat {
  /** Whether an entry references a table or maps a page (x86: P; EPT: any of R/W/X, UX). */
  present(lo: number): boolean;
  /** The entry at `level` that references the table at `pa` (intermediate rights: everything allowed). */
  link(pa: number, level: number): { lo: number; hi: number };
}

/** map()'s answer: 0, or why the mapping cannot be made (conflictLevel says where). */
export const MAP_OK = 0;
/** A larger page already covers the address (at conflictLevel). */
export const MAP_INSIDE_LARGE = 1;
/** A table of smaller pages is where the leaf would go. */
export const MAP_TABLE_BELOW = 2;
/** A leaf of the same size is already present. */
export const MAP_ALREADY = 3;

/** Address bits 51:12 of an entry (the next table, or a page with its low bits masked by the caller). */
export function entryAddress(lo: number, hi: number): number {
  return (hi & HI_ADDRESS) * TWO32 + ((lo & 0xffff_f000) >>> 0);
}

/** A leaf found by entries(): its address (unsigned, not sign-extended), level and entry. */
export interface RadixLeaf {
  loop: false;
  addr: bigint;
  level: number;
  entryPa: number;
  lo: number;
  hi: number;
}

/** An entry that points back at a table already on the path from the root to it (a loop). */
export interface RadixLoop {
  loop: true;
  /** Address the entry covers (unsigned, not sign-extended). */
  addr: bigint;
  /** Level of the entry (4 = PML4E …) and where it is. */
  level: number;
  entryPa: number;
  /** The table it points to, which the path has already gone through. */
  table: number;
}

/** Bounds on the work of entries() over a hostile image. */
export interface RadixWalkLimits {
  /** Leaves yielded at most; one more is a MappingLimitError (default 2^20). */
  maxLeaves?: number;
  /** Tables visited at most (aliased tables are visited once per path); default 2^18. */
  maxTables?: number;
}

/** entries() went past a limit: the image aliases tables far more than a real one would. */
export class MappingLimitError extends VirtkitError {
  override name = 'MappingLimitError';
}

/** A leaf found by forEachLeaf: its address (unsigned, not sign-extended), level and entry. */
export type LeafVisitor = (addr: bigint, level: number, entryPa: number, lo: number, hi: number) => void;

export class RadixTables {
  /** Level of the entry descend() or leaf() last returned, and of map()'s conflict. */
  stopLevel = 0;

  constructor(
    readonly mem: PhysicalMemory,
    readonly format: RadixFormat,
    readonly root: number,
    readonly levels: 4 | 5,
    private readonly allocTable: () => number,
  ) {}

  /**
   * Follow the tables towards (hi:lo) down to `level`: the address of the entry there, or of the
   * entry where the path stops earlier (not present, or a 2M/1G leaf), with its level in
   * stopLevel; -1 for a table outside memory.
   */
  descend(hi: number, lo: number, level: number): number {
    const mem = this.mem;
    let table = this.root;
    for (let l: number = this.levels; ; l--) {
      const ea = table + tableIndex(hi, lo, l) * 8;
      this.stopLevel = l;
      if (l === level) return ea;
      const elo = mem.readLo(ea);
      if (!this.format.present(elo) || ((elo & LO_PS) !== 0 && l <= 3)) return ea;
      table = entryAddress(elo, mem.readHi(ea));
      if (table + 4096 > mem.size) return -1;
    }
  }

  /** The entry address of the present leaf covering (hi:lo), its level in stopLevel; -1 when nothing is mapped there. */
  leaf(hi: number, lo: number): number {
    const ea = this.descend(hi, lo, 1);
    if (ea < 0 || !this.format.present(this.mem.readLo(ea))) return -1;
    return ea;
  }

  /**
   * Write the leaf (eLo, eHi) at `leafLevel` for (hi:lo), creating the tables on the way. The
   * whole path is checked before anything is allocated, so a refused mapping (MAP_* ≠ 0, with
   * stopLevel = the conflicting entry's level) leaves the tables as they were.
   */
  map(hi: number, lo: number, leafLevel: number, eLo: number, eHi: number): number {
    const mem = this.mem;
    const format = this.format;
    let table = this.root;
    for (let level: number = this.levels; level > leafLevel; level--) {
      const ea = table + tableIndex(hi, lo, level) * 8;
      const elo = mem.readLo(ea);
      if (!format.present(elo)) break; // the tables below are new (empty): no conflict possible
      if ((elo & LO_PS) !== 0 && level <= 3) {
        this.stopLevel = level;
        return MAP_INSIDE_LARGE;
      }
      table = entryAddress(elo, mem.readHi(ea));
      if (level - 1 === leafLevel) {
        const llo = mem.readLo(table + tableIndex(hi, lo, leafLevel) * 8);
        if (format.present(llo)) {
          this.stopLevel = leafLevel;
          return leafLevel > 1 && (llo & LO_PS) === 0 ? MAP_TABLE_BELOW : MAP_ALREADY;
        }
      }
    }
    table = this.root;
    for (let level: number = this.levels; level > leafLevel; level--) {
      const ea = table + tableIndex(hi, lo, level) * 8;
      const elo = mem.readLo(ea);
      if (!format.present(elo)) {
        const next = this.allocTable();
        const e = format.link(next, level);
        mem.write64(ea, e.lo, e.hi);
        table = next;
      } else {
        table = entryAddress(elo, mem.readHi(ea));
      }
    }
    const ea = table + tableIndex(hi, lo, leafLevel) * 8;
    if (format.present(mem.readLo(ea))) {
      this.stopLevel = leafLevel;
      return MAP_ALREADY;
    }
    mem.write64(ea, eLo, eHi);
    return MAP_OK;
  }

  /** Clear the present leaf covering (hi:lo); false when nothing is mapped there. Tables stay, as most kernels leave them. */
  unmap(hi: number, lo: number): boolean {
    const ea = this.leaf(hi, lo);
    if (ea < 0) return false;
    this.mem.write64(ea, 0, 0);
    return true;
  }

  /**
   * Rewrite the present leaf covering (hi:lo): `rewrite` gets its halves and level and returns
   * the new halves (it may throw to refuse; nothing is written then). False when nothing is
   * mapped there.
   */
  protect(hi: number, lo: number, rewrite: (lo: number, hi: number, level: number) => { lo: number; hi: number }): boolean {
    const ea = this.leaf(hi, lo);
    if (ea < 0) return false;
    const e = rewrite(this.mem.readLo(ea), this.mem.readHi(ea), this.stopLevel);
    this.mem.write64(ea, e.lo, e.hi);
    return true;
  }

  /**
   * Every present leaf, in address order, one at a time (a caller can stream them). An entry
   * with PS at level 4 or 5 (reserved there) is neither a leaf nor a table: it is reported
   * nowhere and its subtree is not walked.
   *
   * The tables are data, possibly hostile: an entry pointing at a table already on its own path
   * (a self-map, or a loop) is yielded as a RadixLoop and not descended into, and the counts of
   * leaves and of tables visited are bounded (MappingLimitError), since aliased tables multiply
   * the leaves up to 512^levels. The walk is iterative: depth never comes from the data.
   */
  *entries(limits: RadixWalkLimits = {}): Generator<RadixLeaf | RadixLoop> {
    const mem = this.mem;
    const format = this.format;
    const levels = this.levels;
    const maxLeaves = limits.maxLeaves ?? 1 << 20;
    const maxTables = limits.maxTables ?? 1 << 18;
    // The path: table, next index and address prefix per level (index = level).
    const table = new Array<number>(levels + 1).fill(0);
    const next = new Array<number>(levels + 1).fill(0);
    const prefix = new Array<bigint>(levels + 1).fill(0n);
    let leaves = 0;
    let tables = 1;
    let level: number = levels;
    table[level] = this.root;
    mem.check(this.root, 4096);
    while (level <= levels) {
      const i = next[level]!;
      if (i === 512) {
        level++;
        continue;
      }
      next[level] = i + 1;
      const ea = table[level]! + i * 8;
      const lo = mem.readLo(ea);
      if (!format.present(lo)) continue;
      if (level >= 4 && (lo & LO_PS) !== 0) continue;
      const hi = mem.readHi(ea);
      const addr = prefix[level]! | (BigInt(i) << BigInt(3 + 9 * level));
      if (entryKind(lo, level) !== KIND_TABLE) {
        if (++leaves > maxLeaves) throw new MappingLimitError(`more than ${maxLeaves} mappings: the tables are aliased (entries sharing tables multiply the leaves)`);
        yield { loop: false, addr, level, entryPa: ea, lo, hi };
        continue;
      }
      const child = entryAddress(lo, hi);
      let onPath = false;
      for (let l = level; l <= levels; l++) if (table[l] === child) onPath = true;
      if (onPath) {
        yield { loop: true, addr, level, entryPa: ea, table: child };
        continue;
      }
      if (++tables > maxTables) throw new MappingLimitError(`more than ${maxTables} page-table visits: the tables are aliased (entries sharing tables)`);
      mem.check(child, 4096);
      level--;
      table[level] = child;
      next[level] = 0;
      prefix[level] = addr;
    }
  }

  /** Every present leaf, in address order (entries() without the loops). */
  forEachLeaf(visit: LeafVisitor, limits?: RadixWalkLimits): void {
    for (const e of this.entries(limits)) if (!e.loop) visit(e.addr, e.level, e.entryPa, e.lo, e.hi);
  }

  /** Frames holding tables reachable from the root, ascending. */
  tableFrames(): number[] {
    const mem = this.mem;
    const seen = new Set<number>();
    const visit = (table: number, level: number): void => {
      if (seen.has(table) || table + 4096 > mem.size) return;
      seen.add(table);
      if (level === 1) return;
      for (let i = 0; i < 512; i++) {
        const ea = table + i * 8;
        const lo = mem.readLo(ea);
        if (!this.format.present(lo) || ((lo & LO_PS) !== 0 && level <= 3)) continue;
        visit(entryAddress(lo, mem.readHi(ea)), level - 1);
      }
    };
    visit(this.root, this.levels);
    return [...seen].sort((a, b) => a - b);
  }

  /** Base address of the page of `level` containing (hi:lo), as an unsigned bigint (messages). */
  static pageBase(addr: bigint, level: number): bigint {
    const size = BigInt(pageSizeOfLevel(level).size);
    const u = BigInt.asUintN(64, addr);
    return u - (u % size);
  }
}
