/**
 * `virtkit netsim` on files: a scenario read from JSON (whole) or JSON Lines (streamed: the first
 * line is the topology, every further line one event; `-` is standard input, as JSON Lines), run through the core engine
 * (src/netsim), with every port crossing written to
 * - one pcapng: an interface per port (declared in port order), each frame with its epb_flags
 *   direction and, for floods and drops, a comment saying why;
 * - with a ports directory, one classic pcap per port (what leaves it, or as its device says).
 * Every file goes through a temporary file renamed into place at the end (SafeOutput), so a
 * failed run leaves the user's files as they were. Memory stays flat whatever the event count:
 * events are read, run and written one at a time, with the file writes' backpressure respected.
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readFile } from 'node:fs/promises';
import { Network, NetsimError, type Direction, type EventRecord, type FrameSink, type Port } from '../netsim/index.js';
import { object } from '../netsim/parse.js';
import { CaptureFileWriter, fileError } from './capture-file.js';

export interface NetsimFileOptions {
  /** The pcapng to write (optional: a run may only print JSON). */
  output?: string;
  /** Directory for the per-port pcaps. */
  portsDir?: string;
  /** Read the scenario as JSON Lines (default: when the name ends in .jsonl or .ndjson). */
  jsonl?: boolean;
  /** Overrides the scenario's maxFrames. */
  maxFrames?: number;
  /** Each event's record once it is over (in order), with the tables when `fdbTrace`. */
  onEvent?: (record: EventRecord, tables: Record<string, object[]> | undefined) => void;
  fdbTrace?: boolean;
}

export interface NetsimFileSummary {
  events: number;
  framesSent: number;
  framesDropped: number;
  /** Records written to the pcapng. */
  packets: number;
  /** Per-port pcap files written. */
  portFiles: string[];
  stopped?: string;
  tables: Record<string, object[]>;
}

/** Capture timestamps: scenario nanoseconds from 0 as seconds + nanoseconds. */
function split(ns: number): [number, number] {
  const sec = Math.floor(ns / 1e9);
  return [sec, ns - sec * 1e9];
}

/** Writes the pcapng and per-port pcaps as crossings come. */
class FileSink implements FrameSink {
  private pending: Promise<void>[] = [];

  constructor(
    private readonly pcapng: CaptureFileWriter | undefined,
    private readonly files: CaptureFileWriter[],
    private readonly perPort: Map<Port, CaptureFileWriter>,
  ) {}

  frame(port: Port, direction: Direction, time: number, bytes: Uint8Array, length: number, comment: string | undefined): void {
    const [sec, nsec] = split(time);
    const frame = length === bytes.length ? bytes : bytes.subarray(0, length);
    if (this.pcapng) {
      const w = this.pcapng.add(frame, sec, nsec, comment, port.interfaceName, undefined, direction);
      if (w) this.pending.push(w);
    }
    const pp = this.perPort.get(port);
    if (pp && (port.portFileDirections & direction) !== 0) {
      const w = pp.add(frame, sec, nsec);
      if (w) this.pending.push(w);
    }
  }

  /** Wait for the writes that asked to be waited for (backpressure). */
  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }

  async close(): Promise<number> {
    await this.drain();
    let packets = 0;
    if (this.pcapng) packets = (await this.pcapng.close()).packets;
    for (const f of this.files) await f.close();
    return packets;
  }

  async destroy(): Promise<void> {
    for (const f of [...(this.pcapng ? [this.pcapng] : []), ...this.files]) await f.destroy().catch(() => undefined);
  }
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fileError(path, e);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new NetsimError(path, `not valid JSON (${(e as Error).message.split('\n')[0]}); a scenario in JSON Lines needs the .jsonl extension or --jsonl`);
  }
}

/** The lines of a file, numbered from 1, streamed. */
async function* lines(path: string): AsyncGenerator<[number, string]> {
  let stream: NodeJS.ReadableStream & { destroy(): void };
  if (path === '-') {
    stream = process.stdin;
    process.stdin.setEncoding('utf8');
  } else {
    const file = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    stream = file;
    try {
      await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve());
        file.once('error', reject);
      });
    } catch (e) {
      throw fileError(path, e);
    }
  }
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) yield [++n, line];
  } finally {
    rl.close();
    if (path !== '-') stream.destroy();
  }
}

function parseLine(path: string, n: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new NetsimError(`${path} line ${n}`, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The events of a scenario, as (where, value) pairs, and the topology document. */
async function scenarioSource(path: string, jsonl: boolean): Promise<{ topology: Record<string, unknown>; events: AsyncIterable<[string, unknown]> | Iterable<[string, unknown]> }> {
  if (!jsonl) {
    const doc = object(await readJson(path), 'scenario');
    const { events, ...topology } = doc;
    const list = events === undefined ? [] : Array.isArray(events) ? events : null;
    if (list === null) throw new NetsimError('events', 'must be an array');
    return { topology, events: list.map((e, i): [string, unknown] => [`events[${i}]`, e]) };
  }
  const it = lines(path)[Symbol.asyncIterator]();
  let first: [number, string] | undefined;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    if (r.value[1].trim() !== '') {
      first = r.value;
      break;
    }
  }
  if (!first) throw new NetsimError(path, 'is empty: the first line of a JSON Lines scenario is its topology');
  const topology = object(parseLine(path, first[0], first[1]), `${path} line ${first[0]}`);
  if (topology.events !== undefined) throw new NetsimError(`${path} line ${first[0]}`, 'in JSON Lines the events come one a line after the topology, not in "events"');
  async function* events(): AsyncGenerator<[string, unknown]> {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      const [n, text] = r.value;
      if (text.trim() === '') continue;
      yield [`${path} line ${n}`, parseLine(path, n, text)];
    }
  }
  return { topology, events: events() };
}

/** Whether a scenario path is JSON Lines by its name. */
export function isJsonLinesScenario(path: string): boolean {
  return path === '-' || /\.(jsonl|ndjson)$/i.test(path);
}

/** Run a scenario file, writing the captures asked for. */
export async function runNetsimFile(path: string, opts: NetsimFileOptions = {}): Promise<NetsimFileSummary> {
  const { topology, events } = await scenarioSource(path, opts.jsonl ?? isJsonLinesScenario(path));
  return runNetwork(topology, events, path === '-' ? [] : [path], opts);
}

/** Run a scenario document held in memory (the demo's), writing the captures asked for. */
export async function runNetsimDocument(doc: unknown, opts: NetsimFileOptions = {}): Promise<NetsimFileSummary> {
  const { events, ...topology } = object(doc, 'scenario');
  const list = events === undefined ? [] : Array.isArray(events) ? events : null;
  if (list === null) throw new NetsimError('events', 'must be an array');
  return runNetwork(topology, list.map((e, i): [string, unknown] => [`events[${i}]`, e]), [], opts);
}

async function runNetwork(
  topology: Record<string, unknown>,
  events: AsyncIterable<[string, unknown]> | Iterable<[string, unknown]>,
  inputs: string[],
  opts: NetsimFileOptions,
): Promise<NetsimFileSummary> {
  const network = new Network(topology, { maxFrames: opts.maxFrames });
  const sim = network.sim;
  const captured = sim.ports.filter((p) => p.capture);

  const opened: CaptureFileWriter[] = [];
  let sink: FileSink | undefined;
  try {
    let pcapng: CaptureFileWriter | undefined;
    if (opts.output !== undefined) {
      pcapng = await CaptureFileWriter.open(opts.output, { format: 'pcapng', interfaceName: captured[0]?.interfaceName, inputs });
      opened.push(pcapng);
      for (const p of captured) pcapng.declareInterface(p.interfaceName);
    }
    const perPort = new Map<Port, CaptureFileWriter>();
    const files: CaptureFileWriter[] = [];
    const portFiles: string[] = [];
    if (opts.portsDir !== undefined) {
      try {
        mkdirSync(opts.portsDir, { recursive: true });
      } catch (e) {
        throw fileError(opts.portsDir, e);
      }
      const byFile = new Map<string, CaptureFileWriter>();
      for (const p of captured) {
        if (p.portFile === undefined) continue;
        let w = byFile.get(p.portFile);
        if (!w) {
          const file = join(opts.portsDir, `${p.portFile}.pcap`);
          w = await CaptureFileWriter.open(file, { format: 'pcap', inputs });
          opened.push(w);
          files.push(w);
          portFiles.push(file);
          byFile.set(p.portFile, w);
        }
        perPort.set(p, w);
      }
    }
    sink = new FileSink(pcapng, files, perPort);
    sim.sink = sink;
    sim.onEvent = opts.onEvent ? (r) => opts.onEvent!(r, opts.fdbTrace ? sim.tables() : undefined) : undefined;
    let count = 0;
    // A whole document's events are all checked before the first runs (a mistake in the last
    // one leaves no output behind); a stream's are checked as they come.
    const source = Array.isArray(events) ? events.map(([where, value]) => network.event(value, where)) : undefined;
    if (source) {
      for (const ev of source) {
        network.run(ev);
        count++;
        await sink.drain();
      }
    } else {
      for await (const [where, value] of events) {
        network.run(network.event(value, where));
        count++;
        await sink.drain();
      }
    }
    sim.finish();
    const packets = await sink.close();
    const summary: NetsimFileSummary = { events: count, framesSent: sim.framesSent, framesDropped: sim.framesDropped, packets, portFiles, tables: sim.tables() };
    if (sim.stopped !== undefined) summary.stopped = sim.stopped;
    return summary;
  } catch (e) {
    if (sink) await sink.destroy();
    else for (const w of opened) await w.destroy().catch(() => undefined);
    throw e;
  }
}
