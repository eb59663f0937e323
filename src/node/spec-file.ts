/**
 * Packet specs from files: a JSON document (array of frames, or {"packets": [...]}) read whole,
 * or JSON Lines (one packet a line) streamed line by line, so a spec of any size streams in.
 */
import { close, constants as fsc, open, read, readFileSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { UsageError, VirtkitError } from '../errors.js';
import { specPacket, specPackets, specSas, type SpecPacket } from '../pcap/index.js';
import { fileError } from './capture-file.js';

const READ_SIZE = 1 << 20;
/** Longest JSON Lines line read (characters). */
const MAX_JSON_LINE = 256 << 20;

/**
 * The text of a file (or standard input for `-`) in pieces, read into one reused buffer: a
 * stream's fresh Buffer per read would be external memory that V8 frees only lazily, which
 * over millions of lines shows as a creeping RSS.
 */
export async function* textChunks(path: string): AsyncGenerator<string> {
  const fd = path === '-' ? 0 : await new Promise<number>((resolve, reject) => open(path, 'r', (e, f) => (e ? reject(e) : resolve(f))));
  const buf = Buffer.allocUnsafe(READ_SIZE);
  const decoder = new TextDecoder('utf-8');
  const readSome = (): Promise<number> =>
    new Promise((resolve, reject) =>
      read(fd, buf, 0, READ_SIZE, null, (e, n) => {
        if (!e) resolve(n);
        else if ((e as NodeJS.ErrnoException).code === 'EAGAIN') setTimeout(() => resolve(-1), 5); // a non-blocking pipe with nothing yet
        else reject(e);
      }),
    );
  try {
    for (;;) {
      const n = await readSome();
      if (n === 0) break;
      if (n > 0) yield decoder.decode(buf.subarray(0, n), { stream: true });
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } finally {
    if (fd !== 0) close(fd, () => undefined);
  }
}

/** Reads JSON Lines when asked or when the name ends in .jsonl / .ndjson. */
export function isJsonLines(path: string, forced: boolean): boolean {
  return forced || /\.(jsonl|ndjson)$/i.test(path);
}

/** A whole JSON spec. `-` reads standard input. */
export async function readJsonSpec(path: string): Promise<SpecPacket[]> {
  return (await readJsonSpecDocument(path)).packets;
}

/** A whole JSON spec with its security associations (`"sa"`, unchecked). */
export async function readJsonSpecDocument(path: string): Promise<{ packets: SpecPacket[]; sa?: unknown[] }> {
  let text: string;
  try {
    text = path === '-' ? await readAll(process.stdin) : readFileSync(path, 'utf8');
  } catch (e) {
    throw fileError(path, e);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message}); for one packet a line use --jsonl`);
  }
  const packets = specPackets(doc);
  const sa = specSas(doc);
  return sa ? { packets, sa } : { packets };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) s += chunk as string;
  return s;
}

/**
 * Packets of a JSON Lines spec, one at a time. Blank lines are skipped; a line that is not JSON
 * or not a packet is an error naming the line. Reading pauses while the consumer works, so only
 * a chunk of the file is in memory.
 */
export async function* readJsonLinesSpec(path: string): AsyncGenerator<SpecPacket> {
  let line = 0;
  let index = 0;
  const parse = (text: string): SpecPacket | undefined => {
    line++;
    if (text.trim() === '') return undefined;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${path} line ${line}: not valid JSON (${(e as Error).message})`);
    }
    try {
      const p = specPacket(v, index++);
      p.where = `${path} line ${line}`;
      return p;
    } catch (e) {
      if (e instanceof VirtkitError) throw new UsageError(`${path} line ${line}: ${e.message}`);
      throw e;
    }
  };
  // The start of a line that continues into later chunks, kept in pieces and joined once the
  // newline arrives: each chunk is searched once, so a line of any length costs linear time
  // (appending to one string and searching it from 0 after every chunk was quadratic).
  let partial: string[] = [];
  let partialLength = 0;
  try {
    for await (const chunk of textChunks(path)) {
      let nl = chunk.indexOf('\n');
      if (nl < 0) {
        partial.push(chunk);
        partialLength += chunk.length;
        // A string cannot grow much past 512 MB in V8; say so before JSON.parse cannot.
        if (partialLength > MAX_JSON_LINE) throw new UsageError(`${path} line ${line + 1}: longer than ${MAX_JSON_LINE} characters`);
        continue;
      }
      partial.push(chunk.slice(0, nl));
      const first = parse(partial.length === 1 ? partial[0]! : partial.join(''));
      partial = [];
      partialLength = 0;
      if (first) yield first;
      let from = nl + 1;
      nl = chunk.indexOf('\n', from);
      while (nl >= 0) {
        const p = parse(chunk.slice(from, nl));
        if (p) yield p;
        from = nl + 1;
        nl = chunk.indexOf('\n', from);
      }
      if (from < chunk.length) {
        partial.push(chunk.slice(from));
        partialLength = chunk.length - from;
      }
    }
  } catch (e) {
    if (e instanceof VirtkitError) throw e;
    throw fileError(path, e);
  }
  const p = parse(partial.join(''));
  if (p) yield p;
}

/**
 * Fail now, with one line, when `path` cannot be read (missing, a directory, no permission):
 * commands check their inputs this way before they create or replace any output.
 */
export async function checkReadable(path: string): Promise<void> {
  if (path === '-') return;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    await access(path, fsc.R_OK);
  } catch (e) {
    throw fileError(path, e);
  }
}

/** A run of whole lines of a text file: `text` ends with a newline except at the end of the file. */
export interface LinePiece {
  text: string;
  /** 1-based number of the first line in `text`. */
  firstLine: number;
}

/**
 * A text file (`-`: stdin) as runs of whole lines, about a megabyte each, so a line-oriented
 * parser sees the file in bounded memory whatever its size. A line longer than `maxLine`
 * characters is an error naming it (a file without newlines would otherwise be read whole).
 */
export async function* linePieces(path: string, maxLine = 16 << 20): AsyncGenerator<LinePiece> {
  let partial: string[] = [];
  let partialLength = 0;
  let line = 1;
  const take = (text: string): LinePiece => {
    const piece = { text, firstLine: line };
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line++;
    return piece;
  };
  try {
    for await (const chunk of textChunks(path)) {
      const nl = chunk.lastIndexOf('\n');
      if (nl < 0) {
        partial.push(chunk);
        partialLength += chunk.length;
        if (partialLength > maxLine) throw new UsageError(`${path} line ${line}: longer than ${maxLine} characters`);
        continue;
      }
      partial.push(chunk.slice(0, nl + 1));
      const text = partial.length === 1 ? partial[0]! : partial.join('');
      partial = [chunk.slice(nl + 1)];
      partialLength = partial[0]!.length;
      yield take(text);
    }
  } catch (e) {
    if (e instanceof VirtkitError) throw e;
    throw fileError(path, e);
  }
  const rest = partial.join('');
  if (rest !== '') yield take(rest);
}
