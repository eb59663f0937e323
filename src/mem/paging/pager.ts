/**
 * Demand paging on the real machinery: page tables built by PageTableBuilder, translations by
 * the Mmu (TLB in front of the PageWalker), and an operating system's page-fault handler with
 * M physical frames for user pages and a swap device behind them.
 *
 * Page states, all in the PTE (SDM 4.5: with P = 0 the processor ignores every other bit):
 * - never touched: the entry is all zero (or the tables on the way do not exist yet); the first
 *   access gets a zeroed frame ("demand zero");
 * - resident: a present entry, A and D cleared when loaded, set by the walker as it is used;
 * - swapped out: a swap entry (pte.ts swapPteLo/swapPteHi: P = 0, bit 1 set, slot in 50:12).
 *
 * On a not-present fault inside a pageable region the handler takes a free frame, or asks the
 * replacement policy (policy.ts, shared with the trace simulator) for a victim and evicts it:
 * the victim is written to swap only when its D bit says it was written since it was loaded
 * (otherwise its swap slot still holds the same bytes, or, never written anywhere, it was all
 * zeros and goes back to a zero entry), its PTE becomes a swap entry, and INVLPG drops its
 * TLB entry so no stale translation can reach the frame's new contents. Then the faulting page
 * is read in (or zeroed) and its PTE made present. Protection faults (P = 1 in the error code),
 * reserved-bit faults, and faults outside every region are not paged: they stay faults.
 *
 * Each page keeps the swap slot it was first written back to for life (no swap-cache freeing),
 * so a clean page never needs a second write.
 *
 * The policy is told of every access (accessed()/loaded()), not only of faults: the A bit alone
 * cannot tell it, because accesses served by the TLB do not touch the PTE. That makes the full
 * system's faults, evictions and writebacks equal the trace simulator's on the same accesses.
 */
import { VirtkitError } from '../../errors.js';
import type { PhysicalMemory } from '../phys.js';
import { PAGE_SIZE } from '../phys.js';
import type { PageTableBuilder } from '../builder.js';
import type { Mmu } from '../mmu.js';
import { ACCESS_READ, ACCESS_WRITE, PFEC_P, PFEC_RSVD, PFEC_W, PFEC_U, PFEC_I, WALK_GP, WALK_OK, WALK_PF } from '../walker.js';
import { encodeEntry, isSwapPte, LO_D, swapPteHi, swapPteLo, swapSlotOf } from '../pte.js';
import { formatVa, isCanonical, joinVa, vaHi, vaLo } from '../va.js';
import { createPolicy, type PolicyName, type ReplacementPolicy } from './policy.js';
import { SwapDevice } from './swap.js';
import { NEVER, nextUses } from './trace.js';

export class PagingError extends VirtkitError {
  override name = 'PagingError';
}

/** An access the handler did not (or could not) resolve: what the program would get as SIGSEGV. */
export class PageFaultError extends VirtkitError {
  override name = 'PageFaultError';
  constructor(
    readonly va: bigint,
    /** WALK_PF or WALK_GP. */
    readonly status: number,
    /** The page-fault error code (PFEC_* bits); 0 for #GP. */
    readonly errorCode: number,
  ) {
    super(status === WALK_GP ? `#GP at ${formatVa(va)}: not canonical` : `#PF at ${formatVa(va)}: error code 0x${errorCode.toString(16)} (${pfecBits(errorCode)})`);
  }
}

function pfecBits(code: number): string {
  const bits: string[] = [];
  if (code & PFEC_P) bits.push('P');
  if (code & PFEC_W) bits.push('W');
  if (code & PFEC_U) bits.push('U');
  if (code & PFEC_RSVD) bits.push('RSVD');
  if (code & PFEC_I) bits.push('I');
  return bits.length ? bits.join(' ') : 'not present, read, supervisor';
}

export interface RegionFlags {
  w?: boolean;
  u?: boolean;
  nx?: boolean;
}

export interface DemandPagerOptions {
  /** M: physical frames for pageable pages. */
  frames: number;
  /** Physical address of the first of the M frames (they are contiguous). */
  framesAt: number;
  policy: PolicyName | ReplacementPolicy;
  /** Swap device size in pages (default 4096 = 16 MiB). */
  swapSlots?: number;
  /** Accesses made at CPL 3 (default true). */
  user?: boolean;
}

interface Region {
  firstVpn: number;
  endVpn: number;
  flags: RegionFlags;
  /** The region's present-PTE bits (encoded once by the pte codec, frame 0): OR in the frame. */
  pteLo: number;
  pteHi: number;
}

const VPN_HI = 1048576; // 2^20 VPNs per 2^32 bytes

/** Virtual page number (va >> 12) of (hi:lo): exact up to 2^52. */
function vpnOf(hi: number, lo: number): number {
  return (hi >>> 0) * VPN_HI + (lo >>> 12);
}

export class DemandPager {
  readonly swap: SwapDevice;
  readonly policy: ReplacementPolicy;
  readonly frames: number;
  readonly framesAt: number;
  readonly user: boolean;

  // ---- counters ----
  /** Accesses completed (also the time of the next access for the policy). */
  accesses = 0;
  /** Not-present faults the handler resolved. */
  faults = 0;
  evictions = 0;
  /** Victims written to swap (their D bit was set). */
  writebacks = 0;
  /** Pages read back from swap. */
  swapIns = 0;
  /** Never-touched pages given a zeroed frame. */
  zeroFills = 0;

  private readonly regions: Region[] = [];
  private used = 0;
  /** Per frame slot: VPN of the resident page, PA of its PTE, its swap slot or -1. */
  private readonly slotVpn: Float64Array;
  private readonly slotPte: Float64Array;
  private readonly slotSwap: Float64Array;
  private future: Int32Array | null = null;
  private futureVpns: Float64Array | null = null;

  constructor(
    readonly mem: PhysicalMemory,
    readonly builder: PageTableBuilder,
    readonly mmu: Mmu,
    opts: DemandPagerOptions,
  ) {
    const { frames, framesAt } = opts;
    if (!Number.isInteger(frames) || frames < 1) throw new PagingError(`frames must be a positive integer, got ${frames}`);
    if (!Number.isInteger(framesAt) || framesAt % PAGE_SIZE !== 0 || framesAt < 0 || framesAt + frames * PAGE_SIZE > mem.size) {
      throw new PagingError(`frame pool 0x${framesAt.toString(16)} + ${frames} frames is not page-aligned inside memory`);
    }
    const a = builder.allocator;
    if (framesAt < a.end && framesAt + frames * PAGE_SIZE > a.start) {
      throw new PagingError(`frame pool 0x${framesAt.toString(16)}..0x${(framesAt + frames * PAGE_SIZE).toString(16)} overlaps the page-table area 0x${a.start.toString(16)}..0x${a.end.toString(16)}`);
    }
    this.frames = frames;
    this.framesAt = framesAt;
    this.user = opts.user ?? true;
    this.swap = new SwapDevice(opts.swapSlots ?? 4096);
    this.policy = typeof opts.policy === 'string' ? createPolicy(opts.policy) : opts.policy;
    this.policy.reset(frames);
    this.slotVpn = new Float64Array(frames);
    this.slotPte = new Float64Array(frames);
    this.slotSwap = new Float64Array(frames).fill(-1);
    // D bits decide writebacks and A bits are what the policies model: the processor keeps
    // them, so the walker must too.
    mmu.walker.config.updateAD = true;
  }

  /** Declare [va, va + pages·4 KiB) pageable (a VMA): its pages start never touched. */
  addRegion(va: bigint, pages: number, flags: RegionFlags = { w: true, u: true }): void {
    if (!Number.isInteger(pages) || pages < 1) throw new PagingError(`region at ${formatVa(va)}: ${pages} pages is not a positive integer`);
    const levels = this.builder.levels;
    const end = va + BigInt(pages) * 4096n - 1n;
    if (BigInt.asUintN(64, va) % 4096n !== 0n || !isCanonical(va, levels) || !isCanonical(end, levels) || (va < 0n) !== (end < 0n)) {
      throw new PagingError(`region at ${formatVa(va)} (${pages} pages) is not page-aligned and canonical`);
    }
    const firstVpn = vpnOf(vaHi(va), vaLo(va));
    const e = encodeEntry({ frame: 0, p: true, w: flags.w, u: flags.u, nx: flags.nx }, 1);
    const r: Region = { firstVpn, endVpn: firstVpn + pages, flags: { ...flags }, pteLo: e.lo, pteHi: e.hi };
    for (const o of this.regions) {
      if (r.firstVpn < o.endVpn && o.firstVpn < r.endVpn) throw new PagingError(`region at ${formatVa(va)} overlaps another region`);
    }
    this.regions.push(r);
  }

  private regionOf(vpn: number): Region | undefined {
    for (const r of this.regions) if (vpn >= r.firstVpn && vpn < r.endVpn) return r;
    return undefined;
  }

  /**
   * Give the replacement policy the future (OPT needs it): the VPN of every access this pager
   * will make from now on, in order. Each access is checked against the plan.
   */
  planFuture(vpns: ArrayLike<number>): void {
    const n = vpns.length;
    const ids = new Map<number, number>();
    const dense = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let id = ids.get(vpns[i]!);
      if (id === undefined) ids.set(vpns[i]!, (id = ids.size));
      dense[i] = id;
    }
    const next = nextUses(dense, ids.size);
    // Stored relative to time 0 of the pager.
    const base = this.accesses;
    this.future = new Int32Array(base + n).fill(NEVER);
    this.futureVpns = new Float64Array(base + n).fill(-1);
    for (let i = 0; i < n; i++) {
      this.future[base + i] = next[i] === NEVER ? NEVER : base + next[i]!;
      this.futureVpns[base + i] = vpns[i]!;
    }
  }

  private nextUseAt(time: number, vpn: number): number {
    const f = this.future;
    if (f === null || time >= f.length) {
      if (this.policy.needsFuture) throw new PagingError(`${this.policy.name} needs the whole trace: access ${time} was not planned with planFuture()`);
      return NEVER;
    }
    if (this.futureVpns![time] !== vpn) throw new PagingError(`access ${time} is to page 0x${vpn.toString(16)}, but the plan said 0x${this.futureVpns![time]!.toString(16)}`);
    return f[time]!;
  }

  /**
   * One access by the program: translate through the Mmu; on a page fault run the handler and
   * translate again. Returns the physical address. Throws PageFaultError for a fault the
   * handler does not resolve. Allocates nothing unless it faults.
   */
  access(vaHiPart: number, vaLoPart: number, kind: number): number {
    const time = this.accesses;
    const vpn = vpnOf(vaHiPart, vaLoPart);
    const nextUse = this.nextUseAt(time, vpn);
    const mmu = this.mmu;
    let st = mmu.translate(vaHiPart, vaLoPart, kind, this.user);
    let loaded = false;
    if (st === WALK_PF) {
      if (!this.handleFault(vaHiPart, vaLoPart, mmu.errorCode, time, nextUse)) throw new PageFaultError(joinVa(vaHiPart, vaLoPart), WALK_PF, mmu.errorCode);
      loaded = true;
      st = mmu.translate(vaHiPart, vaLoPart, kind, this.user);
    }
    if (st !== WALK_OK) throw new PageFaultError(joinVa(vaHiPart, vaLoPart), st, st === WALK_GP ? 0 : mmu.errorCode);
    this.accesses = time + 1;
    const pa = mmu.pa;
    if (!loaded) {
      const slot = Math.floor((pa - this.framesAt) / PAGE_SIZE);
      // Pages mapped outside the pool (not pageable) are not the policy's business.
      if (slot >= 0 && slot < this.used) this.policy.accessed(slot, time, nextUse);
    }
    return pa;
  }

  /**
   * The page-fault handler for a fault with error code `errorCode` at (hi:lo), the Mmu's walker
   * still holding the failing walk. Returns true when it made the page present.
   */
  handleFault(hi: number, lo: number, errorCode: number, time: number = this.accesses, nextUse: number = NEVER): boolean {
    // A present entry that forbids the access, or a reserved bit: not ours to fix.
    if ((errorCode & (PFEC_P | PFEC_RSVD)) !== 0) return false;
    const vpn = vpnOf(hi, lo);
    const region = this.regionOf(vpn);
    if (region === undefined) return false;
    const walker = this.mmu.walker;
    const mem = this.mem;
    let pteAddr = -1;
    let fromSwap = -1;
    if (walker.leafLevel === 1) {
      pteAddr = walker.leafEntryPa;
      const elo = mem.readLo(pteAddr);
      const ehi = mem.readHi(pteAddr);
      if (elo !== 0 || ehi !== 0) {
        if (!isSwapPte(elo)) return false; // some other software use of a not-present entry
        fromSwap = swapSlotOf(elo, ehi);
      }
    }
    // else: a table on the way is missing, so the page was never touched.

    const slot = this.used < this.frames ? this.used++ : this.evict();
    const frame = this.framesAt + slot * PAGE_SIZE;
    if (fromSwap >= 0) {
      this.swap.read(fromSwap, mem.u8, frame);
      this.swapIns++;
    } else {
      mem.u8.fill(0, frame, frame + PAGE_SIZE);
      this.zeroFills++;
    }
    const f = region.flags;
    const pageVa = joinVa(hi, lo & 0xffff_f000);
    if (pteAddr < 0) {
      // builder.map creates the missing tables (present, writable, user: the leaf decides).
      this.builder.map(pageVa, frame, 4096, { w: f.w, u: f.u, nx: f.nx });
      pteAddr = this.builder.leafEntryAddress(pageVa);
    } else {
      // A and D clear: the walker sets them as the page is used.
      mem.write64(pteAddr, (region.pteLo | (frame % 4294967296)) >>> 0, (region.pteHi | Math.floor(frame / 4294967296)) >>> 0);
    }
    this.slotVpn[slot] = vpn;
    this.slotPte[slot] = pteAddr;
    this.slotSwap[slot] = fromSwap;
    this.faults++;
    this.policy.loaded(slot, time, nextUse);
    return true;
  }

  /** Evict the policy's victim; returns its (now free) slot. */
  private evict(): number {
    const slot = this.policy.victim();
    const mem = this.mem;
    const pte = this.slotPte[slot]!;
    const dirty = (mem.readLo(pte) & LO_D) !== 0;
    let swapSlot = this.slotSwap[slot]!;
    if (dirty) {
      if (swapSlot < 0) swapSlot = this.swap.alloc();
      this.swap.write(swapSlot, mem.u8, this.framesAt + slot * PAGE_SIZE);
      this.writebacks++;
    }
    // Clean and never written back: the page was zero-filled and is still all zeros, so it
    // returns to the never-touched state.
    if (swapSlot >= 0) mem.write64(pte, swapPteLo(swapSlot), swapPteHi(swapSlot));
    else mem.write64(pte, 0, 0);
    const vpn = this.slotVpn[slot]!;
    this.invalidate(Math.floor(vpn / VPN_HI), ((vpn % VPN_HI) * PAGE_SIZE) >>> 0);
    this.evictions++;
    return slot;
  }

  /** INVLPG for the victim's page (a method of its own so tests can prove it is needed). */
  protected invalidate(hi: number, lo: number): void {
    this.mmu.invlpg(hi, lo);
  }

  /** Read dst.length bytes at va into dst (one access per page touched). */
  read(va: bigint, dst: Uint8Array): void {
    this.copy(va, dst, false);
  }

  /** Write src at va (one access per page touched). */
  write(va: bigint, src: Uint8Array): void {
    this.copy(va, src, true);
  }

  private copy(va: bigint, buf: Uint8Array, write: boolean): void {
    let done = 0;
    let cur = BigInt.asUintN(64, va);
    const u8 = this.mem.u8;
    while (done < buf.length) {
      const lo = vaLo(cur);
      const n = Math.min(buf.length - done, PAGE_SIZE - (lo & 0xfff));
      const pa = this.access(vaHi(cur), lo, write ? ACCESS_WRITE : ACCESS_READ);
      if (write) u8.set(buf.subarray(done, done + n), pa);
      else buf.set(u8.subarray(pa, pa + n), done);
      done += n;
      cur = BigInt.asUintN(64, cur + BigInt(n));
    }
  }

  /** Counters in the trace simulator's shape, plus the swap device's. */
  stats(): { accesses: number; faults: number; evictions: number; writebacks: number; swapIns: number; zeroFills: number } {
    return { accesses: this.accesses, faults: this.faults, evictions: this.evictions, writebacks: this.writebacks, swapIns: this.swapIns, zeroFills: this.zeroFills };
  }

  /** Where the page at va lives now: 'resident' (with its frame), 'swapped' (with its slot) or 'untouched'. */
  locate(va: bigint): { state: 'resident'; frame: number } | { state: 'swapped'; slot: number } | { state: 'untouched' } {
    const ea = this.builder.leafEntryAddress(va);
    if (ea < 0 || this.builder.entryAddress(va, 1) !== ea) return { state: 'untouched' };
    const lo = this.mem.readLo(ea);
    const hi = this.mem.readHi(ea);
    if ((lo & 1) === 1) return { state: 'resident', frame: (hi & 0xfffff) * 4294967296 + ((lo & 0xffff_f000) >>> 0) };
    if (isSwapPte(lo)) return { state: 'swapped', slot: swapSlotOf(lo, hi) };
    return { state: 'untouched' };
  }
}
