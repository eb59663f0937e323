/**
 * Capture files on disk: the core writer/reader (src/pcap) streamed through Node files.
 * Writing respects backpressure (at most two chunks in flight), so memory stays at a few
 * chunks whatever the packet count, and never replaces the target until the last byte is safe.
 */
import { createReadStream } from 'node:fs';
import { VirtkitError } from '../errors.js';
import { openOutput, type OutputKind, type SafeOutput } from './safe-output.js';
import { CaptureChunker, CaptureReader, DEFAULT_CHUNK_SIZE, type CaptureRecord, type CaptureWriterOptions } from '../pcap/index.js';

import { FileError, fileError } from './file-error.js';

export { FileError, fileError };

export interface CaptureFileOptions extends CaptureWriterOptions {
  /** Bytes per write to the file (default 256 KiB). */
  chunkSize?: number;
  /** Files being read to make this one: the output may not be one of them (see SafeOutput). */
  inputs?: readonly string[];
}

/**
 * Writes one capture file as packets come, through a SafeOutput: into a temporary file renamed
 * over the target by close() (a device, FIFO or `-` for stdout is written straight through).
 * `add` returns a promise only when the writes in flight should be waited for (backpressure);
 * await it when it is there:
 *   const wait = w.add(frame, sec, nsec); if (wait) await wait;
 */
export class CaptureFileWriter {
  private readonly chunker: CaptureChunker;
  private failure: unknown;
  private failed = false;
  private readonly free: Uint8Array[] = [];
  /** The last write queued; writes run one after another. */
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;

  private constructor(
    readonly path: string,
    private readonly out: SafeOutput,
    opts: CaptureFileOptions,
  ) {
    // Chunk buffers are recycled once written: a long run allocates a handful of them instead
    // of one per 256 KiB (external memory V8 frees only lazily).
    const size = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.chunker = new CaptureChunker(
      opts,
      (chunk) => {
        const whole = chunk.buffer.byteLength === size && chunk.byteOffset === 0 ? new Uint8Array(chunk.buffer) : undefined;
        this.inFlight++;
        this.tail = this.tail.then(async () => {
          if (this.failed) return;
          try {
            await this.out.write(chunk);
          } catch (e) {
            this.failed = true;
            this.failure = e;
          }
          this.inFlight--;
          if (whole && this.free.length < 4) this.free.push(whole);
        });
      },
      (n) => this.free.pop() ?? new Uint8Array(n),
    );
  }

  /** Open `path` for writing (nothing is replaced until close()). */
  static async open(path: string, opts: CaptureFileOptions): Promise<CaptureFileWriter> {
    const out = await openOutput(path, { inputs: opts.inputs });
    try {
      return new CaptureFileWriter(path, out, opts);
    } catch (e) {
      await out.abort();
      throw e;
    }
  }

  get packets(): number {
    return this.chunker.packets;
  }

  get format(): 'pcap' | 'pcapng' {
    return this.chunker.writer.format;
  }

  /** How the output is written: a temporary file renamed at the end, a device/FIFO, or stdout. */
  get kind(): OutputKind {
    return this.out.kind;
  }

  /** Declare a pcapng interface ahead of its packets (CaptureChunker.declareInterface). */
  declareInterface(name: string): void {
    if (this.failed) throw this.failure;
    this.chunker.declareInterface(name);
  }

  add(frame: Uint8Array, sec: number, nsec: number, comment?: string | readonly string[], interfaceName?: string, linkType?: number, flags?: number): Promise<void> | undefined {
    if (this.failed) throw this.failure;
    this.chunker.add(frame, sec, nsec, comment, interfaceName, linkType, flags);
    if (this.inFlight < 2) return undefined;
    return this.tail.then(() => {
      if (this.failed) throw this.failure;
    });
  }

  /** Flush, fsync, close and put the file in place; resolves with the counts once it is there. */
  async close(): Promise<{ packets: number; bytes: number }> {
    this.chunker.flush();
    await this.tail;
    if (this.failed) throw this.failure;
    await this.out.commit();
    return { packets: this.chunker.packets, bytes: this.chunker.bytes };
  }

  /** Stop without finishing (after an error): the temporary file is removed, the target untouched. */
  async destroy(): Promise<void> {
    await this.tail.catch(() => undefined);
    await this.out.abort();
  }
}

/**
 * The packets of a capture file (`-`: standard input), streamed (1 MiB reads). Yields the
 * reader's reused record: copy what you keep. Throws CaptureError at damage, after the packets
 * before it.
 */
export async function* readCaptureFile(path: string, reader = new CaptureReader()): AsyncGenerator<CaptureRecord> {
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      for (let r = reader.next(); r; r = reader.next()) yield r;
    }
  } catch (e) {
    if (e instanceof VirtkitError) throw e;
    throw fileError(path, e);
  } finally {
    if (path !== '-') stream.destroy();
  }
  reader.end();
  for (let r = reader.next(); r; r = reader.next()) yield r;
}
