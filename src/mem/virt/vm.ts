/**
 * A virtual machine's memory: guest-physical memory backed by host frames, the guest's page
 * tables inside it, and the host's EPT mapping guest-physical to host-physical.
 *
 * Backing: the guest's RAM is guest-physical [0, ramSize), backed by host-physical
 * [hostBase, hostBase + ramSize), and the EPT maps it so (GPA g → HPA hostBase + g).
 * GuestMemory is a PhysicalMemory whose views lie over exactly those host bytes: what the
 * guest writes at a guest-physical address is what the two-dimensional walk reads at the
 * host-physical address the EPT gives — and since the two addresses differ, a walk that used
 * one for the other would read the wrong entry. The host's own structures (EPT tables, shadow
 * tables) live in host frames outside the RAM, which the EPT does not map, so the guest cannot
 * reach them. Guest-physical pages outside the RAM (device memory, or pages a test maps at
 * random) may be mapped anywhere by the EPT; their contents are never read.
 */
import { FrameAllocator, MemoryError, PAGE_SIZE, PhysicalMemory } from '../phys.js';
import { PageWalker, type PagingConfig } from '../walker.js';
import { EptBuilder, EptWalker, type EptCaps, type EptPageSize, type EptPerms } from './ept.js';

/**
 * Guest-physical memory [0, size), its bytes being host memory [hostBase, hostBase + size):
 * u8 and u32 are views on the host's buffer starting at hostBase (and `buffer` is the host's),
 * so every PhysicalMemory method, the builder and the walker work in guest-physical addresses.
 *
 * Writes to frames the VMM write-protects (the guest's page tables, under shadow paging) do
 * not reach memory directly: they call the trap handler, which emulates the store (rawWrite64)
 * and brings the shadow tables up to date — a VM exit. PageTableBuilder writes entries with
 * write64, so a guest building or updating its tables through the builder traps exactly where
 * a real guest would.
 */
export class GuestMemory extends PhysicalMemory {
  /** Guest-physical frames whose writes trap (empty unless a shadow-paging VMM runs the guest). */
  readonly protectedFrames = new Set<number>();
  /** The VMM's handler for a trapped write (it must perform the write with rawWrite64). */
  trap: ((pa: number, lo: number, hi: number) => void) | null = null;

  constructor(
    readonly host: PhysicalMemory,
    readonly hostBase: number,
    size: number,
  ) {
    // A guest's RAM is a window on the host's buffer: guest-physical 0 is host hostBase.
    if (hostBase % PAGE_SIZE !== 0 || hostBase < 0 || hostBase + size > host.size) {
      throw new MemoryError(hostBase, `guest RAM of 0x${size.toString(16)} bytes at host 0x${hostBase.toString(16)} is not page-aligned inside host memory`);
    }
    super(size, host.buffer, host.u8.byteOffset + hostBase);
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
  /** Host-physical address backing guest-physical 0; the RAM is guest-physical [0, ramSize). */
  hostBase: number;
  ramSize: number;
  /** Guest-physical range the guest's page tables come from (default: the whole RAM). */
  guestTablesAt?: number;
  guestTablesEnd?: number;
  /** Host frames for the EPT tables (outside the guest's RAM). */
  eptAllocator: FrameAllocator;
  /** EPT levels (4 or 5); default 4. */
  eptLevels?: 4 | 5;
  /** The guest's paging controls (levels, NXE, WP, …). */
  guest?: Partial<PagingConfig>;
  /** Page size the EPT maps the RAM with (default 4 KiB); hostBase and ramSize must be multiples of it. */
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
  readonly hostBase: number;
  readonly ramSize: number;

  constructor(host: PhysicalMemory, opts: VmOptions) {
    this.host = host;
    this.hostBase = opts.hostBase;
    this.ramSize = opts.ramSize;
    this.guestMem = new GuestMemory(host, opts.hostBase, opts.ramSize);
    this.guestConfig = opts.guest ?? {};
    this.guestTableAllocator = new FrameAllocator(this.guestMem, opts.guestTablesAt ?? 0, opts.guestTablesEnd ?? opts.ramSize);
    this.ept = new EptBuilder(host, opts.eptAllocator, { levels: opts.eptLevels ?? 4, adEnable: opts.eptAd ?? false });
    this.eptWalker = new EptWalker(host, opts.eptCaps ?? {});
    this.eptWalker.load(this.ept.eptp);
    if (opts.mapRam ?? true) {
      const size = opts.ramPageSize ?? PAGE_SIZE;
      const perms = opts.ramPerms ?? { r: true, w: true, x: true };
      for (let gpa = 0; gpa < opts.ramSize; gpa += size) this.ept.map(gpa, opts.hostBase + gpa, size, perms);
    }
  }

  /** Host-physical address of a guest-physical address inside the RAM. */
  hpaOf(gpa: number): number {
    return this.hostBase + gpa;
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
