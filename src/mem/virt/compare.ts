/**
 * `virt compare`: one guest workload — build page tables, update some entries, then a stream of
 * translations — run natively, under shadow paging and under nested paging (EPT), on the same
 * TLB model; plus two VMs taking turns on one TLB, flushed at every switch versus VPID-tagged.
 *
 * The guest OS is a script written once against a small Platform interface, so the three runs
 * differ only in what the platform does underneath: native CR3/INVLPG/TLB; shadow (every guest
 * page-table store, CR3 write and INVLPG a VM exit, the real CR3 on shadow tables); nested (the
 * guest runs its own CR3/INVLPG, the TLB sits in front of the 2D walk).
 */
import { VirtkitError } from '../../errors.js';
import { FrameAllocator, PhysicalMemory } from '../phys.js';
import { PageTableBuilder } from '../builder.js';
import { Mmu } from '../mmu.js';
import { SMALL64 } from '../tlb-presets.js';
import { XorShift32, type TlbGeometry } from '../tlb.js';
import { vaHi, vaLo } from '../va.js';
import { ACCESS_READ, ACCESS_WRITE, WALK_OK, type PagingConfig } from '../walker.js';
import { NestedWalker } from './nested.js';
import { ShadowPaging, type ShadowExits } from './shadow.js';
import { CountingWalker, Vm } from './vm.js';

export interface SchemeResult {
  /** Memory references per TLB miss that ends in a translation (hardware walk only). */
  refsPerMiss: number;
  /** VM exits caused by guest page-table writes. */
  traps: number;
  /** Bytes of tables beyond the guest's own (shadow tables; EPT tables). */
  tableBytes: number;
  /** TLB hits / TLB lookups during the translation stream. */
  hitRate: number;
}

export interface CompareResult {
  native: SchemeResult;
  shadow: SchemeResult;
  nested: SchemeResult;
  vmSwitch: { flushedHitRate: number; taggedHitRate: number };
}

export interface CompareDetails {
  levels: 4 | 5;
  pages: number;
  updates: number;
  translations: number;
  tlb: string;
  shadowExits: ShadowExits;
  guestTableBytes: number;
  switchTurn: number;
  switchTurns: number;
}

export interface CompareOptions {
  levels?: 4 | 5;
  /** Pages the guest maps (default 512). */
  pages?: number;
  /** Entries it updates afterwards (default 64). */
  updates?: number;
  /** Translations in the stream (default 20000). */
  translations?: number;
  tlb?: TlbGeometry;
  seed?: number;
}

const MiB = 1 << 20;
// Host layout: guest RAM (guest-physical 0..8 MiB) at host 4..12 MiB, its page tables in its
// first MiB; EPT tables 12..13 MiB, shadow tables 13..14 MiB; the second VM's RAM at host
// 16..24 MiB and its EPT 24..25 MiB. The native run uses host 4..12 MiB the same way.
const RAM = 4 * MiB;
const RAM_SIZE = 8 * MiB;
const TABLES_SIZE = MiB;
const EPT_AT = 12 * MiB;
const SHADOW_AT = 13 * MiB;
const SHADOW_END = 14 * MiB;
const RAM2 = 16 * MiB;
const EPT2_AT = 24 * MiB;
const HOST_SIZE = 28 * MiB;
const VA_BASE = 0x7f00_0000_0000n;

/** What a guest OS needs from the machine it runs on. */
interface Platform {
  /** Memory the guest's page tables live in (guest-physical for a VM). */
  readonly mem: PhysicalMemory;
  readonly tableAllocator: FrameAllocator;
  setCr3(root: number): void;
  invlpg(va: bigint): void;
  /** One access; returns WALK_* (or an EPT status). */
  access(hi: number, lo: number, access: number, user: boolean): number;
  hits(): number;
  lookups(): number;
}

/** Deterministic draws (the TLB's xorshift32) so every run of the workload is the same. */
class Rng extends XorShift32 {
  below(n: number): number {
    return this.next() % n;
  }
}

interface Workload {
  pages: number;
  updates: number;
  translations: number;
  seed: number;
}

/** The guest OS: build, update, then a stream of user accesses. */
function runGuest(p: Platform, levels: 4 | 5, w: Workload, ramBase: number): { hits: number; lookups: number; tables: PageTableBuilder } {
  const rng = new Rng(w.seed);
  const pt = new PageTableBuilder(p.mem, { levels, allocator: p.tableAllocator });
  p.setCr3(pt.cr3);
  // Data frames: a shuffled set of RAM pages above the table area.
  const dataBase = ramBase + TABLES_SIZE;
  const frames = Array.from({ length: (RAM_SIZE - TABLES_SIZE) / 4096 }, (_, i) => dataBase + i * 4096);
  for (let i = frames.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [frames[i], frames[j]] = [frames[j]!, frames[i]!];
  }
  const writable = new Uint8Array(w.pages);
  for (let i = 0; i < w.pages; i++) {
    pt.map(VA_BASE + BigInt(i) * 4096n, frames[i]!, 4096, { w: true, u: true });
    writable[i] = 1;
  }
  // Updates: write-protect some pages, move others to fresh frames; INVLPG after each.
  let spare = w.pages;
  for (let k = 0; k < w.updates; k++) {
    const i = rng.below(w.pages);
    const va = VA_BASE + BigInt(i) * 4096n;
    if (k % 2 === 0) {
      pt.protect(va, { w: false, u: true });
      writable[i] = 0;
    } else {
      pt.unmap(va);
      pt.map(va, frames[spare++]!, 4096, { w: true, u: true });
      writable[i] = 1;
    }
    p.invlpg(va);
  }
  // The stream: 80% from a hot set of 48 pages, 20% anywhere; a quarter of the accesses to
  // writable pages are writes.
  const hot = Math.min(48, w.pages);
  const h0 = p.hits();
  const l0 = p.lookups();
  for (let n = 0; n < w.translations; n++) {
    const i = rng.below(100) < 80 ? rng.below(hot) : rng.below(w.pages);
    const va = VA_BASE + BigInt(i) * 4096n + BigInt(rng.below(4096) & ~7);
    const acc = writable[i] === 1 && rng.below(4) === 0 ? ACCESS_WRITE : ACCESS_READ;
    const st = p.access(vaHi(va), vaLo(va), acc, true);
    if (st !== WALK_OK) throw new VirtkitError(`virt compare: workload access to ${va.toString(16)} faulted (${st})`);
  }
  return { hits: p.hits() - h0, lookups: p.lookups() - l0, tables: pt };
}

class MmuPlatform implements Platform {
  hitCount = 0;
  lookupCount = 0;
  constructor(
    readonly mem: PhysicalMemory,
    readonly tableAllocator: FrameAllocator,
    readonly mmu: Mmu,
  ) {}
  setCr3(root: number): void {
    this.mmu.movCr3(root);
  }
  invlpg(va: bigint): void {
    this.mmu.invlpg(vaHi(va), vaLo(va));
  }
  access(hi: number, lo: number, access: number, user: boolean): number {
    const st = this.mmu.translate(hi, lo, access, user);
    this.lookupCount++;
    this.hitCount += this.mmu.hit;
    return st;
  }
  hits(): number {
    return this.hitCount;
  }
  lookups(): number {
    return this.lookupCount;
  }
}

/** NestedWalker counting the references of walks that end in a translation. */
class CountingNestedWalker extends NestedWalker {
  okWalks = 0;
  okRefs = 0;
  override walk(cr3: number, hi: number, lo: number, access: number, user: boolean): number {
    const st = super.walk(cr3, hi, lo, access, user);
    if (st === WALK_OK) {
      this.okWalks++;
      this.okRefs += this.refCount;
    }
    return st;
  }
}

function rate(hits: number, lookups: number): number {
  return lookups === 0 ? 0 : Math.round((hits / lookups) * 10000) / 10000;
}

function perMiss(refs: number, walks: number): number {
  return walks === 0 ? 0 : Math.round((refs / walks) * 100) / 100;
}

export function runCompare(opts: CompareOptions = {}): { result: CompareResult; details: CompareDetails } {
  const levels = opts.levels ?? 4;
  const tlb = opts.tlb ?? SMALL64;
  const w: Workload = { pages: opts.pages ?? 512, updates: opts.updates ?? 64, translations: opts.translations ?? 20000, seed: opts.seed ?? 0x5eed };
  const guestCfg: Partial<PagingConfig> = { levels };

  // ---- native: the same OS on bare metal ----
  const nMem = new PhysicalMemory(HOST_SIZE);
  const nWalker = new CountingWalker(nMem, guestCfg);
  const nMmu = new Mmu(nWalker, tlb);
  const nRun = runGuest(new MmuPlatform(nMem, new FrameAllocator(nMem, RAM, RAM + TABLES_SIZE), nMmu), levels, w, RAM);
  const guestTableBytes = nRun.tables.tableFrames().length * 4096;

  // ---- shadow paging ----
  const sHost = new PhysicalMemory(HOST_SIZE);
  const sVm = new Vm(sHost, { hostBase: RAM, ramSize: RAM_SIZE, guestTablesEnd: TABLES_SIZE, eptAllocator: new FrameAllocator(sHost, EPT_AT, SHADOW_AT), eptLevels: levels, guest: guestCfg });
  const sh = new ShadowPaging(sVm, { allocator: new FrameAllocator(sHost, SHADOW_AT, SHADOW_END), tlb });
  const shadowPlatform: Platform = {
    mem: sVm.guestMem,
    tableAllocator: sVm.guestTableAllocator,
    setCr3: (root) => sh.setGuestCr3(root),
    invlpg: (va) => sh.invlpg(va),
    access: (hi, lo, access, user) => sh.translate(hi, lo, access, user),
    hits: () => sh.tlbHits,
    lookups: () => sh.tlbLookups,
  };
  const sRun = runGuest(shadowPlatform, levels, w, 0);

  // ---- nested paging ----
  const eHost = new PhysicalMemory(HOST_SIZE);
  const eVm = new Vm(eHost, { hostBase: RAM, ramSize: RAM_SIZE, guestTablesEnd: TABLES_SIZE, eptAllocator: new FrameAllocator(eHost, EPT_AT, SHADOW_AT), eptLevels: levels, guest: guestCfg });
  const eWalker = new CountingNestedWalker(eHost, eVm.eptWalker, guestCfg);
  const eMmu = new Mmu(eWalker, tlb);
  eMmu.setVpid(1);
  const eRun = runGuest(new MmuPlatform(eVm.guestMem, eVm.guestTableAllocator, eMmu), levels, w, 0);

  // ---- two VMs on one TLB ----
  const turn = 100;
  const turns = 40;
  const flushed = vmSwitch(levels, tlb, false, turn, turns);
  const tagged = vmSwitch(levels, tlb, true, turn, turns);

  return {
    result: {
      native: { refsPerMiss: perMiss(nWalker.okRefs, nWalker.okWalks), traps: 0, tableBytes: 0, hitRate: rate(nRun.hits, nRun.lookups) },
      shadow: { refsPerMiss: perMiss(sh.hw.okRefs, sh.hw.okWalks), traps: sh.exits.ptWrite, tableBytes: sh.tableBytes, hitRate: rate(sRun.hits, sRun.lookups) },
      nested: { refsPerMiss: perMiss(eWalker.okRefs, eWalker.okWalks), traps: 0, tableBytes: eVm.eptBytes, hitRate: rate(eRun.hits, eRun.lookups) },
      vmSwitch: { flushedHitRate: flushed, taggedHitRate: tagged },
    },
    details: { levels, pages: w.pages, updates: w.updates, translations: w.translations, tlb: tlb.name, shadowExits: { ...sh.exits }, guestTableBytes, switchTurn: turn, switchTurns: turns },
  };
}

/**
 * Two VMs under nested paging take turns on one core's TLB, `turn` translations each, `turns`
 * turns each: flushing the whole TLB at every switch (no VPIDs) or tagging entries with VPID 1
 * and 2. Each VM's stream has a hot set of 24 pages, so both fit the TLB at once.
 */
function vmSwitch(levels: 4 | 5, tlb: TlbGeometry, tagged: boolean, turn: number, turns: number): number {
  const host = new PhysicalMemory(HOST_SIZE);
  const cfg: Partial<PagingConfig> = { levels };
  const vms = [
    new Vm(host, { hostBase: RAM, ramSize: RAM_SIZE, guestTablesEnd: TABLES_SIZE, eptAllocator: new FrameAllocator(host, EPT_AT, SHADOW_AT), eptLevels: levels, guest: cfg }),
    new Vm(host, { hostBase: RAM2, ramSize: RAM_SIZE, guestTablesEnd: TABLES_SIZE, eptAllocator: new FrameAllocator(host, EPT2_AT, EPT2_AT + MiB), eptLevels: levels, guest: cfg }),
  ];
  const pages = 64;
  const roots = vms.map((vm, k) => {
    const pt = new PageTableBuilder(vm.guestMem, { levels, allocator: vm.guestTableAllocator });
    for (let i = 0; i < pages; i++) pt.map(VA_BASE + BigInt(i) * 4096n, TABLES_SIZE + ((i * 7 + k * 3) % 1024) * 4096, 4096, { w: true, u: true });
    return pt.cr3;
  });
  const walker = new NestedWalker(host, vms[0]!.eptWalker, cfg);
  const mmu = new Mmu(walker, tlb);
  const rng = new Rng(0xc0ffee);
  let hits = 0;
  let lookups = 0;
  for (let t = 0; t < turns * 2; t++) {
    const k = t % 2;
    walker.ept = vms[k]!.eptWalker;
    // VM entry loads the guest's CR3 from the VMCS (no MOV to CR3, no flush of its own).
    mmu.cr3 = roots[k]!;
    if (tagged) mmu.setVpid(k + 1);
    else mmu.tlb.flushAll();
    for (let n = 0; n < turn; n++) {
      const i = rng.below(100) < 90 ? rng.below(24) : rng.below(pages);
      const va = VA_BASE + BigInt(i) * 4096n;
      if (mmu.translate(vaHi(va), vaLo(va), ACCESS_READ, true) !== WALK_OK) throw new VirtkitError('virt compare: VM switch workload faulted');
      hits += mmu.hit;
      lookups++;
    }
  }
  return rate(hits, lookups);
}

/** The text table `virt compare` prints. */
export function formatCompare(r: CompareResult, d: CompareDetails): string {
  const pct = (x: number): string => (x * 100).toFixed(1) + '%';
  const row = (name: string, s: SchemeResult): string =>
    `${name.padEnd(8)} ${s.refsPerMiss.toFixed(2).padStart(9)} ${String(s.traps).padStart(7)} ${s.tableBytes.toLocaleString('en-US').padStart(12)} ${pct(s.hitRate).padStart(9)}`;
  const e = d.shadowExits;
  return [
    `virt compare: ${d.levels}-level guest${d.levels === 5 ? ' on 5-level EPT' : ' on 4-level EPT'}, ${d.pages} pages mapped, ${d.updates} entries updated, ${d.translations} translations, TLB ${d.tlb}`,
    '',
    `${'scheme'.padEnd(8)} ${'refs/miss'.padStart(9)} ${'traps'.padStart(7)} ${'table bytes'.padStart(12)} ${'TLB hits'.padStart(9)}`,
    row('native', r.native),
    row('shadow', r.shadow),
    row('nested', r.nested),
    '',
    `shadow VM exits: ${e.ptWrite} page-table writes, ${e.hiddenPf} hidden page faults, ${e.guestPf} injected, ${e.cr3} CR3 writes, ${e.invlpg} INVLPG, ${e.hostFault} host faults`,
    `table bytes: the guest's own page tables take ${d.guestTableBytes.toLocaleString('en-US')}; beyond them, shadow tables (shadow) and EPT tables (nested)`,
    `two VMs taking turns on one TLB (${d.switchTurn} translations a turn): flushed at each switch ${pct(r.vmSwitch.flushedHitRate)}, VPID-tagged ${pct(r.vmSwitch.taggedHitRate)}`,
    '',
  ].join('\n');
}
