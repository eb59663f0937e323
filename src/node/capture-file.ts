/**
 * Capture files on disk: the core writer/reader (src/pcap) streamed through Node file streams.
 * Writing respects backpressure (a chunk is written, and when the stream says its buffer is
 * full we wait for 'drain'), so memory stays at a few chunks whatever the packet count.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { VirtkitError } from '../errors.js';
import { CaptureChunker, CaptureReader, DEFAULT_CHUNK_SIZE, type CaptureRecord, type CaptureWriterOptions } from '../pcap/index.js';

/** A file that cannot be opened, read or written: the path and the system's reason. */
export class FileError extends VirtkitError {
  override name = 'FileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export function fileError(path: string, e: unknown): FileError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : (err.message ?? String(e));
  return new FileError(path, why);
}

export interface CaptureFileOptions extends CaptureWriterOptions {
  /** Bytes per write to the file (default 256 KiB). */
  chunkSize?: number;
}

/**
 * Writes one capture file as packets come. `add` returns a promise only when the file stream
 * asks to wait (backpressure); await it when it is there:
 *   const wait = w.add(frame, sec, nsec); if (wait) await wait;
 */
export class CaptureFileWriter {
  private readonly chunker: CaptureChunker;
  private waiting: Promise<void> | undefined;
  private failure: FileError | undefined;
  private readonly free: Uint8Array[] = [];

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    opts: CaptureFileOptions,
  ) {
    stream.on('error', (e) => {
      this.failure ??= fileError(path, e);
      stream.emit('drain'); // wake a writer waiting for drain so it sees the failure
    });
    // Chunk buffers are recycled once the stream has written them: a long run allocates a
    // handful of them instead of one per 256 KiB (external memory V8 frees only lazily).
    const size = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.chunker = new CaptureChunker(
      opts,
      (chunk) => {
        const whole = chunk.buffer.byteLength === size && chunk.byteOffset === 0 ? new Uint8Array(chunk.buffer) : undefined;
        const ok = this.stream.write(chunk, () => {
          if (whole && this.free.length < 4) this.free.push(whole);
        });
        if (!ok && !this.waiting) this.waiting = new Promise((resolve) => this.stream.once('drain', resolve));
      },
      (n) => this.free.pop() ?? new Uint8Array(n),
    );
  }

  static async open(path: string, opts: CaptureFileOptions): Promise<CaptureFileWriter> {
    const stream = createWriteStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (e) => reject(fileError(path, e)));
    });
    return new CaptureFileWriter(path, stream, opts);
  }

  get packets(): number {
    return this.chunker.packets;
  }

  get format(): 'pcap' | 'pcapng' {
    return this.chunker.writer.format;
  }

  add(frame: Uint8Array, sec: number, nsec: number, comment?: string, interfaceName?: string, flags?: number): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    this.chunker.add(frame, sec, nsec, comment, interfaceName, flags);
    const w = this.waiting;
    if (w === undefined) return undefined;
    this.waiting = undefined;
    return w.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /** Flush and close; resolves with the counts once the bytes are on disk. */
  async close(): Promise<{ packets: number; bytes: number }> {
    this.chunker.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.end(() => (this.failure ? reject(this.failure) : resolve()));
    });
    if (this.failure) throw this.failure;
    return { packets: this.chunker.packets, bytes: this.chunker.bytes };
  }

  /** Stop without finishing (after an error); the partial file is left for the caller to remove. */
  destroy(): void {
    this.stream.destroy();
  }
}

/**
 * The packets of a capture file, streamed (1 MiB reads). Yields the reader's reused record:
 * copy what you keep. Throws CaptureError at damage, after the packets before it.
 */
export async function* readCaptureFile(path: string, reader = new CaptureReader()): AsyncGenerator<CaptureRecord> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      for (let r = reader.next(); r; r = reader.next()) yield r;
    }
  } catch (e) {
    if (e instanceof VirtkitError) throw e;
    throw fileError(path, e);
  } finally {
    stream.destroy();
  }
  reader.end();
  for (let r = reader.next(); r; r = reader.next()) yield r;
}
