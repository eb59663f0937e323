/**
 * A trace run on the full system instead of the page-number simulator: 4-level page tables built
 * on demand by the fault handler, the Mmu (a Skylake-sized TLB in front of the walker), M frames
 * and a swap device — every access a real translation, every fault a real PTE update, every
 * eviction an INVLPG. Gives the simulator's counters (they must agree) plus what only the full
 * system has: swap I/O, page walks, TLB hits, page-table frames.
 */
import { PhysicalMemory, PAGE_SIZE } from '../phys.js';
import { PageTableBuilder } from '../builder.js';
import { PageWalker, ACCESS_READ, ACCESS_WRITE } from '../walker.js';
import { Mmu } from '../mmu.js';
import { SKYLAKE } from '../tlb-presets.js';
import type { TlbGeometry } from '../tlb.js';
import { DemandPager, PagingError } from './pager.js';
import { createPolicy, type PolicyName } from './policy.js';
import type { PagingStats } from './sim.js';
import type { PageTrace } from './trace.js';

export interface SystemStats extends PagingStats {
  /** Pages read from / written to the swap device. */
  swapReads: number;
  swapWrites: number;
  /** Never-touched pages given a zeroed frame. */
  zeroFills: number;
  /** Mmu translations (an access that faults translates twice), page walks among them. */
  translations: number;
  walks: number;
  /** Translations served by the TLB without a walk, over all translations. */
  tlbHitRate: number;
  /** Page-table frames at the end (the root included). */
  tableFrames: number;
}

/** Physical memory the run may use at most (one ArrayBuffer). */
export const MAX_SYSTEM_BYTES = 0x4000_0000;

const LOWER_END_VPN = 2 ** 35; // 0x0000_8000_0000_0000 >> 12
const UPPER_START_VPN = 2 ** 52 - 2 ** 35; // 0xffff_8000_0000_0000 >> 12

export function runOnSystem(trace: PageTrace, frames: number, policy: PolicyName, geometry: TlbGeometry = SKYLAKE): SystemStats {
  const vpns = trace.pageNumbers;
  // Exactly the tables the trace's pages need: one PT per 2 MiB, PD per 1 GiB, PDPT per 512 GiB.
  const distinct = (shift: number) => new Set(Array.from(vpns, (v) => Math.floor(v / 2 ** shift))).size;
  for (const v of vpns) {
    if (v >= LOWER_END_VPN && v < UPPER_START_VPN) throw new PagingError(`page 0x${v.toString(16)}000 is not canonical with 4-level paging`);
  }
  const tables = 1 + distinct(9) + distinct(18) + distinct(27);
  const tablesAt = 0x10_0000;
  const framesAt = tablesAt + tables * PAGE_SIZE;
  const bytes = framesAt + frames * PAGE_SIZE;
  if (bytes > MAX_SYSTEM_BYTES) throw new PagingError(`the full system needs ${bytes} bytes of physical memory (${tables} table frames, ${frames} page frames); the limit is ${MAX_SYSTEM_BYTES}`);
  const mem = new PhysicalMemory(bytes);
  const builder = new PageTableBuilder(mem, { levels: 4, tablesAt, tablesEnd: framesAt });
  const mmu = new Mmu(new PageWalker(mem, { levels: 4 }), geometry);
  mmu.movCr3(builder.cr3);
  const pol = createPolicy(policy);
  const pager = new DemandPager(mem, builder, mmu, { frames, framesAt, policy: pol, swapSlots: Math.max(1, trace.pageCount) });
  // Every canonical address is pageable, read-write, user.
  pager.addRegion(0n, LOWER_END_VPN);
  pager.addRegion(0xffff_8000_0000_0000n, 2 ** 35);
  const pages = trace.pages;
  const writes = trace.writes;
  const n = trace.length;
  if (pol.needsFuture) pager.planFuture(Array.from(pages, (id) => vpns[id]!));
  for (let i = 0; i < n; i++) {
    const v = vpns[pages[i]!]!;
    pager.access(Math.floor(v / 1048576), ((v % 1048576) * PAGE_SIZE) >>> 0, writes[i] ? ACCESS_WRITE : ACCESS_READ);
  }
  const s = pager.stats();
  return {
    accesses: s.accesses,
    faults: s.faults,
    evictions: s.evictions,
    writebacks: s.writebacks,
    faultRate: n === 0 ? 0 : s.faults / n,
    swapReads: pager.swap.reads,
    swapWrites: pager.swap.writes,
    zeroFills: s.zeroFills,
    translations: mmu.translations,
    walks: mmu.walks,
    tlbHitRate: mmu.translations === 0 ? 0 : (mmu.translations - mmu.walks) / mmu.translations,
    tableFrames: builder.allocator.used,
  };
}
