/**
 * The swap device: page-sized slots in memory, standing for the disk area that holds pages not
 * resident. Counts page reads (swap-ins) and writes (writebacks) as a disk driver would.
 */
import { VirtkitError } from '../../errors.js';
import { PAGE_SIZE } from '../phys.js';

export class SwapError extends VirtkitError {
  override name = 'SwapError';
}

/** Largest device: 2 GiB of slots (one ArrayBuffer). */
export const MAX_SWAP_SLOTS = 0x8000_0000 / PAGE_SIZE;

export class SwapDevice {
  readonly data: Uint8Array;
  /** Pages read from the device. */
  reads = 0;
  /** Pages written to the device. */
  writes = 0;
  private nextFree = 0;
  private readonly freed: number[] = [];

  constructor(readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SWAP_SLOTS) throw new SwapError(`swap device size: ${slots} slots is not 1..${MAX_SWAP_SLOTS}`);
    this.data = new Uint8Array(slots * PAGE_SIZE);
  }

  /** A free slot (lowest freed first, else the next never used). SwapError when the device is full. */
  alloc(): number {
    if (this.freed.length > 0) {
      this.freed.sort((a, b) => b - a);
      return this.freed.pop()!;
    }
    if (this.nextFree >= this.slots) throw new SwapError(`swap device full: all ${this.slots} slots in use`);
    return this.nextFree++;
  }

  free(slot: number): void {
    this.check(slot);
    if (slot >= this.nextFree || this.freed.includes(slot)) throw new SwapError(`swap slot ${slot} is not in use`);
    this.freed.push(slot);
  }

  /** Slots handed out and not freed. */
  get used(): number {
    return this.nextFree - this.freed.length;
  }

  /** Copy slot's page into dst[offset .. offset+4096). */
  read(slot: number, dst: Uint8Array, offset: number): void {
    this.check(slot);
    if (!(offset >= 0 && offset + PAGE_SIZE <= dst.length)) throw new SwapError(`swap read of slot ${slot}: destination offset 0x${offset.toString(16)} leaves no room for a page`);
    dst.set(this.data.subarray(slot * PAGE_SIZE, (slot + 1) * PAGE_SIZE), offset);
    this.reads++;
  }

  /** Copy src[offset .. offset+4096) into the slot. */
  write(slot: number, src: Uint8Array, offset: number): void {
    this.check(slot);
    if (!(offset >= 0 && offset + PAGE_SIZE <= src.length)) throw new SwapError(`swap write of slot ${slot}: source offset 0x${offset.toString(16)} leaves no room for a page`);
    this.data.set(src.subarray(offset, offset + PAGE_SIZE), slot * PAGE_SIZE);
    this.writes++;
  }

  private check(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.slots)) throw new SwapError(`swap slot ${slot} is outside the device (0..${this.slots - 1})`);
  }
}
