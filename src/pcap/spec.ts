/**
 * The packet spec `virtkit build` reads (layers.md): an array of frames (each an array of
 * layers), or {"packets": [{"layers", "time", "comment", "interface"}]}; in JSON Lines, one
 * packet a line in either form. Here the shapes are checked and timestamps assigned; the layers
 * themselves are checked by the encoder.
 */
import { SpecError } from './errors.js';
import { addTime, parseTime, type Timestamp } from './time.js';
import { VirtkitError } from '../errors.js';

import type { Layer } from '../net/index.js';

export interface SpecPacket {
  layers: Layer[];
  /** Seconds as a decimal string, nanoseconds kept. */
  time?: string;
  comment?: string;
  /** pcapng interface name; packets without one go to the default interface. */
  interface?: string;
  /** Several opt_comment options (pcapng), in order; given instead of `comment`. */
  comments?: string[];
  /** Link type of the packet's interface (pcapng; default 1, Ethernet). */
  linkType?: number;
  /** Where the packet came from (e.g. "spec.jsonl line 7"), for error messages; not written. */
  where?: string;
}

// `error` is what `virtkit decode --json` writes for a frame it could not decode whole; it is
// accepted and ignored so decode's output builds back into the same capture.
const PACKET_KEYS = new Set(['layers', 'time', 'comment', 'comments', 'interface', 'linkType', 'error']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One packet of a spec: a layer array, or an object with `layers` and optional fields. */
export function specPacket(value: unknown, index: number): SpecPacket {
  if (Array.isArray(value)) return { layers: checkLayers(value, index) };
  if (!isObject(value)) throw new SpecError(index, 'is neither an array of layers nor an object with "layers"');
  for (const k of Object.keys(value)) if (!PACKET_KEYS.has(k)) throw new SpecError(index, `unknown key "${k}" (valid: layers, time, comment, comments, interface, linkType, error)`);
  if (!Array.isArray(value.layers)) throw new SpecError(index, '"layers" must be an array of layers');
  const p: SpecPacket = { layers: checkLayers(value.layers, index) };
  for (const k of ['time', 'comment', 'interface'] as const) {
    const v = value[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new SpecError(index, `"${k}" must be a string${k === 'time' ? ' of decimal seconds, e.g. "1700000000.000000001"' : ''}`);
    p[k] = v;
  }
  if (value.comments !== undefined) {
    if (!Array.isArray(value.comments) || !value.comments.every((c) => typeof c === 'string')) throw new SpecError(index, '"comments" must be an array of strings');
    if (p.comment !== undefined) throw new SpecError(index, 'give "comment" or "comments", not both');
    p.comments = value.comments as string[];
  }
  if (value.linkType !== undefined) {
    const lt = value.linkType;
    if (typeof lt !== 'number' || !Number.isInteger(lt) || lt < 0 || lt > 0xffff) throw new SpecError(index, '"linkType" must be an integer 0..65535');
    p.linkType = lt;
  }
  if (p.time !== undefined) {
    try {
      parseTime(p.time);
    } catch (e) {
      throw new SpecError(index, (e as Error).message);
    }
  }
  return p;
}

function checkLayers(layers: unknown[], index: number): Layer[] {
  layers.forEach((l, i) => {
    if (!isObject(l) || typeof l.layer !== 'string') throw new SpecError(index, `layer ${i} is not an object with a "layer" kind`);
  });
  return layers as Layer[];
}

/**
 * The security associations of a whole JSON spec document (`"sa": [...]` beside `"packets"`),
 * unchecked (the SA table checks each, naming it); undefined when there are none.
 */
export function specSas(doc: unknown): unknown[] | undefined {
  if (!isObject(doc) || doc.sa === undefined) return undefined;
  if (!Array.isArray(doc.sa)) throw new VirtkitError('spec: "sa" must be a list of security associations');
  return doc.sa as unknown[];
}

/** The packets of a whole JSON spec document. */
export function specPackets(doc: unknown): SpecPacket[] {
  let list: unknown;
  if (Array.isArray(doc)) list = doc;
  else if (isObject(doc) && Array.isArray(doc.packets)) list = doc.packets;
  else throw new VirtkitError('spec must be an array of frames or {"packets": [...]}');
  return (list as unknown[]).map((v, i) => specPacket(v, i));
}

/**
 * Timestamps for packets without `time`: the previous packet's time plus a fixed step,
 * starting at `start`. A packet with `time` sets the clock to it. The wall clock is never read.
 */
export class PacketClock {
  private nextTime: Timestamp;
  constructor(
    start: Timestamp,
    private readonly step: Timestamp,
  ) {
    this.nextTime = start;
  }
  /** The packet's timestamp. */
  stamp(time: string | undefined): Timestamp {
    const t = time === undefined ? this.nextTime : parseTime(time);
    this.nextTime = addTime(t, this.step);
    return t;
  }
}

/** Defaults of `virtkit build`: 2023-11-14T22:13:20Z, one microsecond apart. */
export const DEFAULT_START: Timestamp = { sec: 1_700_000_000, nsec: 0 };
export const DEFAULT_STEP: Timestamp = { sec: 0, nsec: 1000 };
