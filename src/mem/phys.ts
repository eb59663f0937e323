/**
 * Physical memory: one ArrayBuffer standing for a machine's RAM, read and written as the
 * hardware does, 8-byte little-endian page-table entries as two 32-bit halves (no BigInt on the
 * hot path). Reads and writes outside the buffer are a MemoryError, never a silent zero.
 */
import { VirtkitError } from '../errors.js';

export class MemoryError extends VirtkitError {
  override name = 'MemoryError';
  constructor(
    readonly address: number,
    readonly reason: string,
  ) {
    super(`physical address 0x${address.toString(16)}: ${reason}`);
  }
}

export const PAGE_SIZE = 4096;

// Uint32Array uses the host's byte order; page-table entries are little-endian. Every platform
// Node and the browsers run on is little-endian; refuse loudly on one that is not.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class PhysicalMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  /** 32-bit view: entry at physical address pa has its low half at u32[pa >>> 2], high at +1. */
  readonly u32: Uint32Array;

  /**
   * `size` bytes of memory: a new zeroed ArrayBuffer, or a window of `buffer` starting at
   * `byteOffset` (a guest's RAM inside the host's, for example), so that physical address 0 is
   * buffer[byteOffset].
   */
  constructor(size: number, buffer?: ArrayBuffer, byteOffset = 0) {
    if (!LITTLE_ENDIAN) throw new MemoryError(0, 'virtkit needs a little-endian host');
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > 0x8000_0000) {
      throw new MemoryError(size, `memory size must be a positive multiple of 4096 up to 2 GiB`);
    }
    this.size = size;
    this.buffer = buffer ?? new ArrayBuffer(size);
    if (!(Number.isInteger(byteOffset) && byteOffset >= 0 && byteOffset % PAGE_SIZE === 0 && byteOffset + size <= this.buffer.byteLength)) {
      throw new MemoryError(byteOffset, `a window of 0x${size.toString(16)} bytes at 0x${byteOffset.toString(16)} is not page-aligned inside a buffer of 0x${this.buffer.byteLength.toString(16)} bytes`);
    }
    this.u8 = new Uint8Array(this.buffer, byteOffset, size);
    this.u32 = new Uint32Array(this.buffer, byteOffset, size / 4);
  }

  /** Throws unless [pa, pa+len) lies inside memory. */
  check(pa: number, len: number): void {
    if (!(pa >= 0 && pa + len <= this.size)) throw new MemoryError(pa, `access of ${len} bytes is outside memory (size 0x${this.size.toString(16)})`);
  }

  /** Low 32 bits of the 8-byte entry at pa (pa must be 8-aligned). */
  readLo(pa: number): number {
    if (!(pa >= 0 && pa + 8 <= this.size) || (pa & 7) !== 0) this.badEntry(pa);
    return this.u32[pa >>> 2]!;
  }

  /** High 32 bits of the 8-byte entry at pa. */
  readHi(pa: number): number {
    if (!(pa >= 0 && pa + 8 <= this.size) || (pa & 7) !== 0) this.badEntry(pa);
    return this.u32[(pa >>> 2) + 1]!;
  }

  write64(pa: number, lo: number, hi: number): void {
    if (!(pa >= 0 && pa + 8 <= this.size) || (pa & 7) !== 0) this.badEntry(pa);
    this.u32[pa >>> 2] = lo;
    this.u32[(pa >>> 2) + 1] = hi;
  }

  /** The entry at pa as a bigint (for tools and tests, not the hot path). */
  read64(pa: number): bigint {
    return (BigInt(this.readHi(pa)) << 32n) | BigInt(this.readLo(pa));
  }

  writeBig64(pa: number, value: bigint): void {
    this.write64(pa, Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn));
  }

  private badEntry(pa: number): never {
    if ((pa & 7) !== 0) throw new MemoryError(pa, 'entry address is not 8-byte aligned');
    throw new MemoryError(pa, `8-byte access is outside memory (size 0x${this.size.toString(16)})`);
  }
}

/**
 * Hands out zeroed 4 KiB frames from [start, end) in ascending order, and takes freed ones back
 * (lowest first, so layouts stay reproducible).
 */
export class FrameAllocator {
  private next: number;
  private readonly freed: number[] = [];

  constructor(
    readonly mem: PhysicalMemory,
    readonly start: number = 0x100000,
    readonly end: number = mem.size,
  ) {
    if (start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0 || start < 0 || end > mem.size || start > end) {
      throw new MemoryError(start, `frame range 0x${start.toString(16)}..0x${end.toString(16)} is not page-aligned inside memory`);
    }
    this.next = start;
  }

  /** A zeroed frame's physical address. Throws MemoryError when memory is exhausted. */
  alloc(): number {
    let pa: number;
    if (this.freed.length > 0) {
      this.freed.sort((a, b) => b - a);
      pa = this.freed.pop()!;
    } else {
      if (this.next + PAGE_SIZE > this.end) throw new MemoryError(this.next, 'out of frames: no free 4 KiB frame left in the table area');
      pa = this.next;
      this.next += PAGE_SIZE;
    }
    this.mem.u8.fill(0, pa, pa + PAGE_SIZE);
    return pa;
  }

  free(pa: number): void {
    if (pa % PAGE_SIZE !== 0 || pa < this.start || pa >= this.next) throw new MemoryError(pa, 'freeing a frame this allocator did not hand out');
    this.freed.push(pa);
  }

  /** Frames handed out and not freed. */
  get used(): number {
    return (this.next - this.start) / PAGE_SIZE - this.freed.length;
  }
}
