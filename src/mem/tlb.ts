/**
 * Translation lookaside buffers: set-associative arrays, one per page size or shared by several
 * (as real cores build them), in two levels (L1 and the second-level STLB), tagged with a PCID
 * (12 bits, CR4.PCIDE) and a VPID (16 bits, 0 = the host), with global entries that match any
 * PCID of their VPID.
 *
 * Layout: every array of a TLB lives in ONE set of typed arrays (entry i of array a is at
 * base[a] + set * ways + way), so the lookup is integer math on typed arrays, monomorphic and
 * allocation-free:
 *   key[i]   = VPN * 4 + size code (0 = 4K, 1 = 2M, 2 = 1G), or -1 when the entry is invalid.
 *              The VPN is taken from the low 57 bits of the address (enough for LA57; canonical
 *              addresses are sign-extended above, so those bits name the page uniquely). Keeping
 *              the size in the key lets one array hold several page sizes (Skylake's STLB holds
 *              4K and 2M) without a 4K entry ever answering for a 2M page with the same number.
 *   ctx[i]   = (VPID << 13) | (global ? 0x1000 : PCID). A lookup compares it with the current
 *              context and with the current VPID's "global" context: two integer compares.
 *   frame[i] = physical base of the page (a double: physical addresses reach 2^52).
 *   flags[i] = RIGHT_W | RIGHT_U | RIGHT_NX (effective over the walk) | TLB_DIRTY.
 *   stamp[i] = LRU: the clock of the last use; FIFO: the clock of the fill.
 *
 * What the flush operations drop is the x86 rule for each operation; the Mmu (mmu.ts) maps the
 * instructions (INVLPG, MOV to CR3, INVPCID, MOV to CR4) onto them.
 */
import { VirtkitError } from '../errors.js';

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
const GLOBAL_CTX = 0x1000;

export const SIZE_4K = 0;
export const SIZE_2M = 1;
export const SIZE_1G = 2;
export const SIZE_SHIFTS: readonly PageShift[] = [12, 21, 30];
export const SIZE_NAMES = ['4K', '2M', '1G'] as const;

/** 2^(32 - shift): the weight of the high half in a page number (no Math.pow on the hot path). */
function vpnScale(shift: number): number {
  return shift === 12 ? 1048576 : shift === 21 ? 2048 : 4;
}

/**
 * The page number of the whole 64-bit address (va >> shift, exact: < 2^52), which picks the set
 * when the set count is not a power of two ("set = VPN mod sets"). The entry's key uses the low
 * 57 bits only, which name a canonical page uniquely.
 */
function fullVpn(vaHi: number, vaLo: number, shift: number): number {
  return (vaHi >>> 0) * vpnScale(shift) + (vaLo >>> shift);
}

/** Size index (SIZE_*) of a page shift. */
export function sizeIndexOfShift(shift: number): number {
  return shift === 12 ? SIZE_4K : shift === 21 ? SIZE_2M : SIZE_1G;
}

// Statistics counters, per (level, size): Float64Array at ((level * 3 + size) * STAT_COUNT + k).
const ST_HITS = 0;
const ST_MISSES = 1;
const ST_FILLS = 2;
const ST_EVICTIONS = 3;
const ST_FLUSHES = 4;
const STAT_COUNT = 5;

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
  readonly key: Float64Array;
  readonly ctx: Int32Array;
  readonly frame: Float64Array;
  readonly flags: Int32Array;
  readonly stamp: Float64Array;
  /** Arguments of place() that are doubles (see there). */
  private readonly scratch = new Float64Array(4);
  /** Level (0 = L1, 1 = L2) and size index of each entry's array (for stats). */
  private readonly entryLevel: Uint8Array;
  /** Replacement clock (stamps); public so the Mmu's batch loop can keep it in a local. */
  clock = 0;

  // ---- context ----
  pcid = 0;
  vpid = 0;
  /** (VPID << 13) | PCID of the current context, and the current VPID's global context. */
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
    this.key = new Float64Array(total).fill(-1);
    this.ctx = new Int32Array(total);
    this.frame = new Float64Array(total);
    this.flags = new Int32Array(total);
    this.stamp = new Float64Array(total);
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
    this.curCtx = (vpid << 13) | pcid;
    this.curGlobal = (vpid << 13) | GLOBAL_CTX;
  }

  /**
   * Find the entry translating (vaHi:vaLo) for the current context: the L1 arrays first (every
   * size), then the STLB; an STLB hit is copied into the L1 array for its size. Returns the entry
   * index (its frame and flags are in frame[] / flags[], hitShift says the page size) or -1 on a
   * miss (then record the miss with recordMiss once the walk says the page size).
   */
  lookup(vaHi: number, vaLo: number): number {
    return this.lookupFrom(vaHi, vaLo, false);
  }

  /**
   * lookup(), optionally skipping the L1 4K array when the caller has just probed it and found
   * nothing (the Mmu's batch loop): the result and the counters are the same.
   */
  lookupFrom(vaHi: number, vaLo: number, l1FourKMissed: boolean): number {
    const hi57 = vaHi & 0x1ffffff;
    // Unrolled: L1 4K, 2M, 1G, then the STLB (each probe is a small function V8 inlines).
    let a = l1FourKMissed ? -1 : this.l1ForSize[0]!;
    let i = a >= 0 ? this.probe(a, 0, hi57, vaLo, vaHi) : -1;
    if (i >= 0) return this.l1Hit(i, 0);
    a = this.l1ForSize[1]!;
    i = a >= 0 ? this.probe(a, 1, hi57, vaLo, vaHi) : -1;
    if (i >= 0) return this.l1Hit(i, 1);
    a = this.l1ForSize[2]!;
    i = a >= 0 ? this.probe(a, 2, hi57, vaLo, vaHi) : -1;
    if (i >= 0) return this.l1Hit(i, 2);
    for (let s = 0; s < 3; s++) {
      a = this.l2ForSize[s]!;
      if (a < 0) continue;
      i = this.probe(a, s, hi57, vaLo, vaHi);
      if (i >= 0) return this.l2Hit(i, s, hi57, vaLo, vaHi);
    }
    return -1;
  }

  /** The entry of array a (holding size s) that translates the page for the current context, or -1. */
  private probe(a: number, s: number, hi57: number, vaLo: number, vaHi: number): number {
    const shift = s === 0 ? 12 : s === 1 ? 21 : 30;
    const head = vaLo >>> shift;
    const vpn = hi57 * (s === 0 ? 1048576 : s === 1 ? 2048 : 4) + head;
    const k = vpn * 4 + s;
    const mask = this.arrMask[a]!;
    const ways = this.arrWays[a]!;
    const set = mask >= 0 ? (head | (hi57 << (32 - shift))) & mask : fullVpn(vaHi, vaLo, shift) % this.arrSets[a]!;
    const base = this.arrBase[a]! + set * ways;
    const end = base + ways;
    const keys = this.key;
    for (let i = base; i < end; i++) {
      if (keys[i] === k) {
        const c = this.ctx[i]!;
        if (c === this.curCtx || c === this.curGlobal) return i;
      }
    }
    return -1;
  }

  private l1Hit(i: number, s: number): number {
    if (this.policyCode === POLICY_LRU) this.stamp[i] = ++this.clock;
    this.hitShift = s === 0 ? 12 : s === 1 ? 21 : 30;
    this.hitLevel = 1;
    this.counters[s * STAT_COUNT + ST_HITS]!++;
    return i;
  }

  /** STLB hit: the L1 array for the size (if any) missed, and takes a copy. */
  private l2Hit(i: number, s: number, hi57: number, vaLo: number, vaHi: number): number {
    if (this.policyCode === POLICY_LRU) this.stamp[i] = ++this.clock;
    const shift = s === 0 ? 12 : s === 1 ? 21 : 30;
    this.hitShift = shift;
    this.hitLevel = 2;
    this.counters[(3 + s) * STAT_COUNT + ST_HITS]!++;
    const a1 = this.l1ForSize[s]!;
    if (a1 < 0) return i;
    this.counters[s * STAT_COUNT + ST_MISSES]!++;
    const head = vaLo >>> shift;
    const vpn = hi57 * vpnScale(shift) + head;
    const sc = this.scratch;
    sc[0] = vpn * 4 + s;
    sc[1] = head | (hi57 << (32 - shift));
    sc[2] = fullVpn(vaHi, vaLo, shift);
    sc[3] = this.frame[i]!;
    return this.place(a1, s, this.ctx[i]!, this.flags[i]!);
  }

  /**
   * Count a lookup that missed every level, for the page size the walk found: a miss at L1 and at
   * the STLB for that size (where the core has an array for it).
   */
  recordMiss(sizeIndex: number): void {
    if (this.l1ForSize[sizeIndex]! >= 0) this.counters[sizeIndex * STAT_COUNT + ST_MISSES]!++;
    if (this.l2ForSize[sizeIndex]! >= 0) this.counters[(3 + sizeIndex) * STAT_COUNT + ST_MISSES]!++;
  }

  /**
   * Install a translation for the current context in the L1 and STLB arrays for its size (an
   * entry for the same page and context already there is overwritten in place, so a refill after
   * a write to a clean entry never duplicates it). Returns the L1 entry index (or the STLB one
   * when the core has no L1 array for the size, -1 when it has neither).
   */
  fill(vaHi: number, vaLo: number, sizeIndex: number, frame: number, flags: number, global: boolean): number {
    const hi57 = vaHi & 0x1ffffff;
    const shift = sizeIndex === 0 ? 12 : sizeIndex === 1 ? 21 : 30;
    const vpnLo = (vaLo >>> shift) | (hi57 << (32 - shift));
    const vpn = hi57 * (sizeIndex === 0 ? 1048576 : sizeIndex === 1 ? 2048 : 4) + (vaLo >>> shift);
    const k = vpn * 4 + sizeIndex;
    const c = global ? this.curGlobal : this.curCtx;
    const a2 = this.l2ForSize[sizeIndex]!;
    let idx = -1;
    const setVpn = fullVpn(vaHi, vaLo, shift);
    const sc = this.scratch;
    sc[0] = k;
    sc[1] = vpnLo;
    sc[2] = setVpn;
    sc[3] = frame;
    if (a2 >= 0) idx = this.place(a2, sizeIndex, c, flags);
    const a1 = this.l1ForSize[sizeIndex]!;
    if (a1 >= 0) idx = this.place(a1, sizeIndex, c, flags);
    return idx;
  }

  /**
   * Write one entry into array a: over a matching entry, else an invalid way, else the victim.
   * The doubles come in scratch[] (key, VPN low 32 bits, full VPN, frame): passed as arguments
   * to a call V8 does not inline they would be boxed, one allocation per fill. vpnLo picks the
   * set when the set count is a power of two, the full 64-bit VPN otherwise.
   */
  private place(a: number, s: number, c: number, flags: number): number {
    const sc = this.scratch;
    const k = sc[0]!;
    const vpnLo = sc[1]!;
    const setVpn = sc[2]!;
    const frame = sc[3]!;
    const mask = this.arrMask[a]!;
    const ways = this.arrWays[a]!;
    const set = mask >= 0 ? vpnLo & mask : setVpn % this.arrSets[a]!;
    const base = this.arrBase[a]! + set * ways;
    const end = base + ways;
    const keys = this.key;
    const stamps = this.stamp;
    const cur = this.curCtx;
    const glob = this.curGlobal;
    // One pass over the set: an entry this context already sees for the page (rewritten in
    // place), else the first invalid way, else the policy's victim (oldest stamp for LRU/FIFO).
    let victim = -1;
    let free = -1;
    let oldest = base;
    let oldestStamp = Infinity;
    for (let i = base; i < end; i++) {
      const ki = keys[i]!;
      if (ki === k) {
        const ci = this.ctx[i]!;
        // The same page as seen by this context (its own or a global entry of its VPID), or the
        // same page with the context being installed (a global fill over a global entry).
        if (ci === cur || ci === glob || ci === c) {
          victim = i;
          break;
        }
      }
      if (ki < 0) {
        if (free < 0) free = i;
      } else {
        const t = stamps[i]!;
        if (t < oldestStamp) {
          oldestStamp = t;
          oldest = i;
        }
      }
    }
    const level = a < this.l1Count ? 0 : 1;
    const ci = (level * 3 + s) * STAT_COUNT;
    if (victim < 0) {
      if (free >= 0) victim = free;
      else {
        victim = this.policyCode === POLICY_RANDOM ? base + (this.rng.next() % ways) : oldest;
        this.counters[ci + ST_EVICTIONS]!++;
      }
    }
    if ((c & GLOBAL_CTX) !== 0) {
      // A global entry is visible to every PCID of its VPID: drop the same page's non-global
      // entries of that VPID, so no context ever sees two entries for one page (the processor
      // is "always free to invalidate additional entries", SDM 4.10.4.1), and a lookup's answer is unique.
      const v = c >>> 13;
      for (let i = base; i < end; i++) if (i !== victim && keys[i] === k && this.ctx[i]! >>> 13 === v) this.drop(i);
    }
    keys[victim] = k;
    this.ctx[victim] = c;
    this.frame[victim] = frame;
    this.flags[victim] = flags;
    this.stamp[victim] = ++this.clock;
    this.counters[ci + ST_FILLS]!++;
    return victim;
  }

  /**
   * The first entry with the smallest stamp in [base, base + ways): place()'s LRU/FIFO victim
   * among valid entries. For 4 ways a branch-free tournament (comparison results as 0/1):
   * stamps in a set come in any order, so a compare-and-branch scan mispredicts about every
   * other way, which costs more than the rest of a TLB fill.
   */
  oldestWay(base: number, ways: number): number {
    const stamps = this.stamp;
    if (ways === 4) {
      const a = stamps[base]!;
      const b = stamps[base + 1]!;
      const c = stamps[base + 2]!;
      const d = stamps[base + 3]!;
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
    let oldestStamp = stamps[base]!;
    for (let i = base + 1; i < base + ways; i++) {
      const t = stamps[i]!;
      if (t < oldestStamp) {
        oldestStamp = t;
        oldest = i;
      }
    }
    return oldest;
  }

  private drop(i: number): void {
    const k = this.key[i]!;
    this.key[i] = -1;
    const s = k % 4;
    this.counters[(this.entryLevel[i]! * 3 + s) * STAT_COUNT + ST_FLUSHES]!++;
  }

  /**
   * Drop the entries for the page of (vaHi:vaLo), every page size, at every level, whose context
   * is `pcid` in the current VPID, and (when includeGlobal) the global entries of the current
   * VPID for that page.
   */
  invalidatePage(vaHi: number, vaLo: number, pcid: number, includeGlobal: boolean): void {
    const hi57 = vaHi & 0x1ffffff;
    const own = (this.vpid << 13) | pcid;
    const glob = includeGlobal ? this.curGlobal : -1;
    for (let a = 0; a < this.arrayCount; a++) {
      const forSize = a < this.l1Count ? this.l1ForSize : this.l2ForSize;
      for (let s = 0; s < 3; s++) {
        if (forSize[s] !== a) continue;
        const shift = SIZE_SHIFTS[s]!;
        const vpnLo = (vaLo >>> shift) | (hi57 << (32 - shift));
        const vpn = hi57 * vpnScale(shift) + (vaLo >>> shift);
        const k = vpn * 4 + s;
        const mask = this.arrMask[a]!;
        const ways = this.arrWays[a]!;
        const set = mask >= 0 ? vpnLo & mask : fullVpn(vaHi, vaLo, shift) % this.arrSets[a]!;
        const base = this.arrBase[a]! + set * ways;
        for (let i = base; i < base + ways; i++) {
          if (this.key[i] === k && (this.ctx[i] === own || this.ctx[i] === glob)) this.drop(i);
        }
      }
    }
  }

  /** INVLPG: the page for the current PCID, and global entries for that page (current VPID). */
  invlpg(vaHi: number, vaLo: number): void {
    this.invalidatePage(vaHi, vaLo, this.pcid, true);
  }

  /** Drop every non-global entry tagged `pcid` in the current VPID. */
  flushPcid(pcid: number): void {
    const own = (this.vpid << 13) | pcid;
    for (let i = 0; i < this.size; i++) if (this.key[i]! >= 0 && this.ctx[i] === own) this.drop(i);
  }

  /** Drop every non-global entry of the current VPID (all PCIDs). */
  flushNonGlobal(): void {
    const v = this.vpid;
    for (let i = 0; i < this.size; i++) {
      const c = this.ctx[i]!;
      if (this.key[i]! >= 0 && c >>> 13 === v && (c & GLOBAL_CTX) === 0) this.drop(i);
    }
  }

  /** Drop every entry of one VPID, global ones too (INVVPID single-context; a VM's context switch). */
  flushVpid(vpid: number): void {
    for (let i = 0; i < this.size; i++) if (this.key[i]! >= 0 && this.ctx[i]! >>> 13 === vpid) this.drop(i);
  }

  /** Drop every entry of every context and VPID. */
  flushAll(): void {
    for (let i = 0; i < this.size; i++) if (this.key[i]! >= 0) this.drop(i);
  }

  /** Valid entries now held (all levels). */
  get validEntries(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.key[i]! >= 0) n++;
    return n;
  }

  /**
   * The valid entries of one array, sorted, as "set:vpn:ctx" descriptions: for tests comparing
   * contents with a reference model (not the hot path).
   */
  contents(array: number): string[] {
    const out: string[] = [];
    const base = this.arrBase[array]!;
    const n = this.arrSets[array]! * this.arrWays[array]!;
    for (let i = base; i < base + n; i++) {
      const k = this.key[i]!;
      if (k < 0) continue;
      const set = Math.floor((i - base) / this.arrWays[array]!);
      const s = k % 4;
      const c = this.ctx[i]!;
      const tag = c & GLOBAL_CTX ? 'g' : String(c & 0xfff);
      out.push(`${set}:${SIZE_NAMES[s]}:${(k - s) / 4}:${c >>> 13}:${tag}`);
    }
    return out.sort();
  }

  /** A snapshot of the counters. */
  stats(): TlbStats {
    const mk = (level: number): TlbStats['l1'] => {
      const one = (s: number): TlbCounters => {
        const ci = (level * 3 + s) * STAT_COUNT;
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
