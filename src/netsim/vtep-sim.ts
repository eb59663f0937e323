/**
 * Runs the VTEPs of a scenario: each event hands an inner frame to a VTEP's local side in a VNI;
 * the packets it sends cross the underlay to their receivers at the same instant, which learn and
 * deliver locally. Every frame is recorded where it crosses an interface (`vtep/underlay` both
 * ways, `vtep/vni-N` inbound = from the local side into the VTEP, outbound = delivered), with a
 * comment on floods, learning, moves and drops; the tables can be recorded after each event.
 */
import { hexToBytes } from '../bytes/hex.js';
import { formatIpv4 } from '../bytes/addr.js';
import { encodeFrame, type Layer } from '../net/index.js';
import { ETHER } from '../net/ether.js';
import { getField } from '../net/fields.js';
import { IPV4 } from '../net/ipv4.js';
import { Underlay, VTEP_OUTER_HEADERS, Vtep, VtepError, describeDrop, describeLearn, describeSent, type TxReason, type VtepSink, type VtepDrop } from './vtep.js';
import { vtepConfigFromJson } from './vtep-scenario.js';
import type { LearnOutcome } from './vtep-fdb.js';

export interface SimFrame {
  /** Interface name: `vtep/underlay` or `vtep/vni-N`. */
  iface: string;
  /** Simulation time in seconds. */
  time: number;
  /** Into the VTEP (pcapng direction inbound) or out of it. */
  inbound: boolean;
  bytes: Uint8Array;
  comment?: string;
  /** Index of the scenario event that caused it. */
  event: number;
}

export interface VtepFdbJson {
  vtep: string;
  vni: number;
  mac: string;
  remote: string;
}

export interface SimEventResult {
  index: number;
  port: string;
  delivered: string[];
  dropped?: string;
  vtepFdb?: VtepFdbJson[];
}

export interface VtepSimResult {
  interfaces: string[];
  frames: SimFrame[];
  events: SimEventResult[];
  vtepFdb: VtepFdbJson[];
}

export interface VtepEvent {
  time: number;
  vtep: string;
  vni: number;
  frame: Uint8Array;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An event's time: seconds as a number or decimal text; absent = the previous event's time. */
function eventTime(v: unknown, previous: number, where: string): number {
  if (v === undefined) return previous;
  const t = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!(t >= 0)) throw new VtepError(`${where}.time: ${JSON.stringify(v)} is not a time in seconds`);
  if (t < previous) throw new VtepError(`${where}.time: ${t} is before the previous event (${previous})`);
  return t;
}

/** The inner frame of an event: `hex`, or `layers` in the layer format. */
function eventFrame(e: Record<string, unknown>, where: string): Uint8Array {
  let f: Uint8Array | null;
  if (typeof e.hex === 'string') f = hexToBytes(e.hex);
  else if (Array.isArray(e.layers)) f = encodeFrame(e.layers as Layer[]);
  else throw new VtepError(`${where}: an event needs "hex" or "layers"`);
  if (f === null) throw new VtepError(`${where}.hex: not hex`);
  if (f.length < 14) throw new VtepError(`${where}: ${f.length} bytes do not make an Ethernet frame`);
  return f;
}

export class VtepSim implements VtepSink {
  readonly underlay = new Underlay();
  readonly vteps = new Map<string, Vtep>();
  readonly frames: SimFrame[] = [];
  private now = 0;
  private event = -1;
  private result: SimEventResult = { index: -1, port: '', delivered: [] };
  /** The inner frame being sent (a drop before it leaves is commented there). */
  private local: SimFrame | null = null;
  /** The inbound underlay frame being received (its comment says what the receiver did). */
  private receiving: SimFrame | null = null;

  constructor(vteps: readonly unknown[]) {
    vteps.forEach((v, i) => {
      const c = vtepConfigFromJson(v, `vteps[${i}]`);
      if (this.vteps.has(c.name)) throw new VtepError(`vteps[${i}].name: '${c.name}' is used twice`);
      this.vteps.set(c.name, new Vtep(c, this.underlay));
    });
  }

  get interfaces(): string[] {
    const out: string[] = [];
    for (const v of this.vteps.values()) {
      out.push(`${v.name}/underlay`);
      for (const vni of v.vniList) out.push(`${v.name}/vni-${vni}`);
    }
    return out;
  }

  /** Check a scenario event `{"time"?, "vtep", "vni", "hex" | "layers"}` against the VTEPs. */
  parseEvent(e: unknown, where: string, previous: number): VtepEvent {
    if (!isObject(e)) throw new VtepError(`${where}: an event is an object`);
    const v = typeof e.vtep === 'string' ? this.vteps.get(e.vtep) : undefined;
    if (!v) throw new VtepError(`${where}.vtep: no VTEP ${JSON.stringify(e.vtep)}`);
    if (typeof e.vni !== 'number' || !v.hasVni(e.vni)) throw new VtepError(`${where}.vni: vtep ${v.name} has no VNI ${JSON.stringify(e.vni)}`);
    return { time: eventTime(e.time, previous, where), vtep: v.name, vni: e.vni, frame: eventFrame(e, where) };
  }

  /** Run one event; returns what it delivered and dropped. */
  run(index: number, e: VtepEvent): SimEventResult {
    this.now = e.time;
    this.event = index;
    for (const v of this.vteps.values()) v.expire(e.time);
    const v = this.vteps.get(e.vtep)!;
    this.result = { index, port: `${v.name}/vni-${e.vni}`, delivered: [] };
    this.local = this.record(this.result.port, true, e.frame);
    v.transmit(e.vni, e.frame, 0, e.frame.length, e.time, this);
    this.local = null;
    return this.result;
  }

  /** Every VTEP's tables at the current time, sorted by VTEP (scenario order), VNI, MAC. */
  fdb(): VtepFdbJson[] {
    const out: VtepFdbJson[] = [];
    for (const v of this.vteps.values()) {
      for (const { vni, rows } of v.fdbRows(this.now)) for (const r of rows) out.push({ vtep: v.name, vni, mac: r.mac, remote: r.remote });
    }
    return out;
  }

  private record(iface: string, inbound: boolean, bytes: Uint8Array, comment?: string): SimFrame {
    const f: SimFrame = { iface, time: this.now, inbound, bytes, event: this.event };
    if (comment) f.comment = comment;
    this.frames.push(f);
    return f;
  }

  sent(from: Vtep, vni: number, buf: Uint8Array, start: number, end: number, dstIp: number, why: TxReason, copy: number, copies: number): void {
    const bytes = buf.slice(start, end);
    // A fragment after the first holds no VXLAN header: say which packet it belongs to instead.
    const first = getField(bytes, ETHER.length, IPV4.f.frag) === 0;
    const comment = first ? describeSent(from, vni, bytes, VTEP_OUTER_HEADERS, dstIp, why, copy, copies) : `IPv4 fragment of the packet to ${formatIpv4(dstIp)}`;
    this.record(`${from.name}/underlay`, false, bytes, comment);
    for (const r of this.underlay.receivers(dstIp, from)) {
      this.receiving = this.record(`${r.name}/underlay`, true, bytes);
      r.receive(bytes, 0, bytes.length, this.now, this);
      this.receiving = null;
    }
  }

  delivered(to: Vtep, vni: number, buf: Uint8Array, start: number, end: number, srcIp: number, learn: LearnOutcome): void {
    const note = describeLearn(to, vni, buf, start, srcIp, learn);
    if (note && this.receiving) this.receiving.comment = note;
    const port = `${to.name}/vni-${vni}`;
    this.record(port, false, buf.slice(start, end));
    this.result.delivered.push(port);
  }

  dropped(at: Vtep, code: VtepDrop, a: number, b: number, c: number): void {
    const reason = describeDrop(at, code, a, b, c);
    const target = this.receiving ?? this.local;
    if (target) target.comment = target.comment ? `${target.comment}; ${reason}` : reason;
    this.result.dropped ??= reason;
  }
}

/** Run a VTEP-only scenario `{"vteps": [...], "events": [...]}`; with `trace`, each event carries the tables right after it. */
export function simulateVteps(scenario: unknown, opts: { trace?: boolean } = {}): VtepSimResult {
  if (!isObject(scenario) || !Array.isArray(scenario.vteps)) throw new VtepError('scenario: needs a "vteps" list');
  if (!Array.isArray(scenario.events)) throw new VtepError('scenario: needs an "events" list');
  const sim = new VtepSim(scenario.vteps);
  let previous = 0;
  const events = scenario.events.map((e, i) => {
    const ev = sim.parseEvent(e, `events[${i}]`, previous);
    previous = ev.time;
    return ev;
  });
  const results = events.map((e, i) => {
    const r = sim.run(i, e);
    if (opts.trace) r.vtepFdb = sim.fdb();
    return r;
  });
  return { interfaces: sim.interfaces, frames: sim.frames, events: results, vtepFdb: sim.fdb() };
}
