/**
 * Mmu.translateBatch: many translations in one call, with the same results, counters, TLB
 * contents, stamps and memory bytes as translate() called once per address (property tests in
 * test/mem/tlb hold every loop here to that).
 *
 * The loops, by case:
 *  - hitRun: the common case — a 4K page found in the L1 4K array, rights the entry grants — in
 *    a tight loop with nothing else in it (a hit loop sharing a function with the miss path pays
 *    for the miss path's live values at every hit).
 *  - missRun: everything else, one address at a time; when the TLB is one L1 4K array (the
 *    64-entry 4-way TLB of the benchmarks) a miss walks inline (fastWalk4K) and fills the set
 *    it just searched; anything unusual goes through Mmu.translateSig, which has every rule.
 *  - batchNoTlb: the TLB off: every address walks, inline when it can.
 *  - batchGeneral: per-address access kinds or a TLB without a power-of-two L1 4K array.
 *
 * One fault encoding: out[i] is the physical address (≥ 0) or encodeFault(status, errorCode) < 0.
 */
import { MmuError } from '../errors.js';
import type { Mmu } from './mmu.js';
import { ACCESS_WRITE, PageWalker, WALK_OK, accessFault } from './walker.js';
import { reservedHiMask, HI_FRAME } from './pte.js';
import { E_CTX, E_FLAGS, E_TAG_HI, E_TAG_LO, ENTRY_INTS, F_FRAME, F_STAMP, TAG_INVALID, TLB_DIRTY, type Tlb } from './tlb.js';
import { assertLiteral } from './format.js';

/** kinds[] bit: the access is made at CPL 3 (the low two bits are ACCESS_*). */
export const KIND_USER = 4;

/** A fault in a batch's out[]: −((status << 16) | errorCode), always < 0. */
export function encodeFault(status: number, errorCode: number): number {
  return -((status << 16) | errorCode);
}
/** The status (WALK_*) of an out[] value. */
export function batchStatus(v: number): number {
  return v >= 0 ? WALK_OK : (-v >>> 16) & 0xff;
}
/** The error code of an out[] value (0 for a translation). */
export function batchErrorCode(v: number): number {
  return v >= 0 ? 0 : -v & 0xffff;
}

// The loops below spell the entry layout and the 4K encodings as literals (a module constant is
// loaded from its cell at each use); these are the values they assume.
assertLiteral('ENTRY_INTS', 8, ENTRY_INTS);
assertLiteral('E_TAG_LO', 0, E_TAG_LO);
assertLiteral('E_TAG_HI', 1, E_TAG_HI);
assertLiteral('E_CTX', 2, E_CTX);
assertLiteral('E_FLAGS', 3, E_FLAGS);
assertLiteral('F_STAMP', 2, F_STAMP);
assertLiteral('F_FRAME', 3, F_FRAME);
assertLiteral('TAG_INVALID', -1, TAG_INVALID);
assertLiteral('TLB_DIRTY', 8, TLB_DIRTY);
assertLiteral('frame bits 51:32', 0xf_ffff, HI_FRAME);

/**
 * fastWalk4K's results: [0..n) the entry addresses read, then leaf lo, leaf hi and the rights
 * (RIGHT_* combined over the walk) at W_LO, W_HI, W_RIGHTS. Int32 slots: no boxing.
 */
export const W = new Int32Array(8);
const W_LO = 5;
const W_HI = 6;
const W_RIGHTS = 7;

/**
 * The walk of PageWalker.walk's fast path, as a function the loops can inline: a canonical
 * address (checked by the caller), every entry present with nothing reserved, tables below
 * 2 GiB, a 4 KiB leaf, an access the rights allow (faultMask bit r set = rights r fault). It
 * reads memory only. Returns the leaf entry's address, or -1 when anything is off the common
 * case (then the caller starts over with the general walk, which finds the same entries).
 */
export function fastWalk4K(u32: Uint32Array, last: number, table: number, hi: number, lo: number, five: boolean, tableHiStop: number, leafHiReserved: number, faultMask: number): number {
  const w = W; // a local: a module binding is loaded from its cell at every use
  let ea = 0;
  let elo = 0;
  let ehi = 0;
  let loAnd = -1;
  let hiOr = 0;
  if (five) {
    ea = table + ((hi >>> 13) & 0xff8);
    if (ea > last) return -1;
    w[4] = ea;
    elo = u32[ea >>> 2]!;
    ehi = u32[(ea >>> 2) + 1]!;
    if ((elo & 0x8000_0081) !== 1 || (ehi & tableHiStop) !== 0) return -1;
    loAnd &= elo;
    hiOr |= ehi;
    table = elo & 0x7fff_f000;
  }
  ea = table + ((hi >>> 4) & 0xff8); // PML4 index: bits 47:39
  if (ea > last) return -1;
  w[3] = ea;
  elo = u32[ea >>> 2]!;
  ehi = u32[(ea >>> 2) + 1]!;
  if ((elo & 0x8000_0081) !== 1 || (ehi & tableHiStop) !== 0) return -1;
  loAnd &= elo;
  hiOr |= ehi;
  table = elo & 0x7fff_f000;
  ea = table + ((((lo >>> 30) | (hi << 2)) & 511) << 3); // PDPT index: bits 38:30
  if (ea > last) return -1;
  w[2] = ea;
  elo = u32[ea >>> 2]!;
  ehi = u32[(ea >>> 2) + 1]!;
  if ((elo & 0x8000_0081) !== 1 || (ehi & tableHiStop) !== 0) return -1;
  loAnd &= elo;
  hiOr |= ehi;
  table = elo & 0x7fff_f000;
  ea = table + ((lo >>> 18) & 0xff8); // PD index: bits 29:21
  if (ea > last) return -1;
  w[1] = ea;
  elo = u32[ea >>> 2]!;
  ehi = u32[(ea >>> 2) + 1]!;
  if ((elo & 0x8000_0081) !== 1 || (ehi & tableHiStop) !== 0) return -1;
  loAnd &= elo;
  hiOr |= ehi;
  table = elo & 0x7fff_f000;
  ea = table + ((lo >>> 9) & 0xff8); // PT index: bits 20:12
  if (ea > last) return -1;
  w[0] = ea;
  elo = u32[ea >>> 2]!;
  ehi = u32[(ea >>> 2) + 1]!;
  if ((elo & 1) === 0 || (ehi & leafHiReserved) !== 0) return -1;
  loAnd &= elo;
  hiOr |= ehi;
  const rights = ((loAnd >>> 1) & 3) | ((hiOr >>> 31) << 2);
  if (((faultMask >>> rights) & 1) !== 0) return -1;
  w[W_LO] = elo;
  w[W_HI] = ehi;
  w[W_RIGHTS] = rights;
  return ea;
}

/** The walker's configuration as fastWalk4K takes it, worked out once per batch. */
interface WalkSetup {
  five: boolean;
  tableHiStop: number;
  leafHiReserved: number;
  faultMask: number;
  updateAD: boolean;
}

function walkSetup(walker: PageWalker, access: number, user: boolean): WalkSetup {
  const c = walker.config;
  const leafHiReserved = reservedHiMask(c.maxPhyAddr, c.nxe) | 0;
  let faultMask = 0;
  for (let r = 0; r < 8; r++) if (accessFault(r, access, user, c.wp, c.smep, c.smap, c.ac, c.nxe)) faultMask |= 1 << r;
  return { five: c.levels === 5, tableHiStop: (leafHiReserved | HI_FRAME) | 0, leafHiReserved, faultMask, updateAD: c.updateAD };
}

/** A/D of a successful fast walk (writeBackAD's rule on W's entries); returns the leaf's low half. */
function fastWalkAD(u32: Uint32Array, five: boolean, write: boolean): number {
  const w = W;
  for (let k = five ? 4 : 3; k >= 0; k--) {
    const wi = w[k]! >>> 2;
    u32[wi] = u32[wi]! | 0x20; // A
  }
  const lw = w[0]! >>> 2;
  if (write) u32[lw] = u32[lw]! | 0x40; // D
  return u32[lw]!;
}

export function translateBatch(mmu: Mmu, vas: Uint32Array, out: Float64Array, access: number, user: boolean, kinds: Uint8Array | undefined, count: number): number {
  if (!(Number.isInteger(count) && count >= 0) || count * 2 > vas.length || count > out.length || (kinds !== undefined && count > kinds.length)) {
    throw new MmuError('translateBatch', `${count} addresses need ${count * 2} halves (have ${vas.length}), ${count} result slots (have ${out.length})${kinds ? ` and ${count} kinds (have ${kinds.length})` : ''}`);
  }
  if (!(access >= 0 && access <= 2 && Number.isInteger(access))) throw new MmuError('translateBatch', `access ${access} is not 0 (read), 1 (write) or 2 (fetch)`);
  const tlb = mmu.tlb;
  const a4 = tlb.l1ForSize[0]!;
  const plainWalker = Object.getPrototypeOf(mmu.walker) === PageWalker.prototype;
  if (!mmu.tlbEnabled) return batchNoTlb(mmu, vas, out, count, access, user, kinds, plainWalker);
  if (kinds !== undefined || a4 < 0 || tlb.arrMask[a4]! < 0) return batchGeneral(mmu, vas, out, count, access, user ? 1 : 0, kinds);
  const sig = mmu.sig();
  const okMask = mmu.okMask(sig, access, user ? 1 : 0);
  const base4 = tlb.arrBase[a4]!;
  const ways4 = tlb.arrWays[a4]!;
  const mask4 = tlb.arrMask[a4]!;
  const canonShift = mmu.walker.config.levels === 5 ? 24 : 15;
  const lru = tlb.policyCode === 0;
  // A miss walks inline when the L1 4K array is the TLB's only array: then a miss there is a
  // miss everywhere, and a 4K walk fills the set just searched, where no entry for the page is
  // visible to this context, so the fill takes the first invalid way or victimWay's choice.
  // Random replacement and global pages keep the general path.
  const inlineMiss = plainWalker && tlb.arrayCount === 1 && tlb.l1ForSize[1]! < 0 && tlb.l1ForSize[2]! < 0 && tlb.policyCode !== 2;
  const setup = inlineMiss ? walkSetup(mmu.walker, access, user) : null;
  let faults = 0;
  let n = 0;
  const counters = tlb.counters;
  while (n < count) {
    const from = n;
    n = hitRun(tlb.ent, tlb.entF, mmu.memo, vas, out, n, count, base4, ways4, mask4, canonShift, tlb.curCtx, tlb.curGlobal, okMask, lru, tlb.clock);
    const hits = n - from;
    if (hits > 0) {
      if (lru) tlb.clock += hits;
      counters[0]! += hits; // statSlot(0, SIZE_4K, ST_HITS)
      mmu.translations += hits;
      mmu.hit = 1;
    }
    if (n < count) {
      const before = mmu.faultCount;
      n = missRun(mmu, tlb, vas, out, n, count, access, user, sig, okMask, base4, ways4, mask4, canonShift, setup);
      faults += mmu.faultCount - before;
    }
  }
  return faults;
}

/**
 * Hits from n on: returns the index of the first address that is not a plain L1 4K hit with
 * rights the entry grants (or count). Each hit stamps its entry with ++clock under LRU; the
 * caller adds the hits to the clock and the counters.
 */
function hitRun(
  ent: Int32Array,
  entF: Float64Array,
  memo: Int32Array,
  vas: Uint32Array,
  out: Float64Array,
  n: number,
  count: number,
  base4: number,
  ways4: number,
  mask4: number,
  canonShift: number,
  cur: number,
  glob: number,
  okMask: number,
  lru: boolean,
  clock: number,
): number {
  for (; n < count; n++) {
    const lo = vas[2 * n]!;
    const hi = vas[2 * n + 1]!;
    const top = (hi | 0) >> canonShift;
    if (top !== 0 && top !== -1) break;
    const tLo = (lo >>> 12) | (hi << 20); // tlbTagLo(hi, lo, 12)
    const tHi = ((hi & 0x1ffffff) >>> 12) << 2; // tlbTagHi(hi, 12, SIZE_4K)
    // v86's trick, kept exact: a direct-mapped memo remembers which entry last held this page;
    // it is only a hint, validated against the entry's tags and context (a context sees at most
    // one entry per page), so the answer, stats and LRU order are those of the way search.
    const h = (lo >>> 12) & 1023;
    let i = memo[h]!;
    let e = i << 3;
    let c = ent[e + 2]!;
    if (ent[e]! !== tLo || ent[e + 1]! !== tHi || (c !== cur && c !== glob)) {
      i = base4 + (tLo & mask4) * ways4;
      const end = i + ways4;
      for (; i < end; i++) {
        e = i << 3;
        c = ent[e + 2]!;
        if (ent[e]! === tLo && ent[e + 1]! === tHi && (c === cur || c === glob)) break;
      }
      if (i === end) break;
      memo[h] = i;
    }
    if (((okMask >>> ent[e + 3]!) & 1) === 0) break;
    if (lru) entF[(i << 2) + 2] = ++clock;
    out[n] = entF[(i << 2) + 3]! + (lo & 0xfff);
  }
  return n;
}

/**
 * Addresses from n on that are not plain hits, until one is (returned, for hitRun) or count.
 * Counts faults in mmu.faultCount.
 */
function missRun(
  mmu: Mmu,
  tlb: Tlb,
  vas: Uint32Array,
  out: Float64Array,
  n: number,
  count: number,
  acc: number,
  user: boolean,
  sig: number,
  okMask: number,
  base4: number,
  ways4: number,
  mask4: number,
  canonShift: number,
  setup: WalkSetup | null,
): number {
  const ent = tlb.ent;
  const entF = tlb.entF;
  const memo = mmu.memo;
  const cur = tlb.curCtx;
  const glob = tlb.curGlobal;
  const usr = user ? 1 : 0;
  const mem = mmu.walker.mem;
  const u32 = mem.u32;
  const last = mem.size - 8;
  const cr3 = mmu.cr3;
  const counters = tlb.counters;
  const write = acc === ACCESS_WRITE;
  const pge = mmu.pge;
  const fastOk = setup !== null && cr3 >= 0 && cr3 < 0x8000_0000;
  const five = setup !== null && setup.five;
  const tableHiStop = setup !== null ? setup.tableHiStop : 0;
  const leafHiReserved = setup !== null ? setup.leafHiReserved : 0;
  const faultMask = setup !== null ? setup.faultMask : 0;
  const updateAD = setup !== null && setup.updateAD;
  const root = cr3 & 0x7fff_f000;
  const w = W;
  let clock = tlb.clock;
  let faults = 0;
  for (; n < count; n++) {
    const lo = vas[2 * n]!;
    const hi = vas[2 * n + 1]!;
    const top = (hi | 0) >> canonShift;
    let missed4K = false;
    if (top === 0 || top === -1) {
      const tLo = (lo >>> 12) | (hi << 20);
      const tHi = ((hi & 0x1ffffff) >>> 12) << 2;
      const setBase = base4 + (tLo & mask4) * ways4;
      const end = setBase + ways4;
      let i = setBase;
      for (; i < end; i++) {
        const e = i << 3;
        const c = ent[e + 2]!;
        if (ent[e]! === tLo && ent[e + 1]! === tHi && (c === cur || c === glob)) break;
      }
      if (i < end) {
        mmu.memo[(lo >>> 12) & 1023] = i;
        if (((okMask >>> ent[(i << 3) + 3]!) & 1) !== 0) break; // a plain hit: back to hitRun
      } else {
        missed4K = true;
        if (fastOk) {
          const ea = fastWalk4K(u32, last, root, hi, lo, five, tableHiStop, leafHiReserved, faultMask);
          // Global pages under CR4.PGE take the general fill (it drops other PCIDs' copies).
          if (ea >= 0 && !(pge && (w[5]! & 0x100) !== 0)) {
            const leafLo = updateAD ? fastWalkAD(u32, five, write) : w[5]!;
            const leafHi = w[6]!;
            // The processor sets D on a successful write whether or not the model writes it
            // back, so the entry is dirty after one.
            const flags = (w[7]! & 7) | ((leafLo & 0x40) !== 0 || write ? 8 : 0);
            let victim = -1;
            for (let j = setBase; j < end; j++) {
              if (ent[(j << 3) + 1]! === -1) {
                victim = j;
                break;
              }
            }
            if (victim < 0) {
              tlb.clock = clock;
              victim = tlb.victimWay(setBase, ways4);
              counters[3]!++; // statSlot(0, SIZE_4K, ST_EVICTIONS)
            }
            const frameHi = leafHi & 0xf_ffff;
            const frameLo = (leafLo & 0xffff_f000) >>> 0;
            const frame = frameHi === 0 ? frameLo : frameHi * 4294967296 + frameLo;
            const e = victim << 3;
            ent[e] = tLo;
            ent[e + 1] = tHi;
            ent[e + 2] = cur;
            ent[e + 3] = flags;
            entF[(victim << 2) + 2] = ++clock;
            entF[(victim << 2) + 3] = frame;
            memo[(lo >>> 12) & 1023] = victim;
            counters[1]!++; // misses
            counters[2]!++; // fills
            mmu.translations++;
            mmu.walks++;
            mmu.hit = 0;
            out[n] = frame + (lo & 0xfff);
            continue;
          }
        }
      }
    }
    tlb.clock = clock;
    const st = mmu.translateSig(hi, lo, acc, usr, sig, missed4K);
    clock = tlb.clock;
    if (st === WALK_OK) out[n] = mmu.pa;
    else {
      out[n] = encodeFault(st, mmu.errorCode);
      faults++;
    }
  }
  tlb.clock = clock;
  mmu.faultCount += faults;
  return n;
}

/**
 * translateBatch with the TLB off: every address walks. The same steps as translateSig +
 * walkAndFill (translations, walks unless #GP, faults encoded in out); a plain PageWalker's
 * common case walks inline.
 */
function batchNoTlb(mmu: Mmu, vas: Uint32Array, out: Float64Array, count: number, access: number, user: boolean, kinds: Uint8Array | undefined, plainWalker: boolean): number {
  const walker = mmu.walker;
  const cr3 = mmu.cr3;
  const mem = walker.mem;
  const u32 = mem.u32;
  const last = mem.size - 8;
  const setup = plainWalker && kinds === undefined && cr3 >= 0 && cr3 < 0x8000_0000 ? walkSetup(walker, access, user) : null;
  const canonShift = walker.config.levels === 5 ? 24 : 15;
  const write = access === ACCESS_WRITE;
  const fastOk = setup !== null;
  const five = setup !== null && setup.five;
  const tableHiStop = setup !== null ? setup.tableHiStop : 0;
  const leafHiReserved = setup !== null ? setup.leafHiReserved : 0;
  const faultMask = setup !== null ? setup.faultMask : 0;
  const updateAD = setup !== null && setup.updateAD;
  const root = cr3 & 0x7fff_f000;
  const w = W;
  let faults = 0;
  let fast = 0;
  try {
    for (let n = 0; n < count; n++) {
      let acc = access;
      let usr = user;
      if (kinds !== undefined) {
        const k = kinds[n]!;
        acc = k & 3;
        usr = (k & KIND_USER) !== 0;
      }
      const lo = vas[2 * n]!;
      const hi = vas[2 * n + 1]!;
      if (fastOk) {
        const top = (hi | 0) >> canonShift;
        if (top === 0 || top === -1) {
          const ea = fastWalk4K(u32, last, root, hi, lo, five, tableHiStop, leafHiReserved, faultMask);
          if (ea >= 0) {
            const leafLo = updateAD ? fastWalkAD(u32, five, write) : w[5]!;
            const frameHi = w[6]! & 0xf_ffff;
            const frameLo = (leafLo & 0xffff_f000) >>> 0;
            out[n] = (frameHi === 0 ? frameLo : frameHi * 4294967296 + frameLo) + (lo & 0xfff);
            fast++;
            continue;
          }
        }
      }
      mmu.translations++;
      mmu.hit = 0;
      const st = plainWalker ? walker.walk(cr3, hi | 0, lo | 0, acc, usr) : walker.walk(cr3, hi, lo, acc, usr);
      if (st === WALK_OK) {
        mmu.walks++;
        out[n] = walker.pa;
        continue;
      }
      const st2 = mmu.afterWalk(st, hi, lo, acc, false);
      out[n] = encodeFault(st2, mmu.errorCode);
      faults++;
    }
  } finally {
    // In finally: a MemoryError from a walk leaves the counts of the addresses before it exact.
    mmu.translations += fast;
    mmu.walks += fast;
    if (fast > 0) mmu.hit = 0;
  }
  return faults;
}

/** Per-address access kinds, or a TLB whose L1 4K array the loops above cannot index: translateSig per address. */
function batchGeneral(mmu: Mmu, vas: Uint32Array, out: Float64Array, count: number, access: number, u: number, kinds: Uint8Array | undefined): number {
  const sig = mmu.sig();
  let faults = 0;
  for (let n = 0; n < count; n++) {
    let acc = access;
    let usr = u;
    if (kinds !== undefined) {
      const k = kinds[n]!;
      acc = k & 3;
      usr = (k & KIND_USER) !== 0 ? 1 : 0;
    }
    const st = mmu.translateSig(vas[2 * n + 1]!, vas[2 * n]!, acc, usr, sig, false);
    if (st === WALK_OK) out[n] = mmu.pa;
    else {
      out[n] = encodeFault(st, mmu.errorCode);
      faults++;
    }
  }
  return faults;
}
