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
   * Every present leaf, in address order. An entry with PS at level 4 or 5 (reserved there) is
   * neither a leaf nor a table: it is reported nowhere and its subtree is not walked.
   */
  forEachLeaf(visit: LeafVisitor): void {
    const mem = this.mem;
    const format = this.format;
    const walk = (table: number, level: number, prefix: bigint): void => {
      mem.check(table, 4096);
      for (let i = 0; i < 512; i++) {
        const ea = table + i * 8;
        const lo = mem.readLo(ea);
        if (!format.present(lo)) continue;
        const hi = mem.readHi(ea);
        const addr = prefix | (BigInt(i) << BigInt(3 + 9 * level));
        if (level >= 4 && (lo & LO_PS) !== 0) continue;
        if (entryKind(lo, level) !== KIND_TABLE) visit(addr, level, ea, lo, hi);
        else walk(entryAddress(lo, hi), level - 1, addr);
      }
    };
    walk(this.root, this.levels, 0n);
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
