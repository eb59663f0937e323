/**
 * Streams a capture out as a sequence of byte chunks: records are written into a chunk buffer
 * until it is full, then the chunk is handed to `emit` (a Node stream, a Blob part list, an
 * array) and a fresh one is started. Memory is one chunk, whatever the packet count.
 */
import { VirtkitError } from '../errors.js';
import { concatBytes } from '../bytes/view.js';
import { CaptureWriter, type CaptureWriterOptions } from './writer.js';

export const DEFAULT_CHUNK_SIZE = 256 * 1024;

export class CaptureChunker {
  readonly writer: CaptureWriter;
  /** Packets and bytes handed to the writer so far. */
  packets = 0;
  bytes = 0;
  private buf: Uint8Array;
  private off = 0;
  private readonly chunkSize: number;
  private interfacesWritten = 1;

  /**
   * `emit` receives each full chunk and owns it from then on. `allocate` (default: a new
   * Uint8Array) gives the next chunk buffer of at least `size` bytes, so a caller can recycle
   * chunks it has finished with.
   */
  constructor(
    opts: CaptureWriterOptions & { chunkSize?: number },
    private readonly emit: (chunk: Uint8Array) => void,
    private readonly allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
  ) {
    this.writer = new CaptureWriter(opts);
    this.chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.buf = this.allocate(this.chunkSize);
    this.reserve(this.writer.headerLength());
    this.off = this.writer.writeHeader(this.buf, this.off);
  }

  /**
   * Declare a pcapng interface now (its Interface Description Block is written at once), so
   * interfaces get ids in the order declared and appear even when no packet uses them.
   */
  declareInterface(name: string): number {
    const w = this.writer;
    const id = w.interfaceId(name);
    if (w.format !== 'pcapng') return id;
    while (this.interfacesWritten < w.interfaces.length) {
      this.reserve(w.interfaceBlockLength(w.interfaces[this.interfacesWritten]!));
      this.off = w.writeInterfaceBlock(this.buf, this.off, this.interfacesWritten++);
    }
    return id;
  }

  /**
   * Add one packet; `interfaceName` and `linkType` pick (and if new, declare) its pcapng
   * interface, `flags` is its pcapng epb_flags (the direction). pcap has one link type, Ethernet:
   * a packet of another is refused.
   */
  add(frame: Uint8Array, sec: number, nsec: number, comment?: string | readonly string[], interfaceName?: string, linkType?: number, flags?: number): void {
    const w = this.writer;
    let id = 0;
    if (linkType !== undefined && linkType !== w.linkType && w.format === 'pcap') {
      throw new VirtkitError(`link type ${linkType}: a pcap file holds one link type (${w.linkType}); write pcapng for several`);
    }
    if ((interfaceName !== undefined || (linkType !== undefined && linkType !== w.linkType)) && w.format === 'pcapng') {
      id = w.interfaceId(interfaceName, linkType);
      while (this.interfacesWritten < w.interfaces.length) {
        this.reserve(w.interfaceBlockLength(w.interfaces[this.interfacesWritten]!));
        this.off = w.writeInterfaceBlock(this.buf, this.off, this.interfacesWritten++);
      }
    }
    this.reserve(w.maxRecordLength(frame.length, comment, flags));
    this.off = w.writeRecord(this.buf, this.off, frame, sec, nsec, comment, id, flags);
    this.packets++;
  }

  /** Hand over whatever is buffered (call at the end). */
  flush(): void {
    if (this.off === 0) return;
    const chunk = this.buf.subarray(0, this.off);
    this.bytes += this.off;
    this.off = 0;
    this.emit(chunk);
    this.buf = this.allocate(this.chunkSize);
  }

  /** Make room for n bytes: flush when the chunk cannot take them. */
  private reserve(n: number): void {
    if (this.off + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(n); // one oversized record: not recycled
  }
}

/** A whole capture in memory (for a browser Blob, or small files): the chunks joined. */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  return concatBytes(chunks);
}
