/**
 * Translation lookaside buffers: set-associative arrays, one per page size or shared by several
 * (as real cores build them), in two levels (L1 and the second-level STLB), tagged with a PCID
 * (12 bits, CR4.PCIDE) and a VPID (16 bits, 0 = the host), with global entries that match any
 * PCID of their VPID.
 *
 * Layout: every entry of every array lives in ONE buffer, ENTRY_INTS (8) int32 per entry — entry
 * i of array a is at base[a] + set * ways + way — read through an Int32Array (`ent`) and a
 * Float64Array view of the same bytes (`entF`). One object, one bounds check, one cache line
 * for everything a lookup or a fill touches:
 *   ent[8i + E_TAG_LO] = VPN bits 31:0 (int32).
 *   ent[8i + E_TAG_HI] = (VPN bits above 31) << 2 | size code (0 = 4K, 1 = 2M, 2 = 1G), or -1
 *              when the entry is invalid. The VPN is taken from the low 57 bits of the address
 *              (enough for LA57; canonical addresses are sign-extended above, so those bits name
 *              the page uniquely). Keeping the size in the tag lets one array hold several page
 *              sizes (Skylake's STLB holds 4K and 2M) without a 4K entry ever answering for a 2M
 *              page with the same number.
 *   ent[8i + E_CTX]    = (VPID << 13) | (global ? 0x1000 : PCID). A lookup compares it with the
 *              current context and with the current VPID's "global" context.
 *   ent[8i + E_FLAGS]  = RIGHT_W | RIGHT_U | RIGHT_NX (effective over the walk) | TLB_DIRTY.
 *   entF[4i + F_STAMP] = LRU: the clock of the last use; FIFO: the clock of the fill.
 *   entF[4i + F_FRAME] = physical base of the page (a double: physical addresses reach 2^52).
 * The functions below (tlbTagLo, tlbTagHi, tlbSet, statSlot) are the one statement of these
 * encodings; the Mmu's batch loops use them or literals asserted equal to them at load.
 *
 * What the flush operations drop is the x86 rule for each operation; the Mmu (mmu.ts) maps the
 * instructions (INVLPG, MOV to CR3, INVPCID, MOV to CR4) onto them.
 */
import { VirtkitError } from '../errors.js';
import { PAGE_SIZES, SIZE_1G, SIZE_2M, SIZE_4K, assertLiteral, sizeIndexOfShift } from './format.js';

export { SIZE_4K, SIZE_2M, SIZE_1G, sizeIndexOfShift };

export class TlbError extends VirtkitError {
  override name = 'TlbError';
}

/** Page shifts a TLB array can hold. */
export type PageShift = 12 | 21 | 30;
export type Policy = 'lru' | 'fifo' | 'random';

export interface TlbArraySpec {
  /** e.g. "L1 DTLB 4K". */
  name: string;
  entries: number;
  /** Ways per set; sets = entries / ways (1 way = direct-mapped, ways = entries = fully associative). */
  ways: number;
  /** Page sizes the array holds (each size appears in at most one array per level). */
  pageShifts: readonly PageShift[];
}

export interface TlbGeometry {
  name: string;
  /** First-level arrays (probed first). */
  l1: readonly TlbArraySpec[];
  /** Second-level arrays (the STLB), probed on an L1 miss; may be empty. */
  l2: readonly TlbArraySpec[];
}

export interface TlbOptions {
  policy?: Policy;
  /** Seed of the random-replacement PRNG (xorshift32); the same seed gives the same victims. */
  seed?: number;
}

export const TLB_DIRTY = 8;
/** Context bit that marks a global entry (in place of the PCID). */
export const GLOBAL_CTX = 0x1000;

export const SIZE_SHIFTS: readonly PageShift[] = PAGE_SIZES.map((p) => p.shift);
export const SIZE_NAMES = PAGE_SIZES.map((p) => p.name);

// ---- the entry layout ----
/** int32 slots per entry. */
export const ENTRY_INTS = 8;
export const E_TAG_LO = 0;
export const E_TAG_HI = 1;
export const E_CTX = 2;
export const E_FLAGS = 3;
/** Float64 slots (of 4 per entry). */
export const F_STAMP = 2;
export const F_FRAME = 3;
/** E_TAG_HI of an invalid entry. */
export const TAG_INVALID = -1;

/** The context of a PCID (or GLOBAL_CTX) in a VPID. */
export function tlbContext(vpid: number, pcidOrGlobal: number): number {
  return (vpid << 13) | pcidOrGlobal;
}
/** VPN bits 31:0 of (vaHi:vaLo) for pages of `shift` (low 57 bits of the address), as int32. */
export function tlbTagLo(vaHi: number, vaLo: number, shift: number): number {
  return (vaLo >>> shift) | ((vaHi & 0x1ffffff) << (32 - shift));
}
/** The VPN bits above 31 and the size code (SIZE_*), as one int32. */
export function tlbTagHi(vaHi: number, shift: number, sizeIndex: number): number {
  return (((vaHi & 0x1ffffff) >>> shift) << 2) | sizeIndex;
}
/**
 * The set of a page in an array of `sets` sets: the low VPN bits when sets is a power of two
 * (mask = sets − 1), else the whole 64-bit VPN mod sets.
 */
export function tlbSet(vaHi: number, vaLo: number, shift: number, mask: number, sets: number): number {
  return mask >= 0 ? tlbTagLo(vaHi, vaLo, shift) & mask : fullVpn(vaHi, vaLo, shift) % sets;
}

/** 2^(32 - shift): the weight of the high half in a page number (no Math.pow on the hot path). */
function vpnScale(shift: number): number {
  return PAGE_SIZES[sizeIndexOfShift(shift)]!.vpnScale;
}

/**
 * The page number of the whole 64-bit address (va >> shift, exact: < 2^52), which picks the set
 * when the set count is not a power of two ("set = VPN mod sets"). The entry's key uses the low
 * 57 bits only, which name a canonical page uniquely.
 */
function fullVpn(vaHi: number, vaLo: number, shift: number): number {
  return (vaHi >>> 0) * vpnScale(shift) + (vaLo >>> shift);
}


// Statistics counters, per (level, size): Float64Array at statSlot(level, size, ST_*).
export const ST_HITS = 0;
export const ST_MISSES = 1;
export const ST_FILLS = 2;
export const ST_EVICTIONS = 3;
export const ST_FLUSHES = 4;
const STAT_COUNT = 5;

/** The counter of (level 0 = L1 / 1 = STLB, size index, ST_*). */
export function statSlot(level: number, sizeIndex: number, k: number): number {
  return (level * 3 + sizeIndex) * STAT_COUNT + k;
}

// The batch loops spell the 4K encodings as literals: keep them equal to the functions above.
assertLiteral('4K VPN scale', 1048576, PAGE_SIZES[0]!.vpnScale);
assertLiteral('tag-hi of 4K page, hi57 = 0x1ffffff', tlbTagHi(0x1ffffff, 12, SIZE_4K), ((0x1ffffff >>> 12) << 2) | 0);
assertLiteral('L1 4K hits slot', 0, statSlot(0, SIZE_4K, ST_HITS));
assertLiteral('L1 4K misses slot', 1, statSlot(0, SIZE_4K, ST_MISSES));
assertLiteral('L1 4K fills slot', 2, statSlot(0, SIZE_4K, ST_FILLS));
assertLiteral('L1 4K evictions slot', 3, statSlot(0, SIZE_4K, ST_EVICTIONS));

export interface TlbCounters {
  /** Lookups at this level for this page size (hits + misses). */
  accesses: number;
  hits: number;
  /** Lookups that missed here (attributed to the page size the walk or lower level found). */
  misses: number;
  /** Entries written (after a walk, or copied up from the STLB). */
  fills: number;
  /** Valid entries replaced by a fill. */
  evictions: number;
  /** Valid entries dropped by invalidations (INVLPG, CR3 writes, INVPCID, flushes). */
  flushes: number;
}

/** Counters per level ("l1", "l2") and page size ("4K", "2M", "1G"), plus totals per level. */
export interface TlbStats {
  l1: Record<'4K' | '2M' | '1G' | 'total', TlbCounters>;
  l2: Record<'4K' | '2M' | '1G' | 'total', TlbCounters>;
}

/**
 * xorshift32 (Marsaglia 2003): a tiny deterministic PRNG for random replacement. Exported so the
 * reference model in the tests draws exactly the same victims.
 */
export class XorShift32 {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}

const POLICY_LRU = 0;
const POLICY_FIFO = 1;
const POLICY_RANDOM = 2;

export class Tlb {
  readonly geometry: TlbGeometry;
  readonly policy: Policy;
  /** 0 = LRU, 1 = FIFO, 2 = random. */
  readonly policyCode: number;
  private readonly rng: XorShift32;

  // ---- arrays (index a) ----
  /** Number of arrays; arrays [0, l1Count) are L1, the rest L2. */
  readonly arrayCount: number;
  readonly l1Count: number;
  readonly arrBase: Int32Array;
  readonly arrSets: Int32Array;
  readonly arrWays: Int32Array;
  /** sets - 1 when sets is a power of two, else -1 (then set = VPN mod sets). */
  readonly arrMask: Int32Array;
  /** Array index holding each size at L1 / L2, or -1. */
  readonly l1ForSize: Int32Array;
  readonly l2ForSize: Int32Array;

  // ---- entries ----
  readonly size: number;
  /** Every entry, ENTRY_INTS int32 each (layout above). */
  readonly ent: Int32Array;
  /** The same bytes as doubles: stamps and frames. */
  readonly entF: Float64Array;
  /** Level (0 = L1, 1 = L2) of each entry's array (for stats). */
  private readonly entryLevel: Uint8Array;
  /** Replacement clock (stamps); public so the Mmu's batch loop can keep it in a local. */
  clock = 0;

  // ---- context: the one place the current PCID and VPID live ----
  pcid = 0;
  vpid = 0;
  /** tlbContext(VPID, PCID) of the current context, and the current VPID's global context. */
  curCtx = 0;
  curGlobal = GLOBAL_CTX;

  /** Statistics counters; read them with stats(). */
  readonly counters = new Float64Array(2 * 3 * STAT_COUNT);

  // ---- result of the last lookup ----
  /** Page shift of the entry found by the last successful lookup. */
  hitShift = 12;
  /** Level (1 or 2) where the last successful lookup hit. */
  hitLevel = 1;

  constructor(geometry: TlbGeometry, opts: TlbOptions = {}) {
    this.geometry = geometry;
    this.policy = opts.policy ?? 'lru';
    this.policyCode = this.policy === 'lru' ? POLICY_LRU : this.policy === 'fifo' ? POLICY_FIFO : this.policy === 'random' ? POLICY_RANDOM : -1;
    if (this.policyCode < 0) throw new TlbError(`unknown replacement policy '${String(opts.policy)}' (valid: lru, fifo, random)`);
    this.rng = new XorShift32(opts.seed ?? 1);
    const specs = [...geometry.l1, ...geometry.l2];
    if (geometry.l1.length === 0) throw new TlbError(`TLB ${geometry.name}: needs at least one L1 array`);
    this.arrayCount = specs.length;
    this.l1Count = geometry.l1.length;
    this.arrBase = new Int32Array(specs.length);
    this.arrSets = new Int32Array(specs.length);
    this.arrWays = new Int32Array(specs.length);
    this.arrMask = new Int32Array(specs.length);
    this.l1ForSize = new Int32Array(3).fill(-1);
    this.l2ForSize = new Int32Array(3).fill(-1);
    let total = 0;
    specs.forEach((s, a) => {
      if (!Number.isInteger(s.entries) || !Number.isInteger(s.ways) || s.ways < 1 || s.entries < s.ways || s.entries % s.ways !== 0 || s.entries > 1 << 24) {
        throw new TlbError(`TLB array ${s.name}: ${s.entries} entries is not a positive multiple of ${s.ways} ways`);
      }
      const sets = s.entries / s.ways;
      this.arrBase[a] = total;
      this.arrSets[a] = sets;
      this.arrWays[a] = s.ways;
      this.arrMask[a] = (sets & (sets - 1)) === 0 ? sets - 1 : -1;
      total += s.entries;
      const forSize = a < this.l1Count ? this.l1ForSize : this.l2ForSize;
      if (s.pageShifts.length === 0) throw new TlbError(`TLB array ${s.name}: holds no page size`);
      for (const shift of s.pageShifts) {
        if (shift !== 12 && shift !== 21 && shift !== 30) throw new TlbError(`TLB array ${s.name}: page shift ${shift} is not 12, 21 or 30`);
        const si = sizeIndexOfShift(shift);
        if (forSize[si] !== -1) throw new TlbError(`TLB ${geometry.name}: two arrays at one level hold ${SIZE_NAMES[si]} pages`);
        forSize[si] = a;
      }
    });
    this.size = total;
    const buf = new ArrayBuffer(total * ENTRY_INTS * 4);
    this.ent = new Int32Array(buf);
    this.entF = new Float64Array(buf);
    for (let i = 0; i < total; i++) this.ent[i * ENTRY_INTS + E_TAG_HI] = TAG_INVALID;
    this.entryLevel = new Uint8Array(total);
    for (let a = 0; a < specs.length; a++) {
      this.entryLevel.fill(a < this.l1Count ? 0 : 1, this.arrBase[a]!, this.arrBase[a]! + specs[a]!.entries);
    }
  }

  /** Set the current PCID (0..4095) and VPID (0..65535); lookups and fills use them. */
  setContext(pcid: number, vpid: number): void {
    if (!(pcid >= 0 && pcid <= 0xfff && Number.isInteger(pcid))) throw new TlbError(`PCID ${pcid} is out of range 0..4095`);
    if (!(vpid >= 0 && vpid <= 0xffff && Number.isInteger(vpid))) throw new TlbError(`VPID ${vpid} is out of range 0..65535`);
    this.pcid = pcid;
    this.vpid = vpid;
    this.curCtx = tlbContext(vpid, pcid);
    this.curGlobal = tlbContext(vpid, GLOBAL_CTX);
  }

  /** Whether entry i is valid. */
  valid(i: number): boolean {
    return this.ent[i * ENTRY_INTS + E_TAG_HI]! !== TAG_INVALID;
  }
  /** Entry i's physical page base. */
  frameOf(i: number): number {
    return this.entF[i * 4 + F_FRAME]!;
  }
  /** Entry i's flags (RIGHT_* | TLB_DIRTY). */
  flagsOf(i: number): number {
    return this.ent[i * ENTRY_INTS + E_FLAGS]!;
  }
  /** Every entry's stamp, in entry order (tests compare replacement state with it). */
  stamps(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.entF[i * 4 + F_STAMP]!);
    return out;
  }

  /**
   * Find the entry translating (vaHi:vaLo) for the current context: the L1 arrays first (every
   * size), then the STLB; an STLB hit is copied into the L1 array for its size. Returns the entry
   * index (frameOf / flagsOf read it, hitShift says the page size) or -1 on a miss (then record
   * the miss with recordMiss once the walk says the page size).
   */
  lookup(vaHi: number, vaLo: number): number {
    return this.lookupFrom(vaHi, vaLo, false);
  }

  /**
   * lookup(), optionally skipping the L1 4K array when the caller has just probed it and found
   * nothing (the Mmu's batch loop): the result and the counters are the same.
   */
  lookupFrom(vaHi: number, vaLo: number, l1FourKMissed: boolean): number {
    let a = l1FourKMissed ? -1 : this.l1ForSize[0]!;
    let i = a >= 0 ? this.probe(a, 0, vaHi, vaLo) : -1;
    if (i >= 0) return this.l1Hit(i, 0);
    a = this.l1ForSize[1]!;
    i = a >= 0 ? this.probe(a, 1, vaHi, vaLo) : -1;
    if (i >= 0) return this.l1Hit(i, 1);
    a = this.l1ForSize[2]!;
    i = a >= 0 ? this.probe(a, 2, vaHi, vaLo) : -1;
    if (i >= 0) return this.l1Hit(i, 2);
    for (let s = 0; s < 3; s++) {
      a = this.l2ForSize[s]!;
      if (a < 0) continue;
      i = this.probe(a, s, vaHi, vaLo);
      if (i >= 0) return this.l2Hit(i, s, vaHi, vaLo);
    }
    return -1;
  }

  /** The first entry of set `set` of array a with these tags seen by the current context, or -1. */
  private find(a: number, set: number, tLo: number, tHi: number): number {
    const ways = this.arrWays[a]!;
    const base = this.arrBase[a]! + set * ways;
    const end = base + ways;
    const ent = this.ent;
    const cur = this.curCtx;
    const glob = this.curGlobal;
    for (let i = base; i < end; i++) {
      const e = i * 8; // ENTRY_INTS
      if (ent[e]! === tLo && ent[e + 1]! === tHi) {
        const c = ent[e + 2]!;
        if (c === cur || c === glob) return i;
      }
    }
    return -1;
  }

  /** The entry of array a (holding size s) that translates the page for the current context, or -1. */
  private probe(a: number, s: number, vaHi: number, vaLo: number): number {
    const shift = SIZE_SHIFTS[s]!;
    const set = tlbSet(vaHi, vaLo, shift, this.arrMask[a]!, this.arrSets[a]!);
    return this.find(a, set, tlbTagLo(vaHi, vaLo, shift), tlbTagHi(vaHi, shift, s));
  }

  private l1Hit(i: number, s: number): number {
    if (this.policyCode === POLICY_LRU) this.entF[i * 4 + F_STAMP] = ++this.clock;
    this.hitShift = SIZE_SHIFTS[s]!;
    this.hitLevel = 1;
    this.counters[statSlot(0, s, ST_HITS)]!++;
    return i;
  }

  /** STLB hit: the L1 array for the size (if any) missed, and takes a copy. */
  private l2Hit(i: number, s: number, vaHi: number, vaLo: number): number {
    if (this.policyCode === POLICY_LRU) this.entF[i * 4 + F_STAMP] = ++this.clock;
    this.hitShift = SIZE_SHIFTS[s]!;
    this.hitLevel = 2;
    this.counters[statSlot(1, s, ST_HITS)]!++;
    const a1 = this.l1ForSize[s]!;
    if (a1 < 0) return i;
    this.counters[statSlot(0, s, ST_MISSES)]!++;
    const e = i * ENTRY_INTS;
    const ent = this.ent;
    return this.placeTags(a1, ent[e + E_TAG_LO]!, ent[e + E_TAG_HI]!, tlbSet(vaHi, vaLo, this.hitShift, this.arrMask[a1]!, this.arrSets[a1]!), ent[e + E_CTX]!, this.entF[i * 4 + F_FRAME]!, ent[e + E_FLAGS]!);
  }

  /**
   * Count a lookup that missed every level, for the page size the walk found: a miss at L1 and at
   * the STLB for that size (where the core has an array for it).
   */
  recordMiss(sizeIndex: number): void {
    if (this.l1ForSize[sizeIndex]! >= 0) this.counters[statSlot(0, sizeIndex, ST_MISSES)]!++;
    if (this.l2ForSize[sizeIndex]! >= 0) this.counters[statSlot(1, sizeIndex, ST_MISSES)]!++;
  }

  /**
   * Install a translation for the current context in the L1 and STLB arrays for its size (an
   * entry for the same page and context already there is overwritten in place, so a refill after
   * a write to a clean entry never duplicates it). Returns the L1 entry index (or the STLB one
   * when the core has no L1 array for the size, -1 when it has neither).
   */
  fill(vaHi: number, vaLo: number, sizeIndex: number, frame: number, flags: number, global: boolean): number {
    const shift = SIZE_SHIFTS[sizeIndex]!;
    const tLo = tlbTagLo(vaHi, vaLo, shift);
    const tHi = tlbTagHi(vaHi, shift, sizeIndex);
    const c = global ? this.curGlobal : this.curCtx;
    let idx = -1;
    const a2 = this.l2ForSize[sizeIndex]!;
    if (a2 >= 0) idx = this.placeTags(a2, tLo, tHi, tlbSet(vaHi, vaLo, shift, this.arrMask[a2]!, this.arrSets[a2]!), c, frame, flags);
    const a1 = this.l1ForSize[sizeIndex]!;
    if (a1 >= 0) idx = this.placeTags(a1, tLo, tHi, tlbSet(vaHi, vaLo, shift, this.arrMask[a1]!, this.arrSets[a1]!), c, frame, flags);
    return idx;
  }

  /**
   * Write one entry into set `set` of array a: over a matching entry (the same page as this
   * context sees it, or with the context being installed), else the first invalid way, else
   * victimWay's choice.
   */
  private placeTags(a: number, tLo: number, tHi: number, set: number, c: number, frame: number, flags: number): number {
    const ways = this.arrWays[a]!;
    const base = this.arrBase[a]! + set * ways;
    const end = base + ways;
    const ent = this.ent;
    const cur = this.curCtx;
    const glob = this.curGlobal;
    let victim = -1;
    let free = -1;
    for (let i = base; i < end; i++) {
      const e = i * ENTRY_INTS;
      const h = ent[e + E_TAG_HI]!;
      if (h === tHi && ent[e + E_TAG_LO]! === tLo) {
        const ci = ent[e + E_CTX]!;
        if (ci === cur || ci === glob || ci === c) {
          victim = i;
          break;
        }
      }
      if (h === TAG_INVALID && free < 0) free = i;
    }
    const slot = statSlot(a < this.l1Count ? 0 : 1, tHi & 3, 0);
    if (victim < 0) {
      if (free >= 0) victim = free;
      else {
        victim = this.victimWay(base, ways);
        this.counters[slot + ST_EVICTIONS]!++;
      }
    }
    if ((c & GLOBAL_CTX) !== 0) {
      // A global entry is visible to every PCID of its VPID: drop the same page's non-global
      // entries of that VPID, so no context ever sees two entries for one page (the processor
      // is "always free to invalidate additional entries", SDM 4.10.4.1), and a lookup's answer is unique.
      const v = c >>> 13;
      for (let i = base; i < end; i++) {
        const e = i * ENTRY_INTS;
        if (i !== victim && ent[e + E_TAG_HI]! === tHi && ent[e + E_TAG_LO]! === tLo && ent[e + E_CTX]! >>> 13 === v) this.drop(i);
      }
    }
    const e = victim * ENTRY_INTS;
    ent[e + E_TAG_LO] = tLo;
    ent[e + E_TAG_HI] = tHi;
    ent[e + E_CTX] = c;
    ent[e + E_FLAGS] = flags;
    this.entF[victim * 4 + F_STAMP] = ++this.clock;
    this.entF[victim * 4 + F_FRAME] = frame;
    this.counters[slot + ST_FILLS]!++;
    return victim;
  }

  /**
   * The replacement victim in a full set [base, base + ways): random (xorshift32) or the first
   * entry with the smallest stamp (LRU: least recently used; FIFO: first filled). For 4 ways a
   * branch-free tournament (comparison results as 0/1): stamps in a set come in any order, so a
   * compare-and-branch scan mispredicts about every other way, which costs more than the rest of
   * a TLB fill.
   */
  victimWay(base: number, ways: number): number {
    if (this.policyCode === POLICY_RANDOM) return base + (this.rng.next() % ways);
    const f = this.entF;
    if (ways === 4) {
      const a = f[base * 4 + 2]!; // F_STAMP
      const b = f[base * 4 + 6]!;
      const c = f[base * 4 + 10]!;
      const d = f[base * 4 + 14]!;
      // Selections by arithmetic, not ?: (V8 turns ?: into branches). Stamps are integers
      // below 2^53, so a + (b - a) * x is exactly a or b.
      const x = +(b < a); // ties keep the first way
      const y = +(d < c);
      const ab = a + (b - a) * x;
      const cd = c + (d - c) * y;
      const z = +(cd < ab);
      return base + x + z * (2 + y - x);
    }
    let oldest = base;
    let oldestStamp = f[base * 4 + F_STAMP]!;
    for (let i = base + 1; i < base + ways; i++) {
      const t = f[i * 4 + F_STAMP]!;
      if (t < oldestStamp) {
        oldestStamp = t;
        oldest = i;
      }
    }
    return oldest;
  }

  private drop(i: number): void {
    const e = i * ENTRY_INTS;
    const s = this.ent[e + E_TAG_HI]! & 3;
    this.ent[e + E_TAG_HI] = TAG_INVALID;
    this.counters[statSlot(this.entryLevel[i]!, s, ST_FLUSHES)]!++;
  }

  /**
   * Drop the entries for the page of (vaHi:vaLo), every page size, at every level, whose context
   * is `pcid` in the current VPID, and (when includeGlobal) the global entries of the current
   * VPID for that page.
   */
  invalidatePage(vaHi: number, vaLo: number, pcid: number, includeGlobal: boolean): void {
    const own = tlbContext(this.vpid, pcid);
    const glob = includeGlobal ? this.curGlobal : -1;
    const ent = this.ent;
    for (let a = 0; a < this.arrayCount; a++) {
      const forSize = a < this.l1Count ? this.l1ForSize : this.l2ForSize;
      for (let s = 0; s < 3; s++) {
        if (forSize[s] !== a) continue;
        const shift = SIZE_SHIFTS[s]!;
        const tLo = tlbTagLo(vaHi, vaLo, shift);
        const tHi = tlbTagHi(vaHi, shift, s);
        const ways = this.arrWays[a]!;
        const base = this.arrBase[a]! + tlbSet(vaHi, vaLo, shift, this.arrMask[a]!, this.arrSets[a]!) * ways;
        for (let i = base; i < base + ways; i++) {
          const e = i * ENTRY_INTS;
          const c = ent[e + E_CTX]!;
          if (ent[e + E_TAG_HI]! === tHi && ent[e + E_TAG_LO]! === tLo && (c === own || c === glob)) this.drop(i);
        }
      }
    }
  }

  /** INVLPG: the page for the current PCID, and global entries for that page (current VPID). */
  invlpg(vaHi: number, vaLo: number): void {
    this.invalidatePage(vaHi, vaLo, this.pcid, true);
  }

  /** Drop every valid entry whose context satisfies `which`. */
  private dropWhere(which: (ctx: number) => boolean): void {
    const ent = this.ent;
    for (let i = 0; i < this.size; i++) {
      const e = i * ENTRY_INTS;
      if (ent[e + E_TAG_HI]! !== TAG_INVALID && which(ent[e + E_CTX]!)) this.drop(i);
    }
  }

  /** Drop every non-global entry tagged `pcid` in the current VPID. */
  flushPcid(pcid: number): void {
    const own = tlbContext(this.vpid, pcid);
    this.dropWhere((c) => c === own);
  }

  /** Drop every non-global entry of the current VPID (all PCIDs). */
  flushNonGlobal(): void {
    const v = this.vpid;
    this.dropWhere((c) => c >>> 13 === v && (c & GLOBAL_CTX) === 0);
  }

  /** Drop every entry of one VPID, global ones too (INVVPID single-context; a VM's context switch). */
  flushVpid(vpid: number): void {
    this.dropWhere((c) => c >>> 13 === vpid);
  }

  /** Drop every entry of every context and VPID. */
  flushAll(): void {
    this.dropWhere(() => true);
  }

  /** Valid entries now held (all levels). */
  get validEntries(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.valid(i)) n++;
    return n;
  }

  /**
   * The valid entries of one array, sorted, as "set:size:vpn:vpid:ctx" descriptions: for tests
   * comparing contents with a reference model (not the hot path).
   */
  contents(array: number): string[] {
    const out: string[] = [];
    const base = this.arrBase[array]!;
    const n = this.arrSets[array]! * this.arrWays[array]!;
    for (let i = base; i < base + n; i++) {
      if (!this.valid(i)) continue;
      const e = i * ENTRY_INTS;
      const tHi = this.ent[e + E_TAG_HI]!;
      const s = tHi & 3;
      const vpn = (tHi >>> 2) * 4294967296 + (this.ent[e + E_TAG_LO]! >>> 0);
      const set = Math.floor((i - base) / this.arrWays[array]!);
      const c = this.ent[e + E_CTX]!;
      const tag = c & GLOBAL_CTX ? 'g' : String(c & 0xfff);
      out.push(`${set}:${SIZE_NAMES[s]}:${vpn}:${c >>> 13}:${tag}`);
    }
    return out.sort();
  }

  /** A snapshot of the counters. */
  stats(): TlbStats {
    const mk = (level: number): TlbStats['l1'] => {
      const one = (s: number): TlbCounters => {
        const ci = statSlot(level, s, 0);
        const c = this.counters;
        return {
          accesses: c[ci + ST_HITS]! + c[ci + ST_MISSES]!,
          hits: c[ci + ST_HITS]!,
          misses: c[ci + ST_MISSES]!,
          fills: c[ci + ST_FILLS]!,
          evictions: c[ci + ST_EVICTIONS]!,
          flushes: c[ci + ST_FLUSHES]!,
        };
      };
      const r = { '4K': one(0), '2M': one(1), '1G': one(2) };
      const total: TlbCounters = { accesses: 0, hits: 0, misses: 0, fills: 0, evictions: 0, flushes: 0 };
      for (const c of Object.values(r)) for (const k of Object.keys(total) as (keyof TlbCounters)[]) total[k] += c[k];
      return { ...r, total };
    };
    return { l1: mk(0), l2: mk(1) };
  }

  resetStats(): void {
    this.counters.fill(0);
  }
}

/** A single-array geometry: `entries = sets × ways` of one page size (what `tlb sim` models). */
export function simpleGeometry(sets: number, ways: number, pageShift: PageShift = 12): TlbGeometry {
  return {
    name: `${sets}x${ways}`,
    l1: [{ name: `${sets} sets x ${ways} ways ${SIZE_NAMES[sizeIndexOfShift(pageShift)]}`, entries: sets * ways, ways, pageShifts: [pageShift] }],
    l2: [],
  };
}
