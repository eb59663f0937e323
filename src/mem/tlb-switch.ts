/**
 * Context switches on one TLB: N processes take turns, Q memory accesses each, on one core,
 * once with the TLB flushed at every switch (CR4.PCIDE = 0: MOV to CR3 drops every non-global
 * entry) and once with PCID tags (each process its own PCID, CR3 written with the no-flush bit,
 * as Linux does for a PCID whose entries are still valid). Same accesses, real page tables and
 * walks, so the difference is the flushes alone.
 *
 * The workload (deterministic for a seed):
 *  - process p maps USER_PAGES 4K pages at 0x400000 + p × USER_PAGES × 4K (laid out one after
 *    the other, as address-space randomisation would scatter them, so that the processes do not
 *    all compete for the same TLB sets) to frames of its own, and shares KERNEL_PAGES global kernel pages at 0xffff800000000000 (G = 1, CR4.PGE = 1);
 *  - each access: 1 in 8 to a kernel page (uniform), otherwise a user page — 80 % from the
 *    process's hot set (its first HOT_PAGES pages), 20 % uniform over all USER_PAGES — at a
 *    random 8-byte-aligned offset, a read; the draws come from one xorshift32 seeded with `seed`.
 *  - processes run round-robin, 0, 1, …, N-1, 0, …, each for Q accesses, until `accesses` in all.
 */
import { PhysicalMemory } from './phys.js';
import { PageTableBuilder } from './builder.js';
import { PageWalker, ACCESS_READ, WALK_OK } from './walker.js';
import { Mmu } from './mmu.js';
import { XorShift32, TlbError, type TlbGeometry } from './tlb.js';

export const USER_PAGES = 64;
export const HOT_PAGES = 16;
export const KERNEL_PAGES = 8;
const USER_BASE = 0x400000n;
const KERNEL_BASE = 0xffff800000000000n;

export interface SwitchOptions {
  procs: number;
  quantum: number;
  /** Total accesses (default 200000). */
  accesses?: number;
  seed?: number;
  geometry: TlbGeometry;
}

export interface SwitchRun {
  /** Translations served by a TLB level without a walk, over all accesses. */
  hitRate: number;
  hits: number;
  walks: number;
  switches: number;
}

export interface SwitchResult {
  procs: number;
  quantum: number;
  accesses: number;
  tlb: string;
  flush: SwitchRun;
  pcid: SwitchRun;
}

function userBase(proc: number): bigint {
  return USER_BASE + BigInt(proc * USER_PAGES) * 4096n;
}

interface World {
  mem: PhysicalMemory;
  cr3s: number[];
}

function buildWorld(procs: number): World {
  // Per process: a PML4, two PDPTs, two PDs, two PTs at most (user and kernel paths).
  const tablesBytes = procs * 8 * 4096;
  const mem = new PhysicalMemory(Math.ceil((0x100000 + tablesBytes) / 0x100000) * 0x100000);
  const cr3s: number[] = [];
  const alloc = new PageTableBuilder(mem, { levels: 4, tablesAt: 0x100000 }).allocator;
  for (let p = 0; p < procs; p++) {
    const pt = new PageTableBuilder(mem, { levels: 4, allocator: alloc });
    for (let i = 0; i < USER_PAGES; i++) pt.map(userBase(p) + BigInt(i) * 4096n, 0x40000000 + (p * USER_PAGES + i) * 4096, 4096, { w: true, u: true });
    for (let i = 0; i < KERNEL_PAGES; i++) pt.map(KERNEL_BASE + BigInt(i) * 4096n, 0x200000 + i * 4096, 4096, { w: true, g: true });
    cr3s.push(pt.cr3);
  }
  return { mem, cr3s };
}

/** The VA halves of the accesses and their privilege (1 = user), the same for both runs. */
function workload(procs: number, quantum: number, accesses: number, seed: number): { vas: Uint32Array; user: Uint8Array } {
  const rng = new XorShift32(seed);
  const vas = new Uint32Array(2 * accesses);
  const user = new Uint8Array(accesses);
  for (let n = 0; n < accesses; n++) {
    const r = rng.next();
    const off = rng.next() & 0xff8;
    let va: bigint;
    if (r % 8 === 0) va = KERNEL_BASE + BigInt((r >>> 3) % KERNEL_PAGES) * 4096n;
    else {
      user[n] = 1;
      const hot = (r >>> 3) % 10 < 8;
      const page = hot ? (r >>> 8) % HOT_PAGES : (r >>> 8) % USER_PAGES;
      va = userBase(Math.floor(n / quantum) % procs) + BigInt(page) * 4096n;
    }
    va += BigInt(off);
    vas[2 * n] = Number(va & 0xffffffffn);
    vas[2 * n + 1] = Number(va >> 32n);
  }
  return { vas, user };
}

function runOnce(world: World, { vas, user }: { vas: Uint32Array; user: Uint8Array }, procs: number, quantum: number, geometry: TlbGeometry, tagged: boolean): SwitchRun {
  const walker = new PageWalker(world.mem, { levels: 4 });
  const mmu = new Mmu(walker, geometry, { pcide: tagged, pge: true });
  const accesses = vas.length >>> 1;
  let hits = 0;
  let switches = 0;
  let proc = -1;
  for (let n = 0; n < accesses; n++) {
    if (n % quantum === 0) {
      const next = (proc + 1) % procs;
      if (next !== proc || n === 0) {
        if (n > 0) switches++;
        proc = next;
        // PCIDs 1..N when tagged; no-flush once the PCID has run (its entries are still right).
        const st = tagged ? mmu.movCr3(world.cr3s[proc]!, proc + 1, n >= procs * quantum) : mmu.movCr3(world.cr3s[proc]!);
        if (st !== WALK_OK) throw new TlbError('tlb switch: MOV to CR3 faulted');
      }
    }
    if (mmu.translate(vas[2 * n + 1]!, vas[2 * n]!, ACCESS_READ, user[n] === 1) !== WALK_OK) throw new TlbError('tlb switch: a workload access faulted');
    hits += mmu.hit;
  }
  return { hitRate: accesses ? hits / accesses : 0, hits, walks: mmu.walks, switches };
}

export function simulateSwitches(opts: SwitchOptions): SwitchResult {
  const { procs, quantum, geometry } = opts;
  const accesses = opts.accesses ?? 200000;
  if (!(Number.isInteger(procs) && procs >= 1 && procs <= 4095)) throw new TlbError(`procs ${procs} is out of range 1..4095 (one PCID each)`);
  if (!(Number.isInteger(quantum) && quantum >= 1)) throw new TlbError(`quantum ${quantum} must be a positive integer`);
  if (!(Number.isInteger(accesses) && accesses >= 1 && accesses <= 50_000_000)) throw new TlbError(`accesses ${accesses} is out of range 1..50000000`);
  const world = buildWorld(procs);
  const vas = workload(procs, quantum, accesses, opts.seed ?? 1);
  return {
    procs,
    quantum,
    accesses,
    tlb: geometry.name,
    flush: runOnce(world, vas, procs, quantum, geometry, false),
    pcid: runOnce(world, vas, procs, quantum, geometry, true),
  };
}
