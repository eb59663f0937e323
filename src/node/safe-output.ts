/**
 * Writing a command's output file without ever losing the user's data.
 *
 * `openOutput(path, { inputs })` decides how to write `path` before a byte is written:
 * - `-` is standard output.
 * - A path that exists and is not a regular file (a device such as /dev/null or /dev/full, a
 *   FIFO, a socket) is opened and written straight through: it is never renamed over, truncated
 *   by us beyond what opening it for writing does, or deleted.
 * - A regular file, or a path that does not exist yet, is written to a new temporary file in
 *   the same directory (so the final rename stays on one file system and is atomic) and renamed
 *   over the target only by `commit()`, after every byte was written, fsync'ed and closed
 *   without error. A symbolic link is followed: the file it points to is replaced, the link
 *   stays. `abort()` removes the temporary file, the only thing the tool created; the target is
 *   untouched whatever failed (bad input, a full disk, an interrupted run).
 * - The output may not be one of the command's inputs (same device and inode, so a hard link or
 *   a different spelling of the same path is caught too): writing it would destroy the input.
 *
 * Every failure is a FileError naming the path and the system's reason (ENOSPC: "no space left
 * on device"), which the CLI prints on one line with exit status 2.
 *
 * Typical use:
 *   const out = await openOutput(path, { inputs: [specPath] });
 *   try { await out.write(bytes); ...; await out.commit(); } catch (e) { await out.abort(); throw e; }
 * or, for one buffer, `await writeOutputFile(path, bytes, { inputs })`, or `withOutput(path,
 * opts, async (out) => …)` which commits on success and aborts on any error.
 */
import { constants as fsc, promises as fsp, unlinkSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { FileError, ioReason } from './file-error.js';

export { ioReason };

export { FileError };

export interface OutputOptions {
  /**
   * Paths the command reads. The output may not be the same file as any of them (compared by
   * device and inode). `-` (standard input) and paths that do not exist are ignored.
   */
  inputs?: readonly string[];
  /** Where `-` goes (default: process.stdout). */
  stdout?: NodeJS.WritableStream;
}

/** How an output is written: through a temporary file, straight into a device or FIFO, or to stdout. */
export type OutputKind = 'file' | 'special' | 'stdout';

function outputError(path: string, e: unknown, doing: string): FileError {
  if (e instanceof FileError) return e;
  return new FileError(path, `cannot ${doing}: ${ioReason(e)}`);
}

/**
 * Temporary files being written. An interrupted run (Ctrl-C, kill) removes them before it
 * exits, so nothing of ours is left beside the untouched target.
 */
const liveTemps = new Set<string>();
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(sig, () => {
      for (const t of liveTemps) {
        try {
          unlinkSync(t);
        } catch {
          // Already gone.
        }
      }
      process.exit(code);
    });
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Refuse an output that is one of the inputs (same device and inode). */
async function checkNotAnInput(path: string, st: Stats, inputs: readonly string[]): Promise<void> {
  for (const input of inputs) {
    if (input === '-') continue;
    let ist: Stats;
    try {
      ist = await fsp.stat(input);
    } catch {
      continue; // an unreadable input is reported when it is read
    }
    if (ist.dev === st.dev && ist.ino === st.ino) {
      throw new FileError(path, `is the same file as the input ${input}; writing it would destroy the input (choose another output)`);
    }
  }
}

/** One output being written; see the module comment. */
export class SafeOutput {
  /** Bytes written so far. */
  bytes = 0;
  private done = false;

  private constructor(
    /** The path as the user gave it. */
    readonly path: string,
    readonly kind: OutputKind,
    private readonly handle: fsp.FileHandle | undefined,
    /** The temporary file (kind 'file'), and the file it will replace. */
    private readonly tempPath: string | undefined,
    private readonly targetPath: string | undefined,
    private readonly stream: NodeJS.WritableStream | undefined,
  ) {}

  static async open(path: string, opts: OutputOptions = {}): Promise<SafeOutput> {
    if (path === '') throw new FileError("''", 'an empty output path');
    if (path === '-') return new SafeOutput(path, 'stdout', undefined, undefined, undefined, opts.stdout ?? process.stdout);
    let st: Stats | undefined;
    try {
      st = await statOrUndefined(path);
    } catch (e) {
      throw outputError(path, e, 'write');
    }
    if (st) {
      if (st.isDirectory()) throw new FileError(path, 'is a directory');
      await checkNotAnInput(path, st, opts.inputs ?? []);
      if (!st.isFile()) {
        // A device, FIFO or socket: write into it as a shell redirection would; never replace it.
        let h: fsp.FileHandle;
        try {
          h = await fsp.open(path, fsc.O_WRONLY | fsc.O_NOCTTY);
        } catch (e) {
          throw outputError(path, e, 'open for writing');
        }
        return new SafeOutput(path, 'special', h, undefined, undefined, undefined);
      }
    }
    // A regular file (or a new one): follow a symbolic link to the file it names, so the link
    // keeps pointing at the new contents; a dangling link's target is created.
    let target = path;
    try {
      target = await fsp.realpath(path);
    } catch {
      try {
        const link = await fsp.readlink(path);
        target = link.startsWith('/') ? link : join(dirname(path), link);
      } catch {
        target = path;
      }
    }
    const temp = join(dirname(target), `.${basename(target)}.virtkit-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    let h: fsp.FileHandle;
    try {
      // O_EXCL: the temporary name is ours alone; mode as a new file would get (umask applies),
      // or the replaced file's own permission bits.
      h = await fsp.open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, st ? st.mode & 0o7777 : 0o666);
    } catch (e) {
      throw new FileError(path, ioReason(e));
    }
    liveTemps.add(temp);
    hookSignals();
    if (st) {
      try {
        await h.chmod(st.mode & 0o7777);
      } catch {
        // Keeping the old permission bits is a courtesy; the data matters more.
      }
    }
    return new SafeOutput(path, 'file', h, temp, target, undefined);
  }

  /** Write all of `data` (resolves once the system took it: back-pressure for a caller that awaits). */
  async write(data: Uint8Array | string): Promise<void> {
    if (this.done) throw new FileError(this.path, 'written after it was closed');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0) return;
    if (this.stream) {
      const s = this.stream;
      await new Promise<void>((resolve, reject) => {
        try {
          s.write(bytes, (e?: Error | null) => (e ? reject(outputError(this.path, e, 'write to standard output')) : resolve()));
        } catch (e) {
          reject(outputError(this.path, e, 'write to standard output'));
        }
      });
    } else {
      let off = 0;
      try {
        while (off < bytes.length) {
          const { bytesWritten } = await this.handle!.write(bytes, off, bytes.length - off);
          off += bytesWritten;
        }
      } catch (e) {
        throw outputError(this.path, e, 'write');
      }
    }
    this.bytes += bytes.length;
  }

  /**
   * Finish: for a file, fsync, close and rename the temporary file over the target (a write
   * error that only shows at fsync or close, as on NFS or a full disk, fails the command here,
   * and the target is left as it was). Devices and FIFOs are closed; stdout is left open.
   */
  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (this.kind === 'stdout') return;
    const h = this.handle!;
    try {
      if (this.kind === 'file') await h.sync();
    } catch (e) {
      await h.close().catch(() => undefined);
      await this.removeTemp();
      throw outputError(this.path, e, 'write');
    }
    try {
      await h.close();
    } catch (e) {
      await this.removeTemp();
      throw outputError(this.path, e, 'write');
    }
    if (this.kind !== 'file') return;
    try {
      await fsp.rename(this.tempPath!, this.targetPath!);
      liveTemps.delete(this.tempPath!);
    } catch (e) {
      await this.removeTemp();
      throw outputError(this.path, e, 'replace');
    }
  }

  /** Give up: close, and remove the temporary file (never the target, never a device). */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (this.handle) await this.handle.close().catch(() => undefined);
    await this.removeTemp();
  }

  private async removeTemp(): Promise<void> {
    if (this.tempPath === undefined) return;
    liveTemps.delete(this.tempPath);
    await fsp.unlink(this.tempPath).catch(() => undefined);
  }
}

/** Open an output as the module comment describes. */
export function openOutput(path: string, opts: OutputOptions = {}): Promise<SafeOutput> {
  return SafeOutput.open(path, opts);
}

/** Run `fill` on a new output; commit when it resolves, abort (target untouched) when it throws. */
export async function withOutput<T>(path: string, opts: OutputOptions, fill: (out: SafeOutput) => Promise<T>): Promise<T> {
  const out = await SafeOutput.open(path, opts);
  let result: T;
  try {
    result = await fill(out);
  } catch (e) {
    await out.abort();
    throw e;
  }
  await out.commit();
  return result;
}

/** Write one buffer or string as `path`, safely (see the module comment). */
export async function writeOutputFile(path: string, data: Uint8Array | string, opts: OutputOptions = {}): Promise<void> {
  await withOutput(path, opts, (out) => out.write(data));
}
