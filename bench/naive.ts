/**
 * The naive baseline the translate suite measures the engine against, in the same process: a
 * translation engine written the obvious way — 64-bit BigInt addresses, a DataView walk, a TLB
 * made of a Map per set with LRU by a BigInt clock — and the same semantics for what the
 * benchmarks exercise (4-level / 5-level 4 KiB walks, P/R/W/U/S/XD rights, a 64-entry 4-way
 * TLB, LRU). The figures that matter are the engine's ops/s divided by this one's, measured
 * seconds apart on the same machine: the machines here are shared, so absolute figures move
 * with the load while the ratio moves much less.
 *
 * setup() checks it against the engine, address by address, so the comparison is between two
 * engines that give the same answers.
 */
import type { PhysicalMemory } from '../src/mem/phys.js';

const P = 1n;
const RW = 2n;
const US = 4n;
const PS = 0x80n;
const XD = 1n << 63n;
const ADDR = 0x000f_ffff_ffff_f000n;

interface NaiveEntry {
  frame: bigint;
  rights: bigint;
  used: bigint;
}

export class NaiveMmu {
  private readonly view: DataView;
  private readonly sets: Map<bigint, NaiveEntry>[];
  private clock = 0n;
  walks = 0;
  hits = 0;

  constructor(
    mem: PhysicalMemory,
    readonly cr3: bigint,
    readonly levels: 4 | 5,
    readonly tlb: { sets: number; ways: number } | null,
  ) {
    this.view = new DataView(mem.buffer, mem.u8.byteOffset, mem.size);
    this.sets = tlb ? Array.from({ length: tlb.sets }, () => new Map<bigint, NaiveEntry>()) : [];
  }

  /** The DataView walk: the physical address, or -1 for any fault (user read here). */
  walk(va: bigint, write: boolean, user: boolean): { frame: bigint; rights: bigint } | null {
    let table = this.cr3 & ADDR;
    let rights = RW | US;
    for (let level = this.levels; level >= 1; level--) {
      const index = (va >> BigInt(3 + 9 * level)) & 511n;
      const e = this.view.getBigUint64(Number(table + index * 8n), true);
      if ((e & P) === 0n) return null;
      if (level >= 4 && (e & PS) !== 0n) return null;
      if (level > 1 && (e & PS) !== 0n) return null; // large pages are not in the naive model
      rights = (rights & e & (RW | US)) | ((rights | e) & XD);
      table = e & ADDR;
    }
    if (user && (rights & US) === 0n) return null;
    if (write && (rights & RW) === 0n) return null;
    return { frame: table, rights };
  }

  /** Translate with the TLB in front (if any): the physical address as a number, or -1. */
  translate(va: bigint, write: boolean, user: boolean): number {
    const vpn = va >> 12n;
    const off = va & 0xfffn;
    if (this.tlb) {
      const set = this.sets[Number(vpn % BigInt(this.tlb.sets))]!;
      const hit = set.get(vpn);
      if (hit && (!user || (hit.rights & US) !== 0n) && (!write || (hit.rights & RW) !== 0n)) {
        hit.used = ++this.clock;
        this.hits++;
        return Number(hit.frame | off);
      }
      const w = this.walk(va, write, user);
      this.walks++;
      if (!w) return -1;
      if (set.size >= this.tlb.ways && !set.has(vpn)) {
        let oldest: bigint | null = null;
        let oldestUse = 0n;
        for (const [k, e] of set) {
          if (oldest === null || e.used < oldestUse) {
            oldest = k;
            oldestUse = e.used;
          }
        }
        set.delete(oldest!);
      }
      set.set(vpn, { frame: w.frame, rights: w.rights, used: ++this.clock });
      return Number(w.frame | off);
    }
    const w = this.walk(va, write, user);
    this.walks++;
    return w ? Number(w.frame | off) : -1;
  }

  /** translateBatch's shape: (lo, hi) pairs in, physical addresses out. */
  translateBatch(vas: Uint32Array, out: Float64Array, write: boolean, user: boolean): void {
    const n = vas.length >>> 1;
    for (let i = 0; i < n; i++) {
      const va = (BigInt(vas[2 * i + 1]!) << 32n) | BigInt(vas[2 * i]!);
      out[i] = this.translate(va, write, user);
    }
  }
}
