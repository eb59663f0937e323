/**
 * The EPT builder: guest-physical to host-physical mappings in EPT tables, a face of the radix
 * engine (radix.ts) that PageTableBuilder also uses.
 */
import type { FrameAllocator, PhysicalMemory } from '../phys.js';
import { pageSizeOfBytes } from '../format.js';
import { MAP_INSIDE_LARGE, MAP_OK, RadixTables, type RadixFormat } from '../radix.js';
import { DEFAULT_EPT_CAPS, EPT_RWX, EPT_UX, EptError, MT_WB, checkMaxPhyAddr, decodeEptEntry, encodeEptEntry, encodeEptp } from './ept-format.js';


export type EptPageSize = 4096 | 0x200000 | 0x40000000;

export interface EptPerms {
  r?: boolean;
  w?: boolean;
  x?: boolean;
  ux?: boolean;
  /** Default 6 (WB). */
  memType?: number;
  ignorePat?: boolean;
}

/** EPT entries for the radix engine: present = any of R/W/X or UX; a table link grants everything. */
function eptRadix(maxPhyAddr: number): RadixFormat {
  return {
    present: (lo) => (lo & (EPT_RWX | EPT_UX)) !== 0,
    link: (pa, level) => encodeEptEntry({ r: true, w: true, x: true, ux: true, address: pa }, level, maxPhyAddr),
  };
}

/**
 * Builds EPT tables in host memory: map(gpa, hpa, size, perms). Tables come from `allocator`
 * (host frames the guest cannot reach). Non-leaf entries grant R/W/X (and UX), so a leaf's
 * permissions are the effective ones.
 */
export class EptBuilder {
  readonly root: number;
  readonly levels: 4 | 5;
  readonly maxPhyAddr: number;
  private readonly frames: number[] = [];

  constructor(
    readonly mem: PhysicalMemory,
    readonly allocator: FrameAllocator,
    opts: { levels?: 4 | 5; maxPhyAddr?: number; adEnable?: boolean; memType?: number } = {},
  ) {
    this.levels = opts.levels ?? 4;
    this.maxPhyAddr = opts.maxPhyAddr ?? 52;
    checkMaxPhyAddr(this.maxPhyAddr);
    this.adEnable = opts.adEnable ?? false;
    this.memType = opts.memType ?? MT_WB;
    this.root = this.newTable();
    this.tables = new RadixTables(mem, eptRadix(this.maxPhyAddr), this.root, this.levels, () => this.newTable());
  }

  /** The engine doing the work. */
  readonly tables: RadixTables;
  readonly adEnable: boolean;
  readonly memType: number;

  /** The EPTP that points at these tables. */
  get eptp(): bigint {
    return encodeEptp({ root: this.root, levels: this.levels, adEnable: this.adEnable, memType: this.memType }, { ...DEFAULT_EPT_CAPS, maxPhyAddr: this.maxPhyAddr });
  }

  private newTable(): number {
    const pa = this.allocator.alloc();
    this.frames.push(pa);
    return pa;
  }

  private checkGpa(gpa: number, what: string): void {
    if (!Number.isInteger(gpa) || gpa < 0 || gpa >= 2 ** Math.min(this.maxPhyAddr, 12 + 9 * this.levels)) {
      throw new EptError(what, `0x${gpa.toString(16)} is not a guest-physical address below 2^${this.maxPhyAddr}`);
    }
  }

  /** Map [gpa, gpa+size) to [hpa, hpa+size). An EptError on misalignment or a conflicting mapping. */
  map(gpa: number, hpa: number, size: EptPageSize, perms: EptPerms): void {
    const leafLevel = pageSizeOfBytes(size)?.level;
    if (leafLevel === undefined) throw new EptError('size', `${String(size)} is not 4096, 2 MiB or 1 GiB`);
    this.checkGpa(gpa, 'gpa');
    if (gpa % size !== 0) throw new EptError('gpa', `0x${gpa.toString(16)} is not aligned to the page size 0x${size.toString(16)}`);
    if (hpa % size !== 0) throw new EptError('hpa', `0x${hpa.toString(16)} is not aligned to the page size 0x${size.toString(16)}`);
    const { lo, hi } = encodeEptEntry(
      { r: perms.r ?? false, w: perms.w ?? false, x: perms.x ?? false, ux: perms.ux ?? false, memType: perms.memType ?? MT_WB, ignorePat: perms.ignorePat ?? false, ps: leafLevel > 1, address: hpa },
      leafLevel,
      this.maxPhyAddr,
    );
    if ((lo & (EPT_RWX | EPT_UX)) === 0) throw new EptError('perms', 'a mapping needs at least one of r, w, x (or ux)');
    const r = this.tables.map(Math.floor(gpa / 4294967296), gpa >>> 0, leafLevel, lo, hi);
    if (r === MAP_OK) return;
    const at = this.tables.stopLevel;
    if (r === MAP_INSIDE_LARGE) throw new EptError('gpa', `0x${gpa.toString(16)} is already inside a ${at === 3 ? '1 GiB' : '2 MiB'} mapping`);
    throw new EptError('gpa', `0x${gpa.toString(16)} is already mapped at level ${at}`);
  }

  /** Host-physical address of the leaf entry mapping gpa (present or not, deepest table), or -1. */
  leafEntryAddress(gpa: number): number {
    this.checkGpa(gpa, 'gpa');
    return this.tables.descend(Math.floor(gpa / 4294967296), gpa >>> 0, 1);
  }

  /** Host-physical address of the entry at `level` on the path to gpa, or -1 when the path stops earlier. */
  entryAddress(gpa: number, level: number): number {
    this.checkGpa(gpa, 'gpa');
    const pa = this.tables.descend(Math.floor(gpa / 4294967296), gpa >>> 0, level);
    return this.tables.stopLevel === level ? pa : -1;
  }

  /** Clear the leaf entry covering gpa. */
  unmap(gpa: number): void {
    this.checkGpa(gpa, 'gpa');
    if (!this.tables.unmap(Math.floor(gpa / 4294967296), gpa >>> 0)) throw new EptError('gpa', `0x${gpa.toString(16)} is not mapped`);
  }

  /** Rewrite the permissions and memory type of the leaf covering gpa (address kept). */
  protect(gpa: number, perms: EptPerms): void {
    this.checkGpa(gpa, 'gpa');
    const done = this.tables.protect(Math.floor(gpa / 4294967296), gpa >>> 0, (oldLo, oldHi, level) => {
      const cur = decodeEptEntry(oldLo, oldHi, level, { ...DEFAULT_EPT_CAPS, maxPhyAddr: this.maxPhyAddr });
      const e = encodeEptEntry(
        { ...cur, r: perms.r ?? false, w: perms.w ?? false, x: perms.x ?? false, ux: perms.ux ?? false, memType: perms.memType ?? MT_WB, ignorePat: perms.ignorePat ?? false },
        level,
        this.maxPhyAddr,
      );
      if ((e.lo & (EPT_RWX | EPT_UX)) === 0) throw new EptError('perms', 'use unmap() to remove every permission');
      return e;
    });
    if (!done) throw new EptError('gpa', `0x${gpa.toString(16)} is not mapped`);
  }

  /** Frames holding EPT tables. */
  tableFrames(): number[] {
    return [...this.frames];
  }

  /** Bytes of EPT tables. */
  get tableBytes(): number {
    return this.frames.length * 4096;
  }
}
