/**
 * Hand-derived checks of each VTEP rule (RFC 7348 §4, the Linux vxlan device's behaviour): the
 * outer bytes of a flood and of a known unicast, learning from received frames only, moves,
 * aging, head-end replication order, MTU drop and fragmentation, ECN, source ports.
 */
import { describe, expect, it } from 'vitest';
import { hexToBytes, bytesToHex } from '../../src/bytes/hex.js';
import { parseIpv4, parseMac } from '../../src/bytes/addr.js';
import {
  DROP_INVALID_SOURCE,
  DROP_MTU,
  DROP_NO_NEIGHBOR,
  DROP_RX_MTU,
  DROP_NO_FLOOD,
  DROP_UNKNOWN_VNI,
  DROP_VXLAN_FLAGS,
  TX_FLOOD_GROUP,
  TX_FLOOD_HEADEND,
  TX_UNICAST,
  Underlay,
  Vtep,
  describeDrop,
  flowHash,
  groupMac,
  outerTos,
  type VtepConfig,
  type VtepSink,
} from '../../src/netsim/vtep.js';
import { LEARN_MOVED, LEARN_NEW, LEARN_REFRESHED, VtepFdb } from '../../src/netsim/vtep-fdb.js';

const ip = (t: string) => parseIpv4(t);
const mac = (t: string) => parseMac(t)!;
const hex = (h: string) => hexToBytes(h.replace(/\s+/g, ''))!;

interface Sent {
  from: string;
  vni: number;
  bytes: string;
  dst: number;
  why: number;
  copy: number;
  copies: number;
}
interface Delivered {
  to: string;
  vni: number;
  bytes: string;
  src: number;
  learn: number;
}
interface Dropped {
  at: string;
  code: number;
  a: number;
  b: number;
  c: number;
}

/** A sink that records everything and carries sent packets to their receivers (the underlay). */
class Recorder implements VtepSink {
  sentList: Sent[] = [];
  deliveredList: Delivered[] = [];
  droppedList: Dropped[] = [];
  now = 0;
  sent(from: Vtep, vni: number, buf: Uint8Array, start: number, end: number, dst: number, why: number, copy: number, copies: number): void {
    this.sentList.push({ from: from.name, vni, bytes: bytesToHex(buf, start, end), dst, why, copy, copies });
    const copyOf = buf.slice(start, end);
    for (const r of from.underlay.receivers(dst, from)) r.receive(copyOf, 0, copyOf.length, this.now, this);
  }
  delivered(to: Vtep, vni: number, buf: Uint8Array, start: number, end: number, src: number, learn: number): void {
    this.deliveredList.push({ to: to.name, vni, bytes: bytesToHex(buf, start, end), src, learn });
  }
  dropped(at: Vtep, code: number, a: number, b: number, c: number): void {
    this.droppedList.push({ at: at.name, code, a, b, c });
  }
}

function vtepConfig(n: number, vnis: VtepConfig['vnis'], extra: Partial<VtepConfig> = {}): VtepConfig {
  return { name: `vtep${n}`, ip: ip(`192.168.100.${n}`), mac: mac(`02:00:c0:a8:64:0${n}`), vnis, srcport: [49152, 49153], ...extra };
}

function threeVteps(vnis: (n: number) => VtepConfig['vnis'], extra: Partial<VtepConfig> = {}) {
  const u = new Underlay();
  const [a, b, c] = [1, 2, 3].map((n) => new Vtep(vtepConfig(n, vnis(n), extra), u)) as [Vtep, Vtep, Vtep];
  return { u, a, b, c };
}

const GROUP = [{ vni: 42, group: ip('239.1.1.1') }];
const M1 = '02aa00000001';
const M2 = '02aa00000002';
const M3 = '02aa00000003';
/**
 * A 60-byte inner frame: dst, src, EtherType 0x0800 and 46 bytes of 0x11 (not a valid IPv4
 * header: only the MACs matter, but its TOS byte 0x11 carries ECN ECT(1), which the outer header copies).
 */
function inner(dst: string, src: string, fill = '11', n = 46): Uint8Array {
  return hex(dst + src + '0800' + fill.repeat(n));
}

/** RFC 1071 checksum of a byte range, written out here independently of src/bytes. */
function rfc1071(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

describe('outer headers', () => {
  it('a broadcast floods to the group: every outer byte as Linux writes it', () => {
    const { a } = threeVteps(() => GROUP);
    const r = new Recorder();
    const f = inner('ffffffffffff', M1);
    a.transmit(42, f, 0, f.length, 0, r);
    expect(r.sentList).toHaveLength(1);
    const s = r.sentList[0]!;
    expect(s.why).toBe(TX_FLOOD_GROUP);
    const b = hex(s.bytes);
    // Ethernet: 01:00:5e + low 23 bits of 239.1.1.1, the VTEP's MAC, IPv4.
    expect(s.bytes.slice(0, 28)).toBe('01005e010101' + '0200c0a86401' + '0800');
    // IPv4: 45, TOS 0x01 (the inner ECN bits), length 20+8+8+60 = 96, id 1, DF, TTL 1 (to a
    // group), UDP, checksum, src, dst.
    expect(s.bytes.slice(28, 68)).toBe('4501' + '0060' + '0001' + '4000' + '01' + '11' + s.bytes.slice(48, 52) + 'c0a86401' + 'ef010101');
    expect(rfc1071(b, 14, 34)).toBe(0);
    // UDP: source port 49152 (range pinned to one port), 4789, length 8+8+60 = 76, checksum 0.
    expect(s.bytes.slice(68, 84)).toBe('c000' + '12b5' + '004c' + '0000');
    // VXLAN: flags 0x08, reserved, VNI 42, reserved.
    expect(s.bytes.slice(84, 100)).toBe('08000000' + '00002a00');
    expect(s.bytes.slice(100)).toBe(bytesToHex(f));
  });

  it('groupMac keeps only the low 23 bits of the group', () => {
    expect(bytesToHex(groupMac(ip('239.1.1.1')))).toBe('01005e010101');
    expect(bytesToHex(groupMac(ip('239.129.1.1')))).toBe('01005e010101');
    expect(bytesToHex(groupMac(ip('224.255.255.255')))).toBe('01005e7fffff');
  });

  it('a known unicast goes to the owner: its MAC, TTL 64', () => {
    const { a, b } = threeVteps(() => GROUP);
    const r = new Recorder();
    const f1 = inner('ffffffffffff', M1);
    a.transmit(42, f1, 0, f1.length, 0, r); // b learns M1 behind a
    const f2 = inner(M1, M2);
    b.transmit(42, f2, 0, f2.length, 1, r);
    const s = r.sentList[1]!;
    expect(s.why).toBe(TX_UNICAST);
    expect(s.dst).toBe(a.ip);
    expect(s.bytes.slice(0, 24)).toBe('0200c0a86401' + '0200c0a86402');
    expect(s.bytes.slice(44, 46)).toBe('40'); // TTL 64
    expect(s.bytes.slice(52, 68)).toBe('c0a86402' + 'c0a86401');
  });

  it('ECN of the inner packet is copied, CE as ECT(0), DSCP not', () => {
    const ipv4 = (tos: number) => hex('ffffffffffff' + M1 + '0800' + '45' + tos.toString(16).padStart(2, '0') + '00'.repeat(18));
    expect(outerTos(ipv4(0x00), 0, 34)).toBe(0);
    expect(outerTos(ipv4(0x01), 0, 34)).toBe(1);
    expect(outerTos(ipv4(0x02), 0, 34)).toBe(2);
    expect(outerTos(ipv4(0x03), 0, 34)).toBe(2);
    expect(outerTos(ipv4(0xb8), 0, 34)).toBe(0);
    // IPv6: traffic class 0x03 straddles bytes 0 and 1 of the header.
    expect(outerTos(hex('ffffffffffff' + M1 + '86dd' + '6030' + '00'.repeat(38)), 0, 54)).toBe(2);
    expect(outerTos(hex('ffffffffffff' + M1 + '0806' + '00'.repeat(28)), 0, 42)).toBe(0);
  });

  it('the source port is a stable hash of the flow inside the configured range', () => {
    const u = new Underlay();
    const v = new Vtep(vtepConfig(1, GROUP, { srcport: [49152, 65536] }), u);
    const udp = (sport: number) => hex('02aa00000002' + M1 + '0800' + '4500001c00010000401100000a0000010a000002' + sport.toString(16).padStart(4, '0') + '0035' + '00080000');
    const p1 = v.sourcePort(udp(1000), 0, 42);
    expect(v.sourcePort(udp(1000), 0, 42)).toBe(p1);
    expect(p1).toBeGreaterThanOrEqual(49152);
    expect(p1).toBeLessThan(65536);
    // The scaling Linux's udp_flow_src_port uses: min + (hash × (max − min)) >> 32.
    expect(p1).toBe(49152 + Math.floor((flowHash(udp(1000), 0, 42) * 16384) / 2 ** 32));
    const ports = new Set([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007].map((p) => v.sourcePort(udp(p), 0, 42)));
    expect(ports.size).toBeGreaterThan(4); // different flows spread over the range
  });
});

describe('learning (RFC 7348 §4.1)', () => {
  it('every receiver of a flood learns the inner source behind the outer source; the sender learns nothing', () => {
    const { a, b, c } = threeVteps(() => GROUP);
    const r = new Recorder();
    const f = inner('ffffffffffff', M1);
    a.transmit(42, f, 0, f.length, 0, r);
    expect(r.deliveredList.map((d) => [d.to, d.learn, d.src])).toEqual([
      ['vtep2', LEARN_NEW, a.ip],
      ['vtep3', LEARN_NEW, a.ip],
    ]);
    expect(r.deliveredList[0]!.bytes).toBe(bytesToHex(f));
    expect(a.fdb(42).size).toBe(0);
    expect(b.fdb(42).rows(0)).toEqual([{ mac: '02:aa:00:00:00:01', remote: '192.168.100.1' }]);
    expect(c.fdb(42).rows(0)).toEqual([{ mac: '02:aa:00:00:00:01', remote: '192.168.100.1' }]);
  });

  it('a MAC that shows up behind another VTEP moves', () => {
    const { a, b, c } = threeVteps(() => GROUP);
    const r = new Recorder();
    const f = inner('ffffffffffff', M1);
    a.transmit(42, f, 0, f.length, 0, r);
    c.transmit(42, f, 0, f.length, 1, r);
    expect(r.deliveredList.map((d) => [d.to, d.learn])).toEqual([
      ['vtep2', LEARN_NEW],
      ['vtep3', LEARN_NEW],
      ['vtep1', LEARN_NEW],
      ['vtep2', LEARN_MOVED],
    ]);
    expect(b.fdb(42).previousRemote).toBe(a.ip);
    expect(b.fdb(42).rows(1)).toEqual([{ mac: '02:aa:00:00:00:01', remote: '192.168.100.3' }]);
    // c keeps what it learnt from a: a VTEP never learns from its own sends.
    expect(c.fdb(42).rows(1)).toEqual([{ mac: '02:aa:00:00:00:01', remote: '192.168.100.1' }]);
  });

  it('a frame with a multicast or all-zeros source is dropped by the receivers, nothing learnt (as Linux does)', () => {
    const { a, b } = threeVteps(() => GROUP);
    const r = new Recorder();
    for (const src of ['03aa00000001', '000000000000']) {
      const f = inner('ffffffffffff', src);
      a.transmit(42, f, 0, f.length, 0, r);
    }
    expect(r.sentList).toHaveLength(2);
    expect(r.deliveredList).toEqual([]);
    expect(r.droppedList.map((d) => [d.at, d.code])).toEqual([
      ['vtep2', DROP_INVALID_SOURCE],
      ['vtep3', DROP_INVALID_SOURCE],
      ['vtep2', DROP_INVALID_SOURCE],
      ['vtep3', DROP_INVALID_SOURCE],
    ]);
    expect(b.fdb(42).size).toBe(0);
  });

  it('entries age out agingTime after they were last refreshed (times in ns)', () => {
    const S = 1e9;
    const t = new VtepFdb(10 * S);
    const m = hex(M1);
    expect(t.learn(m, 0, 7, 0)).toBe(LEARN_NEW);
    expect(t.lookup(m, 0, 10 * S - 1)).toBe(7);
    expect(t.lookup(m, 0, 10 * S)).toBe(-1);
    expect(t.size).toBe(0);
    expect(t.learn(m, 0, 7, 20 * S)).toBe(LEARN_NEW);
    expect(t.learn(m, 0, 7, 25 * S)).toBe(LEARN_REFRESHED);
    expect(t.lookup(m, 0, 35 * S - 1)).toBe(7);
    expect(t.rows(35 * S)).toEqual([]);
    expect(t.learn(m, 0, 9, 36 * S)).toBe(LEARN_NEW);
    expect(t.learn(m, 0, 8, 37 * S)).toBe(LEARN_MOVED);
    expect(t.previousRemote).toBe(9);
    expect(t.rows(37 * S)).toEqual([{ mac: '02:aa:00:00:00:01', remote: '0.0.0.8' }]);
  });

  it('an aged-out destination is flooded again', () => {
    const { a, b } = threeVteps(() => GROUP, { agingTime: 5 });
    const r = new Recorder();
    const f = inner('ffffffffffff', M1);
    a.transmit(42, f, 0, f.length, 0, r);
    const g = inner(M1, M2);
    b.transmit(42, g, 0, g.length, 4e9, r);
    b.transmit(42, g, 0, g.length, 5e9, r);
    expect(r.sentList.map((s) => s.why)).toEqual([TX_FLOOD_GROUP, TX_UNICAST, TX_FLOOD_GROUP]);
  });

  it('two VNIs keep separate tables for the same MAC', () => {
    const vnis = () => [
      { vni: 42, group: ip('239.1.1.1') },
      { vni: 43, group: ip('239.1.1.2') },
    ];
    const { a, b, c } = threeVteps(vnis);
    const r = new Recorder();
    const f = inner('ffffffffffff', M1);
    a.transmit(42, f, 0, f.length, 0, r);
    c.transmit(43, f, 0, f.length, 0, r);
    expect(b.fdb(42).rows(0)).toEqual([{ mac: '02:aa:00:00:00:01', remote: '192.168.100.1' }]);
    expect(b.fdb(43).rows(0)).toEqual([{ mac: '02:aa:00:00:00:01', remote: '192.168.100.3' }]);
    expect(r.deliveredList.map((d) => [d.to, d.vni])).toEqual([
      ['vtep2', 42],
      ['vtep3', 42],
      ['vtep1', 43],
      ['vtep2', 43],
    ]);
  });
});

describe('head-end replication', () => {
  it('one unicast copy per listed VTEP, the first listed last (as Linux sends them), never to itself', () => {
    const u = new Underlay();
    const list = ['192.168.100.2', '192.168.100.3', '192.168.100.4', '192.168.100.1'].map(ip);
    const a = new Vtep(vtepConfig(1, [{ vni: 7, flood: list }]), u);
    for (const n of [2, 3, 4]) new Vtep(vtepConfig(n, [{ vni: 7, flood: [ip('192.168.100.1')] }]), u);
    const r = new Recorder();
    const f = inner(M3, M1);
    a.transmit(7, f, 0, f.length, 0, r);
    expect(r.sentList.map((s) => [s.why, s.copy, s.copies, s.bytes.slice(0, 12), s.dst])).toEqual([
      [TX_FLOOD_HEADEND, 1, 3, '0200c0a86403', ip('192.168.100.3')],
      [TX_FLOOD_HEADEND, 2, 3, '0200c0a86404', ip('192.168.100.4')],
      [TX_FLOOD_HEADEND, 3, 3, '0200c0a86402', ip('192.168.100.2')],
    ]);
    expect(r.sentList.every((s) => s.bytes.slice(44, 46) === '40')).toBe(true); // unicast TTL 64
    expect(r.deliveredList.map((d) => d.to)).toEqual(['vtep3', 'vtep4', 'vtep2']);
  });

  it('a VNI with nowhere to flood drops broadcasts', () => {
    const u = new Underlay();
    const a = new Vtep(vtepConfig(1, [{ vni: 7 }]), u);
    const r = new Recorder();
    const f = inner('ffffffffffff', M1);
    a.transmit(7, f, 0, f.length, 0, r);
    expect(r.droppedList).toEqual([{ at: 'vtep1', code: DROP_NO_FLOOD, a: 7, b: 0, c: 0 }]);
  });
});

describe('MTU (RFC 7348 §4.3)', () => {
  const sized = (n: number) => inner('ffffffffffff', M1, '00', n - 14);

  it('the largest inner frame that fits is MTU − 36; one byte more is dropped with the sizes', () => {
    const { a } = threeVteps(() => GROUP);
    const r = new Recorder();
    a.transmit(42, sized(1464), 0, 1464, 0, r);
    expect(r.sentList).toHaveLength(1);
    expect(r.sentList[0]!.bytes.length / 2).toBe(1514); // 1500-byte IP packet in a 1514-byte frame
    a.transmit(42, sized(1465), 0, 1465, 0, r);
    expect(r.sentList).toHaveLength(1);
    expect(r.droppedList).toEqual([{ at: 'vtep1', code: DROP_MTU, a: 1465, b: 1501, c: 1500 }]);
    expect(describeDrop(a, DROP_MTU, 1465, 1501, 1500)).toContain('1501-byte outer IPv4 packet');
  });

  it('the classic failure: a 1500-byte VM MTU over a 1500-byte underlay loses every full-size frame', () => {
    const { a } = threeVteps(() => GROUP);
    const r = new Recorder();
    a.transmit(42, sized(1514), 0, 1514, 0, r);
    expect(r.droppedList[0]).toEqual({ at: 'vtep1', code: DROP_MTU, a: 1514, b: 1550, c: 1500 });
  });

  it('with fragment the outer packet goes as IPv4 fragments (DF clear) and the receiver reassembles the inner frame', () => {
    const { a } = threeVteps(() => GROUP, { fragment: true });
    const r = new Recorder();
    const f = sized(1514);
    for (let i = 14; i < f.length; i++) f[i] = i & 0xff;
    a.transmit(42, f, 0, f.length, 0, r);
    expect(r.sentList).toHaveLength(2);
    const [p1, p2] = r.sentList.map((s) => hex(s.bytes));
    // 1550-byte packet, 1480 bytes of payload per fragment: 1500 + (20 + 50) bytes.
    expect(p1!.length).toBe(14 + 1500);
    expect(p2!.length).toBe(14 + 20 + 50);
    expect(bytesToHex(p1!, 20, 22)).toBe('2000'); // MF, offset 0, DF clear
    expect(bytesToHex(p2!, 20, 22)).toBe('00b9'); // offset 1480 / 8 = 185
    expect(rfc1071(p1!, 14, 34)).toBe(0);
    expect(rfc1071(p2!, 14, 34)).toBe(0);
    expect(r.deliveredList.map((d) => [d.to, d.bytes === bytesToHex(f)])).toEqual([
      ['vtep2', true],
      ['vtep3', true],
    ]);
  });
});

describe('receive checks', () => {
  it('unknown VNI and bad VXLAN flags are dropped', () => {
    const u = new Underlay();
    const a = new Vtep(vtepConfig(1, [{ vni: 42, group: ip('239.1.1.1') }]), u);
    const b = new Vtep(vtepConfig(2, [{ vni: 43, group: ip('239.1.1.1') }]), u);
    const r = new Recorder();
    const f = inner('ffffffffffff', M1);
    a.transmit(42, f, 0, f.length, 0, r);
    expect(r.droppedList).toEqual([{ at: 'vtep2', code: DROP_UNKNOWN_VNI, a: 42, b: 0, c: 0 }]);
    const pkt = hex(r.sentList[0]!.bytes);
    pkt[42] = 0x0c;
    b.receive(pkt, 0, pkt.length, 0, r);
    expect(r.droppedList[1]).toMatchObject({ code: DROP_VXLAN_FLAGS, a: 0x0c });
  });

  it('a packet larger than the receiving VTEP MTU is dropped there; a replication target nobody owns is dropped at the sender', () => {
    const u = new Underlay();
    const a = new Vtep(vtepConfig(1, [{ vni: 7, flood: [ip('192.168.100.2'), ip('192.168.100.9')] }], { mtu: 9000 }), u);
    new Vtep(vtepConfig(2, [{ vni: 7, flood: [ip('192.168.100.1')] }]), u);
    const r = new Recorder();
    const f = inner('ffffffffffff', M1, '00', 1600 - 14);
    a.transmit(7, f, 0, f.length, 0, r);
    // Copies go to .9 first (nobody owns it: dropped), then to vtep2, whose MTU is 1500.
    expect(r.droppedList).toEqual([
      { at: 'vtep1', code: DROP_NO_NEIGHBOR, a: ip('192.168.100.9'), b: 0, c: 0 },
      { at: 'vtep2', code: DROP_RX_MTU, a: 1636, b: 0, c: 1500 },
    ]);
    expect(r.sentList).toHaveLength(1);
    expect(describeDrop(a, DROP_NO_NEIGHBOR, ip('192.168.100.9'), 0, 0)).toBe('dropped by vtep1: no VTEP owns 192.168.100.9 on the underlay');
  });

  it('configuration errors name the VTEP', () => {
    const u = new Underlay();
    expect(() => new Vtep(vtepConfig(1, [{ vni: 1 << 24 }]), u)).toThrow(/vtep vtep1: VNI 16777216/);
    expect(() => new Vtep(vtepConfig(1, [{ vni: 1, group: ip('10.0.0.1') }]), u)).toThrow(/not a multicast/);
    new Vtep(vtepConfig(1, [{ vni: 1 }]), u);
    expect(() => new Vtep({ ...vtepConfig(1, [{ vni: 1 }]), name: 'x' }, u)).toThrow(/already vtep vtep1's/);
  });
});

describe('the outer packet equals the general encoder', () => {
  it('encodeFrame of ether/ipv4/udp/vxlan/raw gives the same bytes for any inner frame, VNI and VTEP settings', async () => {
    const fc = (await import('fast-check')).default;
    const { encodeFrame } = await import('../../src/net/index.js');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 14, maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (frame, vni, ttl, multicastGroup) => {
          const u = new Underlay();
          const group = multicastGroup ? [{ vni, group: ip('239.7.7.7') }] : [{ vni, flood: [ip('192.168.100.2')] }];
          const a = new Vtep(vtepConfig(1, group, { ttl, srcport: [50000, 60000], port: 8472 }), u);
          new Vtep(vtepConfig(2, group), u);
          const r = new Recorder();
          frame[0] = frame[0]! | 1; // flooded: the outer destination is the group or vtep2
          a.transmit(vni, frame, 0, frame.length, 0, r);
          const s = r.sentList[0]!;
          const layers = [
            { layer: 'ether', dst: multicastGroup ? '01:00:5e:07:07:07' : '02:00:c0:a8:64:02', src: '02:00:c0:a8:64:01' },
            { layer: 'ipv4', src: '192.168.100.1', dst: multicastGroup ? '239.7.7.7' : '192.168.100.2', ttl: ttl || (multicastGroup ? 1 : 64), id: 1, flags: 'DF', tos: outerTos(frame, 0, frame.length) },
            { layer: 'udp', sport: a.sourcePort(frame, 0, frame.length), dport: 8472, chksum: 0 },
            { layer: 'vxlan', vni },
            { layer: 'raw', hex: bytesToHex(frame) },
          ];
          expect(s.bytes).toBe(bytesToHex(encodeFrame(layers)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
