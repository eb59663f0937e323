/**
 * VTEPs as netsim devices (the `vteps` of a scenario; the rules are in vtep.ts).
 *
 * Each VTEP has ports:
 * - `vtep/underlay`: its link to the underlay, captured both ways (`--ports`: vtep-underlay.pcap).
 * - `vtep/vni-N` per VNI: the VNI's local side. Hosts sit there (events `{"vtep", "vni"}` enter
 *   here; decapsulated frames leave here and are delivered), inner frames untagged. Captured:
 *   inbound = what the VTEP encapsulates, outbound = what it delivers (`--ports`:
 *   vtep-decap.pcap, every VNI's deliveries).
 * - one uncaptured port per switch port bound to it (`{"name": "vx", "vtep": "vtep1", "map":
 *   {"10": 42}}`, the hypervisor's virtual switch): frames of VLAN 10 from the switch lose their
 *   tag and go into VNI 42; frames of VNI 42 go to the switch tagged with VLAN 10 (PCP 0). The
 *   `vtep/vni-N` interface still shows them untagged, as the VNI's local side.
 *
 * The underlay is one more device (`vxlan-underlay`, no captured ports) linked to every VTEP's
 * underlay port: it hands a unicast packet to the VTEP owning the destination address and a
 * multicast one to every other VTEP that joined the group.
 */
import { getField, setField } from '../net/fields.js';
import { ETHER } from '../net/ether.js';
import { IPV4 } from '../net/ipv4.js';
import { TPID_8021Q } from './switch.js';
import { VLAN_TAG, encodeVlanTag } from '../net/dot1q.js';
import { ByteWriter } from '../bytes/view.js';
import { DIR_IN, DIR_OUT, type Device, type Direction, type Port, type Simulation } from './engine.js';
import type { BuildContext, DeviceType, SwitchPortBinder } from './device-type.js';
import { NetsimError } from './errors.js';
import { array, integer, mac, object, onlyKeys, seconds, string } from './parse.js';
import { parseIpv4 } from '../bytes/addr.js';
import { VirtkitError } from '../errors.js';
import type { LearnOutcome } from './vtep-fdb.js';
import {
  Underlay,
  VTEP_OUTER_HEADERS,
  Vtep,
  describeDrop,
  describeLearn,
  describeSent,
  type TxReason,
  type VtepConfig,
  type VtepDrop,
  type VtepSink,
  type VtepVniConfig,
} from './vtep.js';
import { formatIpv4 } from '../bytes/addr.js';

/** The name of the underlay device (its ports are `vxlan-underlay/<vtep>`, never captured). */
export const UNDERLAY_DEVICE = 'vxlan-underlay';
const VNI_MAX = 0xffffff;
const TAG = VLAN_TAG.length;
const F_VID = VLAN_TAG.f.vid;
// A tagged frame: the Ethernet header's type field holds the TPID (0x8100), and the tag's
// layout (TCI, then the frame's own EtherType) follows the Ethernet header.
const AT_TPID = ETHER.f.type.byte;
const AT_TCI = ETHER.length;
const AT_TAGGED_TYPE = AT_TCI + VLAN_TAG.f.type.byte;

/** Record a crossing without sending (the VNI's view of frames that travel through a bound switch port). */
function capture(sim: Simulation, port: Port, dir: Direction, bytes: Uint8Array, length: number, comment?: string): void {
  if (sim.sink && port.capture) sim.sink.frame(port, dir, sim.now, bytes, length, comment);
}

interface Binding {
  port: Port;
  vlanToVni: ReadonlyMap<number, number>;
}

/** The underlay IP segment: forwards by outer destination address (vtep.ts's Underlay). */
export class UnderlayDevice implements Device {
  readonly name = UNDERLAY_DEVICE;
  readonly kind = 'underlay';
  readonly segment = new Underlay();
  private readonly toward = new Map<Vtep, Port>();
  private readonly from = new Map<Port, Vtep>();

  join(ctx: BuildContext, vtep: VtepDevice, where: string): void {
    const p = ctx.addPort(this, vtep.name, where, { capture: false });
    this.toward.set(vtep.vtep, p);
    this.from.set(p, vtep.vtep);
    ctx.sim.link(p, vtep.underlayPort);
  }

  receive(sim: Simulation, port: Port, frame: Uint8Array, length: number): void {
    const sender = this.from.get(port)!;
    const dst = getField(frame, ETHER.length, IPV4.f.dst);
    for (const r of this.segment.receivers(dst, sender)) sim.send(this.toward.get(r)!, frame, length);
  }
}

export class VtepDevice implements Device, SwitchPortBinder, VtepSink {
  readonly kind = 'vtep';
  readonly vtep: Vtep;
  readonly underlayPort: Port;
  private readonly vniPorts = new Map<number, Port>();
  private readonly portVni = new Map<Port, number>();
  private readonly bindings = new Map<Port, Binding>();
  /** VNI → the bound switch ports (and their VLAN) its decapsulated frames go to. */
  private readonly boundVni = new Map<number, { port: Port; vlan: number }[]>();
  private readonly scratch = new Uint8Array(ETHER.length + TAG + 65535);
  private readonly writer = new ByteWriter(this.scratch);
  private sim!: Simulation;
  /** An inner frame from a bound switch port, captured on its vtep/vni-N once its fate is known. */
  private pendingLocal: { port: Port; bytes: Uint8Array; length: number; note: string | undefined } | null = null;

  constructor(
    readonly name: string,
    config: VtepConfig,
    ctx: BuildContext,
    underlay: UnderlayDevice,
    where: string,
  ) {
    ctx.addDevice(this, where);
    try {
      this.vtep = new Vtep(config, underlay.segment);
    } catch (e) {
      throw e instanceof VirtkitError ? new NetsimError(where, e.message) : e;
    }
    this.underlayPort = ctx.addPort(this, 'underlay', where, { portFile: `${name}-underlay`, portFileDirections: DIR_IN | DIR_OUT });
    for (const vni of this.vtep.vniList) {
      const p = ctx.addPort(this, `vni-${vni}`, where, { portFile: `${name}-decap`, portFileDirections: DIR_OUT });
      this.vniPorts.set(vni, p);
      this.portVni.set(p, vni);
    }
    underlay.join(ctx, this, where);
  }

  /** The local-side port of `vni`, where its hosts sit. */
  vniPort(vni: number): Port | undefined {
    return this.vniPorts.get(vni);
  }

  bindSwitchPort(ctx: BuildContext, switchPort: Port, vlanToVni: ReadonlyMap<number, number>, where: string): void {
    for (const [vlan, vni] of vlanToVni) {
      if (!this.vniPorts.has(vni)) throw new NetsimError(where, `VLAN ${vlan} maps to VNI ${vni}, which vtep "${this.name}" does not have (it has ${this.vtep.vniList.join(', ')})`);
      const list = this.boundVni.get(vni) ?? [];
      list.push({ port: switchPort, vlan }); // several VLANs of one port on one VNI: one tagged copy each
      this.boundVni.set(vni, list);
    }
    if (switchPort.peer) throw new NetsimError(where, `port "${switchPort.name}" is already in a link (to "${switchPort.peer.name}")`);
    const p = ctx.addPort(this, switchPort.name.replaceAll('/', '-'), where, { capture: false });
    ctx.sim.link(switchPort, p);
    this.bindings.set(p, { port: switchPort, vlanToVni });
  }

  receive(sim: Simulation, port: Port, frame: Uint8Array, length: number): void {
    this.sim = sim;
    const now = sim.now;
    if (port === this.underlayPort) return this.vtep.receive(frame, 0, length, now, this);
    const vni = this.portVni.get(port);
    if (vni !== undefined) return this.vtep.transmit(vni, frame, 0, length, now, this);
    const b = this.bindings.get(port)!;
    // From the switch: a trunk frame of a mapped VLAN; its tag comes off before encapsulation.
    const tagged = length >= ETHER.length + TAG && getField(frame, 0, ETHER.f.type) === TPID_8021Q;
    const vlan = tagged ? getField(frame, AT_TCI, F_VID) : 0;
    const mapped = b.vlanToVni.get(vlan);
    if (mapped === undefined) {
      const reason = `dropped by ${this.name}: ${tagged ? `VLAN ${vlan} is` : 'an untagged frame is'} not mapped to a VNI on the port bound to ${b.port.name}`;
      sim.inbound(reason);
      sim.drop(reason);
      return;
    }
    // MACs, then everything after the TPID and TCI (the frame's own EtherType onwards).
    const s = this.scratch;
    s.set(frame.subarray(0, AT_TPID), 0);
    s.set(frame.subarray(AT_TAGGED_TYPE, length), AT_TPID);
    const inner = length - TAG;
    const note = sim.sink ? `VLAN ${vlan} from ${b.port.name} into VNI ${mapped}, tag removed` : undefined;
    this.pendingLocal = { port: this.vniPorts.get(mapped)!, bytes: s, length: inner, note };
    this.vtep.transmit(mapped, s, 0, inner, now, this);
    this.flushLocal();
  }

  private flushLocal(comment?: string): void {
    const p = this.pendingLocal;
    if (p === null) return;
    this.pendingLocal = null;
    capture(this.sim, p.port, DIR_IN, p.bytes, p.length, comment === undefined ? p.note : `${p.note}; ${comment}`);
  }

  tables(now: number, add: (table: string, row: object) => void): void {
    for (const { vni, rows } of this.vtep.fdbRows(now)) for (const r of rows) add('vtepFdb', { vtep: this.name, vni, mac: r.mac, remote: r.remote });
  }

  // ---- VtepSink -------------------------------------------------------------------------

  sent(from: Vtep, vni: number, buf: Uint8Array, start: number, end: number, dstIp: number, why: TxReason, copy: number, copies: number): void {
    this.flushLocal();
    const bytes = start === 0 ? buf : buf.subarray(start, end);
    this.sim.send(this.underlayPort, bytes, end - start, this.sim.sink ? sentComment(from, vni, bytes, dstIp, why, copy, copies) : undefined);
  }

  delivered(to: Vtep, vni: number, buf: Uint8Array, start: number, end: number, srcIp: number, learn: LearnOutcome): void {
    const sim = this.sim;
    sim.inbound(sim.sink ? describeLearn(to, vni, buf, start, srcIp, learn) || undefined : undefined);
    const inner = start === 0 ? buf : buf.subarray(start, end);
    const length = end - start;
    const bound = this.boundVni.get(vni);
    const port = this.vniPorts.get(vni)!;
    if (bound === undefined) return sim.send(port, inner, length);
    capture(sim, port, DIR_OUT, inner, length, sim.sink ? `to ${bound.map((t) => `${t.port.name} tagged VLAN ${t.vlan}`).join(', ')}` : undefined);
    // To the hypervisor's switch: tagged with the VLAN the VNI maps to (PCP 0, DEI 0).
    const s = this.scratch;
    for (const { port: switchPort, vlan } of bound) {
      s.set(inner.subarray(0, AT_TPID), 0);
      setField(s, 0, ETHER.f.type, TPID_8021Q);
      encodeVlanTag(this.writer, AT_TCI, 0, 0, vlan, getField(inner, 0, ETHER.f.type));
      s.set(inner.subarray(ETHER.length, length), AT_TCI + TAG);
      sim.send(switchPort.peer!, s, length + TAG);
    }
  }

  dropped(at: Vtep, code: VtepDrop, a: number, b: number, c: number): void {
    const reason = describeDrop(at, code, a, b, c);
    if (this.pendingLocal) this.flushLocal(reason);
    else this.sim.inbound(reason);
    this.sim.drop(reason);
  }
}

/** The capture comment of an outer packet; a fragment after the first holds no VXLAN header, so it says which packet it belongs to. */
function sentComment(from: Vtep, vni: number, bytes: Uint8Array, dstIp: number, why: TxReason, copy: number, copies: number): string {
  if (getField(bytes, ETHER.length, IPV4.f.frag) !== 0) return `IPv4 fragment of the packet to ${formatIpv4(dstIp)}`;
  return describeSent(from, vni, bytes, VTEP_OUTER_HEADERS, dstIp, why, copy, copies);
}

const VTEP_KEYS = ['name', 'ip', 'mac', 'vnis', 'port', 'mtu', 'fragment', 'ttl', 'srcport', 'agingTime'];
const VNI_KEYS = ['vni', 'group', 'flood'];

function ipv4(v: unknown, where: string): number {
  const n = typeof v === 'string' ? parseIpv4(v) : -1;
  if (n < 0) throw new NetsimError(where, `${JSON.stringify(v)} is not an IPv4 address like "192.168.100.1"`);
  return n;
}

/** One VTEP of a scenario's `vteps` → its configuration (NetsimErrors name the place). */
export function parseVtep(v: unknown, where: string): VtepConfig {
  const o = object(v, where);
  onlyKeys(o, VTEP_KEYS, where);
  const name = string(o.name, `${where}.name`);
  if (name.includes('/')) throw new NetsimError(`${where}.name`, `VTEP name "${name}" must not contain "/"`);
  const vnis = array(o.vnis, `${where}.vnis`).map((nv, i): VtepVniConfig => {
    const w = `${where}.vnis[${i}]`;
    const n = object(nv, w);
    onlyKeys(n, VNI_KEYS, w);
    const c: VtepVniConfig = { vni: integer(n.vni, `${w}.vni`, 0, VNI_MAX, 'VNI') };
    if (n.group !== undefined) c.group = ipv4(n.group, `${w}.group`);
    if (n.flood !== undefined) c.flood = array(n.flood, `${w}.flood`).map((a, j) => ipv4(a, `${w}.flood[${j}]`));
    return c;
  });
  if (vnis.length === 0) throw new NetsimError(`${where}.vnis`, 'a VTEP needs at least one VNI');
  const c: VtepConfig = { name, ip: ipv4(o.ip, `${where}.ip`), mac: mac(o.mac, `${where}.mac`), vnis };
  if (o.port !== undefined) c.port = integer(o.port, `${where}.port`, 1, 65535, 'UDP port');
  if (o.mtu !== undefined) c.mtu = integer(o.mtu, `${where}.mtu`, 64, 65535, 'MTU');
  if (o.ttl !== undefined) c.ttl = integer(o.ttl, `${where}.ttl`, 0, 255, 'TTL');
  if (o.fragment !== undefined) {
    if (typeof o.fragment !== 'boolean') throw new NetsimError(`${where}.fragment`, 'must be true or false');
    c.fragment = o.fragment;
  }
  if (o.srcport !== undefined) {
    const r = array(o.srcport, `${where}.srcport`);
    if (r.length !== 2) throw new NetsimError(`${where}.srcport`, 'must be [MIN, MAX] (MAX not used, as in ip-link\'s srcport)');
    c.srcport = [integer(r[0], `${where}.srcport[0]`, 1, 65535, 'port'), integer(r[1], `${where}.srcport[1]`, 2, 65536, 'port')];
  }
  if (o.agingTime !== undefined) c.agingTime = seconds(o.agingTime, `${where}.agingTime`, 'agingTime') / 1e9;
  return c;
}

/** The `vteps` of a scenario, and events that name a VTEP and VNI instead of a port. */
export const vtepType: DeviceType = {
  key: 'vteps',
  eventKeys: ['vtep', 'vni'],
  build(list, ctx) {
    const items = array(list, 'vteps');
    if (items.length === 0) return;
    const underlay = new UnderlayDevice();
    ctx.addDevice(underlay, 'vteps');
    items.forEach((v, i) => {
      const where = `vteps[${i}]`;
      const config = parseVtep(v, where);
      new VtepDevice(config.name, config, ctx, underlay, where);
    });
  },
  eventPort(event, where, ctx) {
    if (event.vtep === undefined) {
      if (event.vni !== undefined) throw new NetsimError(`${where}.vni`, 'goes with "vtep" (the VTEP whose VNI the frame enters)');
      return undefined;
    }
    const name = string(event.vtep, `${where}.vtep`);
    const d = ctx.sim.device(name);
    if (!(d instanceof VtepDevice)) throw new NetsimError(`${where}.vtep`, `no VTEP named "${name}"`);
    const vni = integer(event.vni, `${where}.vni`, 0, VNI_MAX, 'VNI');
    const p = d.vniPort(vni);
    if (!p) throw new NetsimError(`${where}.vni`, `vtep "${name}" has no VNI ${vni}`);
    return p;
  },
};
