/**
 * A virtual machine's memory: guest-physical memory backed by host frames, the guest's page
 * tables inside it, and the host's EPT mapping guest-physical to host-physical.
 *
 * Backing: the guest's RAM is a range of host memory and the EPT maps it 1:1 (GPA = HPA inside
 * that range), so GuestMemory is a PhysicalMemory over the SAME buffer as the host: what the
 * guest writes at a guest-physical address is what the two-dimensional walk reads at the
 * host-physical address the EPT gives. The host's own structures (EPT tables, shadow tables)
 * live in host frames outside the guest's RAM, which the EPT does not map, so the guest cannot
 * reach them. Guest-physical pages outside the RAM (device memory, or pages a test maps at
 * random) may be mapped anywhere by the EPT; their contents are never read.
 */
import { FrameAllocator, PAGE_SIZE, PhysicalMemory } from '../phys.js';
import { PageWalker, type PagingConfig } from '../walker.js';
import { EptBuilder, EptWalker, type EptCaps, type EptPageSize, type EptPerms } from './ept.js';

/**
 * Guest-physical memory. Writes to frames the VMM write-protects (the guest's page tables,
 * under shadow paging) do not reach memory directly: they call the trap handler, which
 * emulates the store (rawWrite64) and brings the shadow tables up to date — a VM exit.
 * PageTableBuilder writes entries with write64, so a guest building or updating its tables
 * through the builder traps exactly where a real guest would.
 */
export class GuestMemory extends PhysicalMemory {
  /** Guest-physical frames whose writes trap (empty unless a shadow-paging VMM runs the guest). */
  readonly protectedFrames = new Set<number>();
  /** The VMM's handler for a trapped write (it must perform the write with rawWrite64). */
  trap: ((pa: number, lo: number, hi: number) => void) | null = null;

  constructor(readonly host: PhysicalMemory) {
    super(host.size, host.buffer);
  }

  override write64(pa: number, lo: number, hi: number): void {
    if (this.trap !== null && this.protectedFrames.has(pa - (pa % PAGE_SIZE))) {
      this.trap(pa, lo, hi);
      return;
    }
    super.write64(pa, lo, hi);
  }

  /** The store itself, without trapping (the VMM emulating a trapped write). */
  rawWrite64(pa: number, lo: number, hi: number): void {
    super.write64(pa, lo, hi);
  }
}

export interface VmOptions {
  /** Guest RAM: [ramBase, ramBase + ramSize) of guest-physical (= host-physical) memory. */
  ramBase: number;
  ramSize: number;
  /** Where the guest's page tables come from, inside its RAM (default: the whole RAM). */
  guestTablesAt?: number;
  guestTablesEnd?: number;
  /** Host frames for the EPT tables (outside the guest's RAM). */
  eptAllocator: FrameAllocator;
  /** EPT levels (4 or 5); default 4. */
  eptLevels?: 4 | 5;
  /** The guest's paging controls (levels, NXE, WP, …). */
  guest?: Partial<PagingConfig>;
  /** Page size the EPT maps the RAM with (default 4 KiB); the RAM must be aligned to it. */
  ramPageSize?: EptPageSize;
  /** Permissions of the RAM mapping (default RWX). */
  ramPerms?: EptPerms;
  /** Map the RAM at construction (default true). */
  mapRam?: boolean;
  eptCaps?: Partial<EptCaps>;
  /** EPT A/D flags (EPTP bit 6). */
  eptAd?: boolean;
}

export class Vm {
  readonly host: PhysicalMemory;
  readonly guestMem: GuestMemory;
  readonly ept: EptBuilder;
  /** EPT walker loaded with this VM's EPTP. */
  readonly eptWalker: EptWalker;
  /** Frames for the guest's own page tables (guest-physical, inside its RAM). */
  readonly guestTableAllocator: FrameAllocator;
  readonly guestConfig: Partial<PagingConfig>;
  readonly ramBase: number;
  readonly ramSize: number;

  constructor(host: PhysicalMemory, opts: VmOptions) {
    this.host = host;
    this.ramBase = opts.ramBase;
    this.ramSize = opts.ramSize;
    this.guestMem = new GuestMemory(host);
    this.guestConfig = opts.guest ?? {};
    this.guestTableAllocator = new FrameAllocator(this.guestMem, opts.guestTablesAt ?? opts.ramBase, opts.guestTablesEnd ?? opts.ramBase + opts.ramSize);
    this.ept = new EptBuilder(host, opts.eptAllocator, { levels: opts.eptLevels ?? 4, adEnable: opts.eptAd ?? false });
    this.eptWalker = new EptWalker(host, opts.eptCaps ?? {});
    this.eptWalker.load(this.ept.eptp);
    if (opts.mapRam ?? true) {
      const size = opts.ramPageSize ?? PAGE_SIZE;
      const perms = opts.ramPerms ?? { r: true, w: true, x: true };
      for (let gpa = opts.ramBase; gpa < opts.ramBase + opts.ramSize; gpa += size) this.ept.map(gpa, gpa, size, perms);
    }
  }

  /** Bytes of EPT tables. */
  get eptBytes(): number {
    return this.ept.tableBytes;
  }
}

/** A PageWalker that adds up the entries its walks read (memory references per TLB miss). */
export class CountingWalker extends PageWalker {
  totalRefs = 0;
  walks = 0;
  /** Walks that ended in a translation, and their references. */
  okWalks = 0;
  okRefs = 0;

  override walk(cr3: number, vaHi: number, vaLo: number, access: number, user: boolean): number {
    const st = super.walk(cr3, vaHi, vaLo, access, user);
    this.walks++;
    this.totalRefs += this.refCount;
    if (st === 0) {
      this.okWalks++;
      this.okRefs += this.refCount;
    }
    return st;
  }
}
