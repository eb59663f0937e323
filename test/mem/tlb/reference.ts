/**
 * A slow, obviously-correct TLB model for checking the fast one: arrays of sets of entry objects,
 * BigInt page numbers, rules written out the way the documentation states them. It shares only
 * the geometry description and the PRNG class (so random replacement draws the same victims).
 */
import { XorShift32, type Policy, type TlbGeometry } from '../../../src/mem/tlb.js';

export interface RefEntry {
  vpn: bigint;
  shift: number;
  vpid: number;
  pcid: number;
  global: boolean;
  frame: number;
  flags: number;
  stamp: number;
}

interface RefArray {
  level: 0 | 1;
  shifts: number[];
  sets: (RefEntry | null)[][];
}

const SHIFTS = [12, 21, 30];
const NAMES = ['4K', '2M', '1G'];

export class RefTlb {
  arrays: RefArray[] = [];
  pcid = 0;
  vpid = 0;
  clock = 0;
  rng: XorShift32;
  hits = [0, 0];
  l1Misses = 0;
  evictions = 0;

  constructor(
    geometry: TlbGeometry,
    readonly policy: Policy,
    seed: number,
  ) {
    this.rng = new XorShift32(seed);
    for (const [level, specs] of [[0, geometry.l1], [1, geometry.l2]] as const) {
      for (const s of specs) {
        const sets: (RefEntry | null)[][] = [];
        for (let i = 0; i < s.entries / s.ways; i++) sets.push(new Array<RefEntry | null>(s.ways).fill(null));
        this.arrays.push({ level, shifts: [...s.pageShifts], sets });
      }
    }
  }

  private static vpnOf(va: bigint, shift: number): bigint {
    return (BigInt.asUintN(64, va) & ((1n << 57n) - 1n)) >> BigInt(shift);
  }

  /** Does entry e translate this page for the current context? */
  private visible(e: RefEntry | null, vpn: bigint, shift: number): boolean {
    return e !== null && e.vpn === vpn && e.shift === shift && e.vpid === this.vpid && (e.global || e.pcid === this.pcid);
  }

  /** Set index: the full 64-bit page number mod the set count. */
  private static setOf(arr: RefArray, va: bigint, shift: number): number {
    return Number((BigInt.asUintN(64, va) >> BigInt(shift)) % BigInt(arr.sets.length));
  }

  private arrayFor(level: number, shift: number): RefArray | undefined {
    return this.arrays.find((a) => a.level === level && a.shifts.includes(shift));
  }

  /** Returns the entry or null. */
  lookup(va: bigint): RefEntry | null {
    for (const level of [0, 1]) {
      for (const shift of SHIFTS) {
        const arr = this.arrayFor(level, shift);
        if (!arr) continue;
        const vpn = RefTlb.vpnOf(va, shift);
        const set = arr.sets[RefTlb.setOf(arr, va, shift)]!;
        for (const e of set) {
          if (this.visible(e, vpn, shift)) {
            if (this.policy === 'lru') e!.stamp = ++this.clock;
            this.hits[level]!++;
            if (level === 1) {
              const l1 = this.arrayFor(0, shift);
              if (l1) {
                this.l1Misses++;
                return this.place(l1, { ...e!, stamp: 0 }, va);
              }
            }
            return e;
          }
        }
      }
    }
    return null;
  }

  private place(arr: RefArray, entry: RefEntry, va: bigint): RefEntry {
    const set = arr.sets[RefTlb.setOf(arr, va, entry.shift)]!;
    // An entry this context already sees for the page is rewritten in place.
    let way = set.findIndex((e) => this.visible(e, entry.vpn, entry.shift));
    if (way < 0) way = set.findIndex((e) => e === null);
    if (way < 0) {
      this.evictions++;
      if (this.policy === 'random') way = this.rng.next() % set.length;
      else {
        way = 0;
        for (let i = 1; i < set.length; i++) if (set[i]!.stamp < set[way]!.stamp) way = i;
      }
    }
    const e = { ...entry, stamp: ++this.clock };
    set[way] = e;
    // A global entry replaces every other entry of its VPID for the page (no context may see two).
    if (e.global) for (let w = 0; w < set.length; w++) if (w !== way && set[w]?.vpn === e.vpn && set[w]!.shift === e.shift && set[w]!.vpid === e.vpid) set[w] = null;
    return e;
  }

  fill(va: bigint, shift: number, frame: number, flags: number, global: boolean): void {
    const vpn = RefTlb.vpnOf(va, shift);
    const entry: RefEntry = { vpn, shift, vpid: this.vpid, pcid: global ? -1 : this.pcid, global, frame, flags, stamp: 0 };
    const l2 = this.arrayFor(1, shift);
    if (l2) this.place(l2, entry, va);
    const l1 = this.arrayFor(0, shift);
    if (l1) {
      this.l1Misses++;
      this.place(l1, entry, va);
    }
  }

  private dropWhere(pred: (e: RefEntry) => boolean): void {
    for (const a of this.arrays) for (const set of a.sets) for (let w = 0; w < set.length; w++) if (set[w] && pred(set[w]!)) set[w] = null;
  }

  invalidatePage(va: bigint, pcid: number, includeGlobal: boolean): void {
    this.dropWhere((e) => e.vpn === RefTlb.vpnOf(va, e.shift) && e.vpid === this.vpid && (e.global ? includeGlobal : e.pcid === pcid));
  }
  flushPcid(pcid: number): void {
    this.dropWhere((e) => e.vpid === this.vpid && !e.global && e.pcid === pcid);
  }
  flushNonGlobal(): void {
    this.dropWhere((e) => e.vpid === this.vpid && !e.global);
  }
  flushVpid(vpid: number): void {
    this.dropWhere((e) => e.vpid === vpid);
  }
  flushAll(): void {
    this.dropWhere(() => true);
  }

  /** Same description format as Tlb.contents(). */
  contents(index: number): string[] {
    const out: string[] = [];
    this.arrays[index]!.sets.forEach((set, si) => {
      for (const e of set) {
        if (!e) continue;
        out.push(`${si}:${NAMES[SHIFTS.indexOf(e.shift)]}:${e.vpn}:${e.vpid}:${e.global ? 'g' : e.pcid}`);
      }
    });
    return out.sort();
  }
}
