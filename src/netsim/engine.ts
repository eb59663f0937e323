/**
 * The discrete-event engine of `virtkit netsim` (browser-safe: no Node APIs).
 *
 * A network is devices (switches, VTEPs, …) with ports; a link joins two ports, and what leaves
 * one enters the other `delay` nanoseconds later (0 unless the scenario gives one). Hosts sit on
 * the ports no link joins: a host frame enters such a port, and a frame leaving it reaches the
 * host ("delivered"). Everything happens in time order; frames at the same time in the order
 * they were sent (first in, first out), so a flood spreads breadth-first and a run is
 * reproducible. A loop without a spanning tree floods forever, so the engine counts the frames
 * sent on behalf of each host frame and stops the run when one host frame has made `maxFrames`.
 *
 * Every crossing of a port is reported to a FrameSink with its direction (inbound = into the
 * device, outbound = out of it; the pcapng epb_flags values) and an optional comment (floods and
 * drops say why). The CLI's sink writes the pcapng and per-port pcaps (src/node/netsim-output.ts).
 *
 * Adding a device type (how VTEPs plug in next to switches):
 *  1. Write a class implementing `Device` in its own file in src/netsim/. The engine calls
 *     `receive(sim, port, frame, length)` when a frame arrives at one of its ports, at `sim.now`.
 *     In it, call `sim.inbound(comment?)` once (the inbound capture; the engine does it without a
 *     comment if you do not), then `sim.send(outPort, bytes, length, comment?)` for every copy
 *     that leaves (bytes are copied when they travel a link, so a reused scratch buffer is fine),
 *     and `sim.drop(reason)` for every frame or copy dropped. `tables(now, add)` adds the rows
 *     of the device's tables (`add("fdb", row)`, `add("vtepFdb", row)`) for the JSON output.
 *  2. Write a `DeviceType` (scenario.ts): the scenario key it owns (e.g. "vteps"), `build(list,
 *     ctx)` creating its devices and ports with `ctx.addPort(device, "underlay", where, opts)`
 *     (PortOptions choose the pcapng interface name, whether it is captured and what its
 *     per-port pcap holds), and if events may name it instead of a port, `eventKeys` and
 *     `eventPort(event, where, ctx)` (e.g. {"vtep": "vtep1", "vni": 42} → port "vtep1/vni-42").
 *     Links to other devices are ordinary ports joined with `sim.link(a, b, delay)`; a shared
 *     segment (an underlay IP network) is itself a device whose ports are linked to each VTEP's
 *     underlay port and that forwards by address. A switch port bound to the device
 *     (`{"name": "vx", "vtep": "vtep1", "map": {"10": 42}}`) is handed to the device's
 *     `bindSwitchPort(ctx, switchPort, vlanToVni, where)`, which adds an uncaptured port of its
 *     own and links it to the switch port.
 *  3. Append the type to DEVICE_TYPES in scenario.ts. Errors are NetsimErrors naming the place
 *     (`vteps[1].vnis[0].group`).
 */
import { VirtkitError } from '../errors.js';

/** pcapng epb_flags direction values: inbound (into the device) and outbound (out of it). */
export const DIR_IN = 1;
export const DIR_OUT = 2;
export type Direction = typeof DIR_IN | typeof DIR_OUT;

export const DEFAULT_MAX_FRAMES = 10000;

export interface PortOptions {
  /** Whether the port is a pcapng interface (default true). Internal joints say false. */
  capture?: boolean;
  /** The pcapng interface name (default `device/port`). */
  interfaceName?: string;
  /**
   * Base name of the port's classic pcap under --ports (default: the interface name with `/`
   * written as `-`); ports sharing one name share the file. null: no per-port pcap.
   */
  portFile?: string | null;
  /** Which crossings the per-port pcap holds: DIR_OUT (default: what leaves), or DIR_IN | DIR_OUT. */
  portFileDirections?: number;
}

export class Port {
  /** The other end of the port's link; undefined for a port a host sits on. */
  peer: Port | undefined = undefined;
  /** Nanoseconds a frame takes over the link to `peer`. */
  delay = 0;
  readonly capture: boolean;
  readonly interfaceName: string;
  readonly portFile: string | undefined;
  readonly portFileDirections: number;

  constructor(
    /** Index in Simulation.ports. */
    readonly id: number,
    readonly device: Device,
    /** The port's name inside its device ("p1"). */
    readonly local: string,
    /** `device/port`, as scenarios and the JSON output name it. */
    readonly name: string,
    opts: PortOptions = {},
  ) {
    this.capture = opts.capture !== false;
    this.interfaceName = opts.interfaceName ?? name;
    this.portFile = opts.portFile === null || !this.capture ? undefined : (opts.portFile ?? this.interfaceName.replaceAll('/', '-'));
    this.portFileDirections = opts.portFileDirections ?? DIR_OUT;
  }
}

export interface Device {
  readonly name: string;
  /** "switch", "vtep", … (for messages). */
  readonly kind: string;
  /** A frame arrived at `port` (one of this device's) at sim.now: bytes[0, length). */
  receive(sim: Simulation, port: Port, frame: Uint8Array, length: number): void;
  /** Rows of the device's tables as they stand at time `now` (ns). */
  tables?(now: number, add: (table: string, row: object) => void): void;
}

/** Where the crossings go (a pcapng writer, a test's array, nothing for a benchmark). */
export interface FrameSink {
  /** bytes[0, length) crossing `port` in `direction` at `time` ns; the bytes are valid only during the call. */
  frame(port: Port, direction: Direction, time: number, bytes: Uint8Array, length: number, comment: string | undefined): void;
}

/** What became of one host frame of the scenario (the JSON output's `events`). */
export interface EventRecord {
  index: number;
  /** The port the host frame entered. */
  port: string;
  /** Ports (without a link: hosts) where copies of the frame left, in order. */
  delivered: string[];
  /** Why a frame or copy was dropped (the first reason; every one is in the capture's comments). */
  dropped?: string;
}

interface InFlight {
  time: number;
  seq: number;
  port: Port;
  bytes: Uint8Array;
  event: OpenEvent;
}

interface OpenEvent {
  record: EventRecord;
  /** Frames of this event still travelling on links. */
  pending: number;
  /** The host frame has been handled but copies still travel: settle() completes the event. */
  open: boolean;
  /** Frames sent on behalf of this host frame (its copies and theirs): the storm budget. */
  sent: number;
}

export interface SimulationOptions {
  maxFrames?: number;
  sink?: FrameSink;
  /** Called with each event's record once nothing of it travels any more, in event order. */
  onEvent?: (record: EventRecord) => void;
}

/** The engine: ports, links, the time-ordered queue of frames in flight, the frame budget. */
export class Simulation {
  readonly ports: Port[] = [];
  readonly devices: Device[] = [];
  readonly maxFrames: number;
  sink: FrameSink | undefined;
  onEvent: ((record: EventRecord) => void) | undefined;
  /** Current time, nanoseconds from the scenario's time 0. */
  now = 0;
  /** Frames sent out of ports so far. */
  framesSent = 0;
  /** Frames and copies dropped so far. */
  framesDropped = 0;
  /** Set when the run stopped early (the frame budget ran out): what happened. */
  stopped: string | undefined = undefined;

  private readonly portsByName = new Map<string, Port>();
  private readonly devicesByName = new Map<string, Device>();
  private readonly heap: InFlight[] = [];
  private seq = 0;
  // The frame being received (what inbound() captures) and the event it descends from.
  private current: OpenEvent | undefined = undefined;
  private curPort: Port | undefined = undefined;
  private curBytes: Uint8Array | undefined = undefined;
  private curLength = 0;
  private curInbound = false;
  private readonly finished = new Map<number, EventRecord>();
  private nextToReport = 0;

  constructor(opts: SimulationOptions = {}) {
    this.maxFrames = opts.maxFrames ?? DEFAULT_MAX_FRAMES;
    this.sink = opts.sink;
    this.onEvent = opts.onEvent;
  }

  addDevice(device: Device): void {
    if (this.devicesByName.has(device.name)) throw new VirtkitError(`device name '${device.name}' is used twice`);
    this.devicesByName.set(device.name, device);
    this.devices.push(device);
  }

  device(name: string): Device | undefined {
    return this.devicesByName.get(name);
  }

  addPort(device: Device, local: string, opts?: PortOptions): Port {
    const name = `${device.name}/${local}`;
    if (this.portsByName.has(name)) throw new VirtkitError(`port '${name}' is declared twice`);
    const p = new Port(this.ports.length, device, local, name, opts);
    this.ports.push(p);
    this.portsByName.set(name, p);
    return p;
  }

  port(name: string): Port | undefined {
    return this.portsByName.get(name);
  }

  /** Join two ports; each was free. */
  link(a: Port, b: Port, delay = 0): void {
    for (const p of [a, b]) if (p.peer) throw new VirtkitError(`port '${p.name}' is already linked to '${p.peer.name}'`);
    if (a === b) throw new VirtkitError(`port '${a.name}' cannot be linked to itself`);
    a.peer = b;
    b.peer = a;
    a.delay = b.delay = delay;
  }

  /** Process everything in flight up to and including `time`, then set the clock to it. */
  advance(time: number): void {
    if (time < this.now) throw new VirtkitError(`time ${time} ns is before the current time ${this.now} ns`);
    this.run(time);
    this.now = time;
  }

  /**
   * A host on `port` sends bytes[0, length) at `time` (not before the current time): the frame
   * enters the port's device, and everything it causes up to that time is processed.
   */
  inject(index: number, time: number, port: Port, bytes: Uint8Array, length = bytes.length): void {
    this.advance(time);
    const ev: OpenEvent = { record: { index, port: port.name, delivered: [] }, pending: 0, open: false, sent: 0 };
    if (this.stopped === undefined) {
      this.receiveAt(port, bytes, length, ev);
      this.run(time);
    } else {
      ev.record.dropped = this.stopped;
    }
    if (ev.pending === 0) this.complete(ev.record);
    else ev.open = true; // frames of it still travel links with a delay: settle() completes it
  }

  /** Process everything still in flight (links with a delay), however late. */
  finish(): void {
    this.run(Infinity);
  }

  /** Rows of every device's tables at the current time, grouped by table name. */
  tables(): Record<string, object[]> {
    const out: Record<string, object[]> = { fdb: [], vtepFdb: [] };
    const add = (table: string, row: object) => (out[table] ??= []).push(row);
    for (const d of this.devices) d.tables?.(this.now, add);
    return out;
  }

  // ---- for devices, inside receive() ----------------------------------------------------

  /** Capture the frame being received, inbound, with a comment saying what became of it. */
  inbound(comment?: string): void {
    if (this.curInbound) return;
    this.curInbound = true;
    const p = this.curPort!;
    if (this.sink && p.capture) this.sink.frame(p, DIR_IN, this.now, this.curBytes!, this.curLength, comment);
  }

  /** bytes[0, length) leave `port` now (a copy goes onto the link, if there is one). */
  send(port: Port, bytes: Uint8Array, length: number, comment?: string): void {
    if (this.stopped !== undefined) return;
    if (!this.curInbound) this.inbound();
    const ev = this.current!;
    if (ev.sent >= this.maxFrames) {
      this.stop(`stopped at maxFrames ${this.maxFrames}: event ${ev.record.index} alone made ${ev.sent} frames (a loop without a spanning tree floods forever)`);
      return;
    }
    ev.sent++;
    this.framesSent++;
    if (this.sink && port.capture) this.sink.frame(port, DIR_OUT, this.now, bytes, length, comment);
    const peer = port.peer;
    if (peer === undefined) {
      ev.record.delivered.push(port.name);
      return;
    }
    ev.pending++;
    this.push({ time: this.now + peer.delay, seq: this.seq++, port: peer, bytes: bytes.slice(0, length), event: ev });
  }

  /** A frame or copy is dropped: why (the capture's comments say it too). */
  drop(reason: string): void {
    this.framesDropped++;
    const r = this.current!.record;
    r.dropped ??= reason;
  }

  // ---- inside ------------------------------------------------------------------------------

  private receiveAt(port: Port, bytes: Uint8Array, length: number, ev: OpenEvent): void {
    this.current = ev;
    this.curPort = port;
    this.curBytes = bytes;
    this.curLength = length;
    this.curInbound = false;
    port.device.receive(this, port, bytes, length);
    if (!this.curInbound) this.inbound();
    this.curBytes = undefined;
  }

  private run(until: number): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.time <= until) {
      const f = this.pop();
      f.event.pending--;
      if (this.stopped === undefined) {
        this.now = f.time;
        this.receiveAt(f.port, f.bytes, f.bytes.length, f.event);
      }
      this.settle(f.event);
    }
  }

  private stop(reason: string): void {
    this.stopped = reason;
    this.framesDropped++;
    this.current!.record.dropped ??= reason;
    // What is still on the links is never received: its events are over.
    const left = this.heap.splice(0);
    for (const f of left) {
      f.event.pending--;
      this.settle(f.event);
    }
  }

  /** A frame of `ev` finished travelling: the event is over when none is left. */
  private settle(ev: OpenEvent): void {
    if (ev.pending > 0 || !ev.open) return;
    ev.open = false;
    this.complete(ev.record);
  }

  /** Report in event order: a later event may finish first when links have delays. */
  private complete(r: EventRecord): void {
    if (r.index === this.nextToReport && this.finished.size === 0) {
      this.nextToReport++;
      this.onEvent?.(r);
      return;
    }
    this.finished.set(r.index, r);
    for (let f = this.finished.get(this.nextToReport); f; f = this.finished.get(this.nextToReport)) {
      this.finished.delete(this.nextToReport);
      this.nextToReport++;
      this.onEvent?.(f);
    }
  }

  private push(f: InFlight): void {
    const h = this.heap;
    let i = h.length;
    h.push(f);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(f, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = f;
  }

  private pop(): InFlight {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function before(a: InFlight, b: InFlight): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
