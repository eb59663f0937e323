/**
 * A virtual switch with Open vSwitch's "normal switching" (ovs-vswitchd.conf.db(5), "VLAN
 * configuration"; the code is ofproto-dpif-xlate.c's xlate_normal):
 *
 * 1. Admission, by the port's VLAN mode and the frame's outer tag (TPID 0x8100 or 0x88a8; OVS
 *    reads both as a VLAN header and, with its default vlan-limit of 1, only the outer one):
 *    - access: untagged (or priority-tagged, VID 0) frames join the port's VLAN, or the VLAN
 *      classification picks (source MAC, then source IPv4 subnet, then EtherType, as classic
 *      switches rank MAC-, subnet- and protocol-based VLANs); a non-zero VID is dropped.
 *    - trunk: the tag's VLAN, VLAN 0 when untagged; a VLAN not in `trunks` is dropped (no
 *      `trunks`: every VLAN).
 *    - native-tagged / native-untagged: like a trunk, untagged frames join the native VLAN; the
 *      native VLAN is always trunked and VLAN 0 never is.
 *    - dot1q-tunnel: every frame joins S-VLAN `vlan` with an S-tag (TPID `tpid`, PCP 0) in front
 *      of whatever tags it carries; with `cvlans`, only those customer VLANs (the outer tag's
 *      VID, 0 when untagged) are admitted.
 *    With `vlanLimit` 2 (OVS other_config:vlan-limit) a second tag under the outer one is read
 *    as the customer VLAN of the frame.
 *    Reserved multicast destinations (01:80:c2:00:00:0x, Cisco's and Extreme's control
 *    addresses) are dropped, as OVS does without forward-bpdu.
 * 2. Learning: the source MAC of every admitted frame (unless it is multicast) is learnt on the
 *    input port in the frame's VLAN, with its time. Nothing is learnt from a dropped frame. A
 *    full table (`macTableSize`, OVS's 8192 by default) makes room as OVS does (fdb.ts).
 * 3. Forwarding: a unicast destination learnt in the VLAN goes to its port (dropped if that is
 *    the input port); broadcast, multicast and unknown unicast flood to every other port whose
 *    mode carries the VLAN (an access port carries its VLAN only for frames without a customer
 *    tag; a dot1q-tunnel port its S-VLAN and its cvlans).
 * 4. Egress: access ports send untagged, trunks and native-tagged ports with the VLAN's tag
 *    (its TPID and PCP), native-untagged ports untagged in the native VLAN, dot1q-tunnel ports
 *    with the S-tag popped. A tag with VID 0 and PCP 0 is no tag (a priority tag with a
 *    non-zero PCP stays, as OVS 3.1 sends it). As OVS's datapath does, each copy of a flood is
 *    made from what the previous copy left on the frame: the innermost tags both share stay as
 *    they are (DEI bit included), the others are popped and pushed anew (DEI 0). A popped tag
 *    is never replaced by padding.
 * 5. Per-VLAN policing on egress (`police` on a port): a token bucket of `burst` bytes filled at
 *    `rate` bits per second; a frame larger than the tokens left is dropped and counted.
 */
import { formatMac } from '../bytes/addr.js';
import { NetsimError } from './errors.js';
import type { Device, Port, Simulation } from './engine.js';
import type { BuildContext, DeviceType } from './device-type.js';
import { isSwitchPortBinder } from './device-type.js';
import { MacTable } from './fdb.js';
import { array, integer, ipv4Prefix, mac, object, onlyKeys, rate, seconds, string, vlanId } from './parse.js';

export const MODE_ACCESS = 0;
export const MODE_TRUNK = 1;
export const MODE_NATIVE_TAGGED = 2;
export const MODE_NATIVE_UNTAGGED = 3;
export const MODE_DOT1Q_TUNNEL = 4;
export const MODE_NAMES = ['access', 'trunk', 'native-tagged', 'native-untagged', 'dot1q-tunnel'] as const;
export type PortMode = (typeof MODE_NAMES)[number];

export const TPID_8021Q = 0x8100;
export const TPID_8021AD = 0x88a8;
export const DEFAULT_AGING_SECONDS = 300;
/** OVS's default other_config:mac-table-size. */
export const DEFAULT_MAC_TABLE_SIZE = 8192;

/** A port's VLAN configuration, checked (the scenario's `ports[i]`). */
export interface SwitchPortConfig {
  name: string;
  mode: PortMode;
  /** Access VLAN, native VLAN or S-VLAN; 0 for a trunk. */
  vlan: number;
  /** VLANs trunked (trunk and native modes); undefined = all. */
  trunks?: readonly number[];
  /** dot1q-tunnel: customer VLANs admitted; undefined = all. */
  cvlans?: readonly number[];
  /** dot1q-tunnel: TPID of the S-tag on trunks. */
  tpid: number;
  /** access: untagged frames to VLANs by source MAC, source IPv4 subnet and EtherType. */
  classify?: {
    mac: { mac: Uint8Array; vlan: number }[];
    subnet: { net: number; bits: number; vlan: number }[];
    ethertype: { type: number; vlan: number }[];
  };
  /** Egress token buckets per VLAN: rate in bits per second, burst in bytes. */
  police?: { vlan: number; rate: number; burst: number }[];
}

export interface SwitchConfig {
  name: string;
  /**
   * VLAN headers the switch reads (OVS other_config:vlan-limit, default 1): with 2, the tag
   * under an outer tag is the frame's customer VLAN, which dot1q-tunnel `cvlans` filter on the
   * way out and which keeps a double-tagged frame off access ports.
   */
  vlanLimit: number;
  /** Seconds a learnt MAC lives without being seen again. */
  agingTime: number;
  /** Most MACs the table holds (OVS other_config:mac-table-size); a full table evicts fairly. */
  macTableSize: number;
  ports: SwitchPortConfig[];
}

interface Bucket {
  rate: number; // bytes per ns
  burst: number;
  tokens: number;
  last: number;
  bitsPerSecond: number;
}

const RESERVED = (d: Uint8Array): boolean => {
  const a = d[0]!, b = d[1]!, c = d[2]!, x = d[3]!, y = d[4]!, z = d[5]!;
  if (a === 0x01 && b === 0x80 && c === 0xc2 && x === 0 && y === 0 && z < 0x10) return true; // 802.1D, pause, …
  if (a === 0x00 && b === 0xe0 && c === 0x2b && x === 0 && y === 0 && (z === 0 || z === 4 || z === 6)) return true; // EDP, EAPS
  if (a === 0x01 && b === 0x00 && c === 0x0c) {
    if (x === 0xcc && y === 0xcc && (z === 0xcc || z === 0xcd || (z & 0xf0) === 0xc0)) return true; // CDP/VTP/DTP, PVST+, CFM
    if (x === 0xcd && y === 0xcd && z === 0xcd) return true; // STP UplinkFast
    if (x === 0 && y === 0 && z === 0) return true; // ISL
  }
  return false;
};

export class Switch implements Device {
  readonly kind = 'switch';
  readonly fdb: MacTable;
  readonly ports: Port[] = [];
  private mode = new Uint8Array(0);
  private vlan = new Uint16Array(0);
  private tpid = new Uint16Array(0);
  /** Per port: 4096 flags of the VLANs it trunks (trunk/native) or admits as cvlans (tunnel); null = all. */
  private vlans: (Uint8Array | null)[] = [];
  /** Per port (access with classification): the VLANs it also carries, untagged. */
  private extraVlans: (Uint8Array | null)[] = [];
  private classify: (SwitchPortConfig['classify'] | undefined)[] = [];
  private police: (Map<number, Bucket> | undefined)[] = [];
  private out = new Uint8Array(2048);
  private targets = new Int32Array(0);
  // Per frame, in fields so that forwarding allocates nothing: the tags on the wire (count,
  // TPID and TCI of the outer and inner), the frame's VLANs inside the switch (OVS's xvlan:
  // TPID, VID, PCP of outer and inner; VID and PCP 0 = none), and the tags one copy needs.
  private wn = 0;
  /** The wire state is still the received frame's. */
  private pristine = true;
  private w0t = 0;
  private w0c = 0;
  private w1t = 0;
  private w1c = 0;
  private x0t = 0;
  private x0v = 0;
  private x0p = 0;
  private x1t = 0;
  private x1v = 0;
  private x1p = 0;
  private e0t = 0;
  private e0v = 0;
  private e0p = 0;
  private e1t = 0;
  private e1v = 0;
  private e1p = 0;
  private readonly scratchTags: number[] = [0, 0, 0, 0];

  constructor(
    readonly name: string,
    readonly config: SwitchConfig,
  ) {
    this.fdb = new MacTable(config.agingTime * 1e9, Math.min(config.macTableSize, 1024), config.macTableSize);
  }

  /** Add the configured ports to the simulation (in order). */
  attach(ctx: BuildContext, where: string): void {
    const n = this.config.ports.length;
    this.mode = new Uint8Array(n);
    this.vlan = new Uint16Array(n);
    this.tpid = new Uint16Array(n);
    this.targets = new Int32Array(n);
    this.config.ports.forEach((pc, i) => {
      this.ports.push(ctx.addPort(this, pc.name, `${where}.ports[${i}]`));
      const mode = MODE_NAMES.indexOf(pc.mode);
      this.mode[i] = mode;
      this.vlan[i] = pc.vlan;
      this.tpid[i] = pc.tpid;
      let set: Uint8Array | null = null;
      const list = mode === MODE_DOT1Q_TUNNEL ? pc.cvlans : pc.trunks;
      if (mode === MODE_ACCESS) {
        // An access port carries its VLAN (and its classification VLANs): no set needed.
      } else if (list !== undefined) {
        set = new Uint8Array(4096);
        for (const v of list) set[v] = 1;
      } else if (mode === MODE_NATIVE_TAGGED || mode === MODE_NATIVE_UNTAGGED) {
        set = new Uint8Array(4096).fill(1);
      }
      if (set && (mode === MODE_NATIVE_TAGGED || mode === MODE_NATIVE_UNTAGGED)) {
        // ofproto: "Force trunking the native VLAN and prohibit trunking VLAN 0."
        set[pc.vlan] = 1;
        set[0] = 0;
      }
      this.vlans.push(set);
      let extra: Uint8Array | null = null;
      if (pc.classify) {
        extra = new Uint8Array(4096);
        for (const r of [...pc.classify.mac, ...pc.classify.subnet, ...pc.classify.ethertype]) extra[r.vlan] = 1;
      }
      this.extraVlans.push(extra);
      this.classify.push(pc.classify);
      if (pc.police) {
        const m = new Map<number, Bucket>();
        for (const p of pc.police) m.set(p.vlan, { rate: p.rate / 8e9, burst: p.burst, tokens: p.burst, last: 0, bitsPerSecond: p.rate });
        this.police.push(m);
      } else this.police.push(undefined);
    });
  }

  receive(sim: Simulation, port: Port, f: Uint8Array, len: number): void {
    const i = port.id - this.ports[0]!.id;
    const mode = this.mode[i]!;
    if (len < 14) return this.dropIn(sim, `runt frame of ${len} bytes on ${port.name}`);

    // The tags the switch reads (vlanLimit of them): the wire state the outputs start from.
    let wn = 0;
    let rest = 12;
    for (let k = 0; k < this.config.vlanLimit; k++) {
      const t = (f[rest]! << 8) | f[rest + 1]!;
      if (t !== TPID_8021Q && t !== TPID_8021AD) break;
      if (len < rest + 4) return this.dropIn(sim, `partial VLAN tag on ${port.name}`);
      const tci = (f[rest + 2]! << 8) | f[rest + 3]!;
      if (k === 0) {
        this.w0t = t;
        this.w0c = tci;
      } else {
        this.w1t = t;
        this.w1c = tci;
      }
      wn++;
      rest += 4;
    }
    this.wn = wn;
    this.pristine = true;
    const inTpid = wn > 0 ? this.w0t : 0;
    const inVid = wn > 0 ? this.w0c & 0xfff : 0;
    const inPcp = wn > 0 ? this.w0c >> 13 : 0;

    // 1. Admission, and the frame's VLANs inside the switch (OVS's xvlan: outer, inner).
    if (mode === MODE_ACCESS) {
      if (inVid !== 0) return this.dropIn(sim, `VLAN ${inVid} tagged frame on access port ${port.name} (VLAN ${this.vlan[i]})`);
      this.x0t = inTpid || TPID_8021Q;
      this.x0v = this.classify[i] ? this.classifyVlan(i, f, len, rest) : this.vlan[i]!;
      this.x0p = inPcp;
      this.x1t = this.x1v = this.x1p = 0;
    } else if (mode === MODE_DOT1Q_TUNNEL) {
      const c = this.vlans[i];
      if (c !== null && c![inVid] !== 1) return this.dropIn(sim, `customer VLAN ${inVid} not in the cvlans of dot1q-tunnel port ${port.name}`);
      // The received outer tag becomes the inner one; a second received tag drops out of view.
      this.x1t = inTpid;
      this.x1v = inVid;
      this.x1p = inPcp;
      this.x0t = this.tpid[i]!;
      this.x0v = this.vlan[i]!;
      this.x0p = 0;
    } else {
      if (inVid !== 0 || mode === MODE_TRUNK) {
        const t = this.vlans[i];
        if (t !== null && t![inVid] !== 1) {
          return this.dropIn(sim, inVid === 0 ? `untagged frame on ${MODE_NAMES[mode]} port ${port.name}, which does not trunk VLAN 0` : `VLAN ${inVid} not trunked by ${MODE_NAMES[mode]} port ${port.name}`);
        }
      }
      this.x0t = inTpid;
      this.x0v = inVid;
      this.x0p = inPcp;
      this.x1t = wn > 1 ? this.w1t : 0;
      this.x1v = wn > 1 ? this.w1c & 0xfff : 0;
      this.x1p = wn > 1 ? this.w1c >> 13 : 0;
      if (inVid === 0 && mode !== MODE_TRUNK) {
        this.x0t = inTpid || TPID_8021Q; // the native VLAN
        this.x0v = this.vlan[i]!;
      }
    }
    const vid = this.x0v;
    const cvid = this.x1v;
    if (RESERVED(f)) return this.dropIn(sim, `reserved multicast destination ${formatMac(f, 0)} is not forwarded (no forward-bpdu)`);

    // 2. Learning.
    const now = sim.now;
    if ((f[6]! & 1) === 0) this.fdb.learn(vid, f, 6, i, now);

    // 3. Forwarding decision: one port, or a flood.
    const targets = this.targets;
    let n = 0;
    let flood = FLOOD_NONE;
    if ((f[0]! & 1) === 0) {
      const j = this.fdb.lookup(vid, f, 0, now);
      if (j === i) return this.dropIn(sim, `destination ${formatMac(f, 0)} was learnt on the input port ${port.name} (VLAN ${vid})`);
      if (j >= 0) targets[n++] = j;
      else flood = FLOOD_UNKNOWN;
    } else {
      flood = f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff ? FLOOD_BROADCAST : FLOOD_MULTICAST;
    }
    if (flood !== FLOOD_NONE) {
      for (let j = 0; j < this.ports.length; j++) if (j !== i && this.carries(j, vid, cvid)) targets[n++] = j;
      if (n === 0) return this.dropIn(sim, `${floodText(flood, f)} in VLAN ${vid}${cvid ? ` (customer VLAN ${cvid})` : ''}: no other port of ${this.name} carries it`);
    }

    // 4./5. Egress: policing first (so the inbound comment can tell), then the copies.
    let policed: string | undefined;
    let sent = 0;
    const payload = len - rest;
    for (let k = 0; k < n; k++) {
      const j = targets[k]!;
      const b = this.police[j]?.get(vid);
      if (b !== undefined && !this.conform(b, 12 + 4 * this.egressTags(j) + payload, now)) {
        const why = `policed on ${this.ports[j]!.name}: VLAN ${vid} over ${b.bitsPerSecond} bit/s (burst ${b.burst} bytes)`;
        policed = policed === undefined ? why : `${policed}; ${why}`;
        sim.drop(why);
        targets[k] = -1;
      } else sent++;
    }
    // Comments only matter to a capture: without one, none is built (floods stay cheap).
    let copyComment: string | undefined;
    if (sim.sink === undefined) sim.inbound();
    else if (flood !== FLOOD_NONE) {
      const names: string[] = [];
      for (let k = 0; k < n; k++) if (targets[k]! >= 0) names.push(this.ports[targets[k]!]!.local);
      const what = floodText(flood, f);
      const comment = `flooded: ${what} in VLAN ${vid} to ${sent === 0 ? 'no port' : names.join(', ')}`;
      sim.inbound(policed === undefined ? comment : `${comment}; ${policed}`);
      copyComment = `flooded: ${what} in VLAN ${vid}`;
    } else if (policed !== undefined) sim.inbound(`dropped: ${policed}`);
    else sim.inbound();
    for (let k = 0; k < n; k++) {
      const j = targets[k]!;
      if (j >= 0) this.emit(sim, j, f, len, rest, copyComment);
    }
  }

  tables(now: number, add: (table: string, row: object) => void): void {
    const rows = this.fdb.entries(now);
    rows.sort((a, b) => a.port - b.port || a.vlan - b.vlan || compareBytes(a.mac, b.mac));
    for (const r of rows) add('fdb', { switch: this.name, port: this.ports[r.port]!.local, vlan: r.vlan, mac: formatMac(r.mac) });
  }

  /** Whether port j's mode sends frames of `vid` (with customer VLAN `cvid`: the inner tag). */
  private carries(j: number, vid: number, cvid: number): boolean {
    const mode = this.mode[j]!;
    if (mode === MODE_ACCESS) return cvid === 0 && (vid === this.vlan[j] || this.extraVlans[j]?.[vid] === 1);
    if (mode === MODE_DOT1Q_TUNNEL) {
      const c = this.vlans[j];
      return vid === this.vlan[j] && (c === null || c![cvid] === 1);
    }
    const t = this.vlans[j];
    return t === null || t![vid] === 1;
  }

  /**
   * The tags port j sends (OVS's output translation), into the e0…, e1… fields; returns how many.
   * A slot with VID 0 and PCP 0 is no tag, and a missing outer tag hides the inner one.
   */
  private egressTags(j: number): number {
    const mode = this.mode[j]!;
    let from = 0; // first xvlan slot sent
    if (mode === MODE_ACCESS) return 0;
    if (mode === MODE_DOT1Q_TUNNEL || (mode === MODE_NATIVE_UNTAGGED && this.x0v === this.vlan[j])) from = 1;
    if (from === 0) {
      if ((this.x0v | this.x0p) === 0) return 0;
      this.e0t = this.x0t || TPID_8021Q;
      this.e0v = this.x0v;
      this.e0p = this.x0p;
      if ((this.x1v | this.x1p) === 0) return 1;
      this.e1t = this.x1t || TPID_8021Q;
      this.e1v = this.x1v;
      this.e1p = this.x1p;
      return 2;
    }
    if ((this.x1v | this.x1p) === 0) return 0;
    this.e0t = this.x1t || TPID_8021Q;
    this.e0v = this.x1v;
    this.e0p = this.x1p;
    return 1;
  }

  /**
   * Write the copy for port j and send it. As OVS's datapath does, tags the copy shares, from
   * the innermost out, with what the previous copy left on the frame are kept as they are on
   * the wire (their DEI bit too); the others are popped and pushed anew (DEI 0). So one flood's
   * copies depend on the order of the ports, exactly as OVS's do.
   */
  private emit(sim: Simulation, j: number, f: Uint8Array, len: number, rest: number, comment: string | undefined): void {
    const port = this.ports[j]!;
    const en = this.egressTags(j);
    // Skip the innermost tags the wire state and the wanted tags have in common (tpid, vid, pcp).
    let a = this.wn - 1;
    let b = en - 1;
    for (; a >= 0 && b >= 0; a--, b--) {
      const wt = a === 0 ? this.w0t : this.w1t;
      const wc = a === 0 ? this.w0c : this.w1c;
      const et = b === 0 ? this.e0t : this.e1t;
      const ec = ((b === 0 ? this.e0p : this.e1p) << 13) | (b === 0 ? this.e0v : this.e1v);
      if (wt !== et || (wc | 0x1000) !== (ec | 0x1000)) break;
    }
    // Tags 0..b are pushed (rebuilt); the ones after keep their wire bytes.
    let w0t = this.w0t, w0c = this.w0c, w1t = this.w1t, w1c = this.w1c;
    const keep = en - 1 - b; // innermost tags kept
    // The kept tags are the innermost `keep` of the wire state.
    const kept0 = this.wn - keep; // wire index of the first kept tag
    const nt: number[] = this.scratchTags;
    for (let k = 0; k < en; k++) {
      if (k <= b) {
        nt[2 * k] = k === 0 ? this.e0t : this.e1t;
        nt[2 * k + 1] = ((k === 0 ? this.e0p : this.e1p) << 13) | (k === 0 ? this.e0v : this.e1v);
      } else {
        const wi = kept0 + (k - b - 1);
        nt[2 * k] = wi === 0 ? w0t : w1t;
        nt[2 * k + 1] = wi === 0 ? w0c : w1c;
      }
    }
    const outLen = 12 + 4 * en + (len - rest);
    if (en === this.wn && keep === en && this.pristine) {
      // Nothing changed on the wire: the frame goes out as it came.
      sim.send(port, f, len, comment);
      return;
    }
    this.pristine = false;
    if (this.out.length < outLen) this.out = new Uint8Array(outLen * 2);
    const o = this.out;
    o.set(f.subarray(0, 12), 0);
    for (let k = 0; k < en; k++) {
      const at = 12 + 4 * k;
      o[at] = nt[2 * k]! >> 8;
      o[at + 1] = nt[2 * k]! & 0xff;
      o[at + 2] = nt[2 * k + 1]! >> 8;
      o[at + 3] = nt[2 * k + 1]! & 0xff;
    }
    o.set(f.subarray(rest, len), 12 + 4 * en);
    // The wire state is now what this copy carries.
    this.wn = en;
    if (en > 0) {
      w0t = nt[0]!;
      w0c = nt[1]!;
    }
    if (en > 1) {
      w1t = nt[2]!;
      w1c = nt[3]!;
    }
    this.w0t = w0t;
    this.w0c = w0c;
    this.w1t = w1t;
    this.w1c = w1c;
    sim.send(port, o, outLen, comment);
  }

  private conform(b: Bucket, bytes: number, now: number): boolean {
    b.tokens = Math.min(b.burst, b.tokens + (now - b.last) * b.rate);
    b.last = now;
    if (bytes > b.tokens) return false;
    b.tokens -= bytes;
    return true;
  }

  /** VLAN of an untagged frame on access port i: by source MAC, source IPv4 subnet, EtherType, else the port's. */
  private classifyVlan(i: number, f: Uint8Array, len: number, rest: number): number {
    const c = this.classify[i]!;
    for (const r of c.mac) {
      const m = r.mac;
      if (f[6] === m[0] && f[7] === m[1] && f[8] === m[2] && f[9] === m[3] && f[10] === m[4] && f[11] === m[5]) return r.vlan;
    }
    const at = rest; // the EtherType after any priority tag
    const type = (f[at]! << 8) | f[at + 1]!;
    if (type === 0x0800 && c.subnet.length > 0 && len >= at + 2 + 20) {
      const s = at + 2 + 12;
      const src = ((f[s]! << 24) | (f[s + 1]! << 16) | (f[s + 2]! << 8) | f[s + 3]!) >>> 0;
      let best = -1;
      let vlan = 0;
      for (const r of c.subnet) {
        const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
        if (((src & mask) >>> 0) === r.net && r.bits > best) {
          best = r.bits;
          vlan = r.vlan;
        }
      }
      if (best >= 0) return vlan;
    }
    for (const r of c.ethertype) if (r.type === type) return r.vlan;
    return this.vlan[i]!;
  }

  private dropIn(sim: Simulation, reason: string): void {
    sim.inbound(`dropped: ${reason}`);
    sim.drop(reason);
  }
}

const FLOOD_NONE = 0;
const FLOOD_UNKNOWN = 1;
const FLOOD_BROADCAST = 2;
const FLOOD_MULTICAST = 3;

/** Why a frame floods, in words. */
function floodText(kind: number, f: Uint8Array): string {
  return kind === FLOOD_BROADCAST ? 'broadcast' : kind === FLOOD_MULTICAST ? `multicast ${formatMac(f, 0)}` : `unknown unicast ${formatMac(f, 0)}`;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

// ---- the scenario's "switches" ------------------------------------------------------------

const SWITCH_KEYS = ['name', 'agingTime', 'macTableSize', 'vlanLimit', 'ports'];
const PORT_KEYS = ['name', 'mode', 'vlan', 'trunks', 'cvlans', 'tpid', 'classify', 'police', 'vtep', 'map'];

function vlanList(v: unknown, where: string, min: number): number[] {
  return array(v, where).map((x, k) => integer(x, `${where}[${k}]`, min, 4094, 'VLAN'));
}

/** One port of `switches[s].ports[i]`, checked. */
export function parseSwitchPort(v: unknown, where: string): SwitchPortConfig & { vtep?: string; map?: Map<number, number> } {
  const o = object(v, where);
  onlyKeys(o, PORT_KEYS, where);
  const name = string(o.name, `${where}.name`);
  if (name.includes('/')) throw new NetsimError(`${where}.name`, `port name "${name}" must not contain "/"`);
  const has = (k: string) => o[k] !== undefined;
  let mode: PortMode;
  if (has('mode')) {
    if (!MODE_NAMES.includes(o.mode as PortMode)) throw new NetsimError(`${where}.mode`, `${JSON.stringify(o.mode)} is not a VLAN mode (${MODE_NAMES.join(', ')})`);
    mode = o.mode as PortMode;
  } else if (has('vlan') && has('trunks')) {
    throw new NetsimError(where, 'a port with both "vlan" and "trunks" needs "mode": "native-untagged" or "native-tagged"');
  } else mode = has('vlan') ? 'access' : 'trunk';
  const needsVlan = mode !== 'trunk';
  if (needsVlan && !has('vlan')) throw new NetsimError(where, `a ${mode} port needs "vlan"`);
  if (!needsVlan && has('vlan')) throw new NetsimError(`${where}.vlan`, 'a trunk port has no "vlan" (give "trunks"; a native VLAN needs mode native-untagged or native-tagged)');
  if ((mode === 'access' || mode === 'dot1q-tunnel') && has('trunks')) throw new NetsimError(`${where}.trunks`, `a ${mode} port carries one VLAN: no "trunks"`);
  if (mode !== 'dot1q-tunnel' && has('cvlans')) throw new NetsimError(`${where}.cvlans`, '"cvlans" is for dot1q-tunnel ports');
  if (mode !== 'dot1q-tunnel' && has('tpid')) throw new NetsimError(`${where}.tpid`, '"tpid" (the S-tag TPID) is for dot1q-tunnel ports');
  if (mode !== 'access' && has('classify')) throw new NetsimError(`${where}.classify`, 'VLAN classification is for access ports');
  const cfg: SwitchPortConfig & { vtep?: string; map?: Map<number, number> } = {
    name,
    mode,
    vlan: needsVlan ? vlanId(o.vlan, `${where}.vlan`) : 0,
    tpid: TPID_8021AD,
  };
  if (has('trunks')) cfg.trunks = vlanList(o.trunks, `${where}.trunks`, 0);
  if (has('cvlans')) cfg.cvlans = vlanList(o.cvlans, `${where}.cvlans`, 0);
  if (has('tpid')) {
    const t = String(o.tpid).toLowerCase();
    if (t === '0x88a8' || t === '802.1ad' || o.tpid === TPID_8021AD) cfg.tpid = TPID_8021AD;
    else if (t === '0x8100' || t === '802.1q' || o.tpid === TPID_8021Q) cfg.tpid = TPID_8021Q;
    else throw new NetsimError(`${where}.tpid`, `${JSON.stringify(o.tpid)} is not "0x88a8" (802.1ad) or "0x8100" (802.1Q)`);
  }
  if (has('classify')) {
    const w = `${where}.classify`;
    const c = object(o.classify, w);
    onlyKeys(c, ['mac', 'subnet', 'ethertype'], w);
    const rules = (key: string) => Object.entries(c[key] === undefined ? {} : object(c[key], `${w}.${key}`));
    cfg.classify = {
      mac: rules('mac').map(([k, vl]) => ({ mac: mac(k, `${w}.mac`), vlan: vlanId(vl, `${w}.mac["${k}"]`) })),
      subnet: rules('subnet').map(([k, vl]) => ({ ...ipv4Prefix(k, `${w}.subnet`), vlan: vlanId(vl, `${w}.subnet["${k}"]`) })),
      ethertype: rules('ethertype').map(([k, vl]) => ({ type: integer(k, `${w}.ethertype`, 0x600, 0xffff, 'EtherType'), vlan: vlanId(vl, `${w}.ethertype["${k}"]`) })),
    };
  }
  if (has('police')) {
    cfg.police = array(o.police, `${where}.police`).map((pv, k) => {
      const w = `${where}.police[${k}]`;
      const p = object(pv, w);
      onlyKeys(p, ['vlan', 'rate', 'burst'], w);
      return { vlan: integer(p.vlan, `${w}.vlan`, 0, 4094, 'VLAN'), rate: rate(p.rate, `${w}.rate`, 'rate (bit/s)'), burst: rate(p.burst, `${w}.burst`, 'burst (bytes)') };
    });
  }
  if (has('vtep') || has('map')) {
    if (mode !== 'trunk' || has('trunks')) throw new NetsimError(where, 'a port bound to a VTEP ("vtep", "map") is a trunk of the mapped VLANs: no "mode", "vlan" or "trunks"');
    cfg.vtep = string(o.vtep, `${where}.vtep`);
    const m = object(o.map, `${where}.map`);
    cfg.map = new Map(Object.entries(m).map(([k, vni]) => [vlanId(k, `${where}.map`), integer(vni, `${where}.map["${k}"]`, 0, 0xffffff, 'VNI')]));
    cfg.trunks = [...cfg.map.keys()];
  }
  return cfg;
}

/** The "switches" of a scenario. */
export const switchType: DeviceType = {
  key: 'switches',
  build(list, ctx) {
    array(list, 'switches').forEach((sv, s) => {
      const where = `switches[${s}]`;
      const o = object(sv, where);
      onlyKeys(o, SWITCH_KEYS, where);
      const name = string(o.name, `${where}.name`);
      if (name.includes('/')) throw new NetsimError(`${where}.name`, `switch name "${name}" must not contain "/"`);
      const agingTime = o.agingTime === undefined ? DEFAULT_AGING_SECONDS : seconds(o.agingTime, `${where}.agingTime`, 'agingTime') / 1e9;
      if (!(agingTime > 0)) throw new NetsimError(`${where}.agingTime`, 'must be more than 0 seconds');
      const ports = array(o.ports, `${where}.ports`).map((pv, i) => parseSwitchPort(pv, `${where}.ports[${i}]`));
      if (ports.length === 0) throw new NetsimError(`${where}.ports`, 'a switch needs at least one port');
      const vlanLimit = o.vlanLimit === undefined ? 1 : integer(o.vlanLimit, `${where}.vlanLimit`, 1, 2, 'vlanLimit');
      const macTableSize = o.macTableSize === undefined ? DEFAULT_MAC_TABLE_SIZE : integer(o.macTableSize, `${where}.macTableSize`, 1, 1_000_000, 'macTableSize');
      const sw = new Switch(name, { name, agingTime, macTableSize, vlanLimit, ports });
      ctx.addDevice(sw, where);
      sw.attach(ctx, where);
      ports.forEach((pc, i) => {
        if (pc.vtep === undefined) return;
        const w = `${where}.ports[${i}].vtep`;
        ctx.later(() => {
          const d = ctx.sim.device(pc.vtep!);
          if (!isSwitchPortBinder(d)) throw new NetsimError(w, `no VTEP named "${pc.vtep}"`);
          d.bindSwitchPort(ctx, sw.ports[i]!, pc.map!, w);
        });
      });
      ports.forEach((p, i) =>
        p.police?.forEach((b, k) => {
          if (!carriesConfigured(p, b.vlan)) throw new NetsimError(`${where}.ports[${i}].police[${k}].vlan`, `port "${p.name}" does not carry VLAN ${b.vlan}`);
        }),
      );
    });
  },
};

function carriesConfigured(p: SwitchPortConfig, vlan: number): boolean {
  if (p.mode === 'access') return vlan === p.vlan || (p.classify !== undefined && [...p.classify.mac, ...p.classify.subnet, ...p.classify.ethertype].some((r) => r.vlan === vlan));
  if (p.mode === 'dot1q-tunnel') return vlan === p.vlan;
  if (p.mode !== 'trunk' && vlan === p.vlan) return true;
  return p.trunks === undefined || p.trunks.includes(vlan);
}
