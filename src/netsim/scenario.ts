/**
 * Scenario documents (netsim.md) → a Simulation and its host frames. The topology (devices,
 * links, options) is built once; events are parsed one at a time, so a JSON Lines scenario of
 * millions of frames streams through (the first line is the topology, every further line one
 * event).
 *
 * Every mistake is a NetsimError naming its place: `switches[0].ports[2].vlan`,
 * `links[1][0]`, `events[7].hex`.
 */
import { hexToBytes } from '../bytes/hex.js';
import { VirtkitError } from '../errors.js';
import { encodeFrame, type Layer } from '../net/index.js';
import { SNAPLEN } from '../pcap/index.js';
import type { BuildContext, DeviceType } from './device-type.js';
import { Simulation, type EventRecord, type FrameSink, type Port } from './engine.js';
import { NetsimError } from './errors.js';
import { array, integer, isObject, object, onlyKeys, seconds } from './parse.js';
import { switchType } from './switch.js';

/** The device types scenarios know, by their key. A new type is appended here (engine.ts tells how). */
export const DEVICE_TYPES: DeviceType[] = [switchType];

const TOP_KEYS = ['links', 'events', 'maxFrames'];
const EVENT_KEYS = ['time', 'port', 'hex', 'layers'];
/** Time between events that give no `time`: 1 ms after the previous one. */
export const DEFAULT_EVENT_STEP_NS = 1_000_000;

export interface ScenarioEvent {
  index: number;
  /** Nanoseconds from time 0. */
  time: number;
  port: Port;
  frame: Uint8Array;
}

export interface ScenarioOptions {
  sink?: FrameSink;
  /** Overrides the scenario's maxFrames. */
  maxFrames?: number;
}

/** A built network, ready to take events. */
export class Network {
  readonly sim: Simulation;
  readonly ctx: BuildContext;
  private nextIndex = 0;
  private lastTime = -1;
  private eventKeys: string[] | undefined;

  constructor(doc: Record<string, unknown>, opts: ScenarioOptions = {}) {
    const known = [...DEVICE_TYPES.map((t) => t.key), ...TOP_KEYS];
    onlyKeys(doc, known, 'scenario');
    const maxFrames = opts.maxFrames ?? (doc.maxFrames === undefined ? undefined : integer(doc.maxFrames, 'maxFrames', 1, 2 ** 40, 'maxFrames'));
    const sim = new Simulation({ maxFrames, sink: opts.sink });
    this.sim = sim;
    const later: (() => void)[] = [];
    this.ctx = {
      sim,
      addPort(device, local, where, portOpts) {
        try {
          return sim.addPort(device, local, portOpts);
        } catch (e) {
          throw rethrow(e, where);
        }
      },
      addDevice(device, where) {
        try {
          sim.addDevice(device);
        } catch (e) {
          throw rethrow(e, where);
        }
      },
      port(name, where) {
        if (typeof name !== 'string') throw new NetsimError(where, 'must be a port name "device/port"');
        const p = sim.port(name);
        if (!p) throw new NetsimError(where, `unknown port "${name}"${name.includes('/') ? '' : ' (ports are named "device/port", e.g. "br0/p1")'}`);
        return p;
      },
      later(step) {
        later.push(step);
      },
    };
    for (const t of DEVICE_TYPES) if (doc[t.key] !== undefined) t.build(doc[t.key], this.ctx);
    for (const step of later) step();
    if (sim.devices.length === 0) throw new NetsimError('scenario', `describes no devices (give ${DEVICE_TYPES.map((t) => `"${t.key}"`).join(' or ')})`);
    if (doc.links !== undefined) this.links(doc.links);
  }

  private links(v: unknown): void {
    array(v, 'links').forEach((lv, i) => {
      const where = `links[${i}]`;
      let ends: unknown;
      let delay = 0;
      if (Array.isArray(lv)) ends = lv;
      else {
        const o = object(lv, where);
        onlyKeys(o, ['ports', 'delay'], where);
        ends = o.ports;
        if (o.delay !== undefined) delay = seconds(o.delay, `${where}.delay`, 'delay');
      }
      const base = Array.isArray(lv) ? where : `${where}.ports`;
      const list = array(ends, base);
      if (list.length !== 2) throw new NetsimError(base, `a link joins two ports, not ${list.length}`);
      const a = this.ctx.port(list[0], `${base}[0]`);
      const b = this.ctx.port(list[1], `${base}[1]`);
      for (const [p, k] of [[a, 0], [b, 1]] as const) {
        if (p.peer) throw new NetsimError(`${base}[${k}]`, `port "${p.name}" is already in a link (to "${p.peer.name}"): a port joins one link`);
      }
      if (a === b) throw new NetsimError(where, `links port "${a.name}" to itself`);
      this.sim.link(a, b, delay);
    });
  }

  /** Check event `v` (the next one) and turn it into a host frame. `where` names it for errors. */
  event(v: unknown, where: string): ScenarioEvent {
    const o = object(v, where);
    this.eventKeys ??= [...EVENT_KEYS, ...DEVICE_TYPES.flatMap((t) => t.eventKeys ?? [])];
    onlyKeys(o, this.eventKeys, where);
    let port: Port | undefined;
    if (o.port !== undefined) port = this.ctx.port(o.port, `${where}.port`);
    else {
      for (const t of DEVICE_TYPES) {
        port = t.eventPort?.(o, where, this.ctx);
        if (port) break;
      }
      if (!port) throw new NetsimError(where, 'names no "port" where the frame enters');
    }
    let time: number;
    if (o.time !== undefined) {
      time = seconds(o.time, `${where}.time`);
      if (time < this.lastTime) throw new NetsimError(`${where}.time`, `${JSON.stringify(o.time)} is before the previous event's time (events come in time order)`);
    } else time = this.lastTime < 0 ? 0 : this.lastTime + DEFAULT_EVENT_STEP_NS;
    this.lastTime = time;
    return { index: this.nextIndex++, time, port, frame: eventFrame(o, where) };
  }

  /** Run one event (see Simulation.inject). */
  run(ev: ScenarioEvent): void {
    this.sim.inject(ev.index, ev.time, ev.port, ev.frame);
  }
}

function rethrow(e: unknown, where: string): unknown {
  return e instanceof VirtkitError && !(e instanceof NetsimError) ? new NetsimError(where, e.message) : e;
}

/** The frame of an event: `hex` or `layers`, checked to be Ethernet (a whole header, a whole tag). */
export function eventFrame(o: Record<string, unknown>, where: string): Uint8Array {
  let frame: Uint8Array;
  if (o.hex !== undefined && o.layers !== undefined) throw new NetsimError(where, 'give the frame as "hex" or as "layers", not both');
  if (o.hex !== undefined) {
    // Plain hex is the common case; separators (spaces, colons) are allowed and cost a pass.
    const bytes = typeof o.hex !== 'string' ? null : (hexToBytes(o.hex) ?? hexToBytes(o.hex.replace(/[\s:]/g, '')));
    if (!bytes) throw new NetsimError(`${where}.hex`, 'is not an even number of hex digits');
    frame = bytes;
  } else if (o.layers !== undefined) {
    const layers = array(o.layers, `${where}.layers`);
    try {
      frame = encodeFrame(layers as Layer[]);
    } catch (e) {
      throw rethrow(e, `${where}.layers`);
    }
    if (!isObject(layers[0]) || layers[0].layer !== 'ether') throw new NetsimError(`${where}.layers`, 'a frame on a switch port starts with an "ether" layer');
  } else throw new NetsimError(where, 'has no frame: give "hex" or "layers"');
  const w = `${where}.${o.hex !== undefined ? 'hex' : 'layers'}`;
  if (frame.length < 14) throw new NetsimError(w, `${frame.length} bytes is not an Ethernet frame (the header alone is 14)`);
  const type = (frame[12]! << 8) | frame[13]!;
  if (type < 0x600) throw new NetsimError(w, `EtherType 0x${type.toString(16).padStart(4, '0')} is an 802.3 length: not an Ethernet II frame`);
  if ((type === 0x8100 || type === 0x88a8) && frame.length < 18) throw new NetsimError(w, `the VLAN tag after TPID 0x${type.toString(16)} is cut short (${frame.length} bytes)`);
  if (frame.length > SNAPLEN) throw new NetsimError(w, `a frame of ${frame.length} bytes exceeds ${SNAPLEN}`);
  return frame;
}

/** A whole scenario document: its network and its events, checked (events are not run yet). */
export function parseScenario(doc: unknown, opts: ScenarioOptions = {}): { network: Network; events: ScenarioEvent[] } {
  const o = object(doc, 'scenario');
  const network = new Network(o, opts);
  const events = o.events === undefined ? [] : array(o.events, 'events').map((e, i) => network.event(e, `events[${i}]`));
  return { network, events };
}

/** Build and run a whole scenario in memory; returns the network (tables, counts) and each event's record. */
export function simulateScenario(doc: unknown, opts: ScenarioOptions = {}) {
  const { network, events } = parseScenario(doc, opts);
  const records: EventRecord[] = [];
  network.sim.onEvent = (r) => records.push(r);
  for (const ev of events) network.run(ev);
  network.sim.finish();
  return { network, records, tables: network.sim.tables() };
}
