import { describe, it, expect, beforeAll } from 'vitest';
import { decodeFrame, encodeFrame } from '../../src/net/index.js';
import { mtuScenarioPackets, parseMtuScenario, ScenarioError } from '../../src/net/mtu-scenario.js';
import { toolsAvailable } from '../helpers/tools.js';
import { fields, tshark, writeTempCapture } from './tshark.js';

describe('mtuScenarioPackets', () => {
  const packets = mtuScenarioPackets();

  it('tells three stories in order, every frame commented and timed', () => {
    // df: big + ICMP + retry; fragment: whole + 2 fragments; jumbo: 1
    expect(packets).toHaveLength(3 + 3 + 1);
    expect(packets.map((p) => p.comment.slice(0, 3))).toEqual(['(1)', '(1)', '(1)', '(2)', '(2)', '(2)', '(3)']);
    const times = packets.map((p) => p.time);
    expect(times[0]).toBe('1700000000.000000000');
    expect(times[1]).toBe('1700000000.001000000');
    expect(times[3]).toBe('1700000001.003000000');
    expect([...times].sort()).toEqual(times);
    for (const p of packets) expect(p.comment.length).toBeGreaterThan(20);
  });

  it('sizes: 1550-byte outer packet dropped, ICMP quoting 28 bytes with MTU 1500, retry 1500, fragments 1500 + 70', () => {
    const ipLen = (i: number) => encodeFrame(packets[i]!.layers).length - 14;
    expect(ipLen(0)).toBe(1550); // 1500 + 20 + 8 + 8 + 14
    expect(packets[0]!.comment).toMatch(/1550-byte outer IP packet with Don't Fragment/);
    const icmp = packets[1]!.layers.find((l) => l.layer === 'icmp')!;
    expect(icmp).toMatchObject({ type: 3, code: 4, mtu: 1500 });
    expect((packets[1]!.layers.at(-1)!['hex'] as string).length).toBe(2 * 28); // 20-byte IP header + 8
    // the quote is the dropped packet's own bytes
    expect(packets[1]!.layers.at(-1)!['hex']).toBe(Buffer.from(encodeFrame(packets[0]!.layers).subarray(14, 42)).toString('hex'));
    expect(ipLen(2)).toBe(1500); // retry: 1450 inner + 50
    expect(packets[2]!.comment).toMatch(/1450-byte inner IP packet, 1500-byte outer packet/);
    expect([ipLen(3), ipLen(4), ipLen(5)]).toEqual([1550, 1500, 70]);
    expect(ipLen(6)).toBe(1550);
    expect(packets[6]!.comment).toMatch(/up to 8950 bytes/);
  });

  it('scenario files: defaults, unknown keys and impossible MTUs are errors naming the key', () => {
    expect(parseMtuScenario({}).underlayMtu).toBe(1500);
    expect(mtuScenarioPackets({ cases: ['jumbo'] })).toHaveLength(1);
    expect(() => parseMtuScenario({ underlay: 1400 })).toThrow(/unknown key 'underlay'/);
    expect(() => parseMtuScenario({ underlayMtu: 60 })).toThrow(/underlayMtu: 60 is below the IPv4 minimum MTU of 68/);
    expect(() => parseMtuScenario({ underlayMtu: 1550 })).toThrow(/already carries.*1550 bytes outer/);
    expect(() => parseMtuScenario({ jumboMtu: 1500 })).toThrow(ScenarioError);
    expect(() => parseMtuScenario({ vtep1: '1.2.3' })).toThrow(/vtep1: "1.2.3" is not an IPv4 address/);
    expect(() => parseMtuScenario({ cases: ['dff'] })).toThrow(/cases: must be/);
    expect(() => parseMtuScenario([])).toThrow(/JSON object/);
    // a 1400 underlay: retry at 1350, fragments 1396 (20 + 1376) + 174 (20 + 154)
    const small = mtuScenarioPackets({ underlayMtu: 1400 });
    expect(encodeFrame(small[2]!.layers).length - 14).toBe(1400);
    expect(small.slice(4, 6).map((p) => encodeFrame(p.layers).length - 14)).toEqual([1396, 174]);
  });
});

describe('the IPv6-underlay case', () => {
  it('the router drops the 1570-byte packet with a Packet Too Big (MTU 1400); VTEP 1 then fragments it: 1400 + 226', () => {
    const pk = mtuScenarioPackets({ underlayMtu: 1400, cases: ['ipv6'] });
    // 40 + 8 + 8 + 14 + 1500 = 1570; the Packet Too Big fills the 1280-byte minimum MTU (40 + 8 + 1232 quoted);
    // per fragment 40 + 8 (Fragment header) + 1352 (1400 − 48 = 1352 = 169 · 8); 1530 − 1352 = 178 → 40 + 8 + 178 = 226
    expect(pk.map((p) => encodeFrame(p.layers).length - 14)).toEqual([1570, 1280, 1400, 226]);
    expect(pk[0]!.comment).toMatch(/1570-byte outer packet/);
    const ptb = decodeFrame(encodeFrame(pk[1]!.layers));
    expect(ptb.error).toBeUndefined();
    expect(ptb.layers.map((l) => l.layer).slice(0, 5)).toEqual(['ether', 'ipv6', 'icmpv6', 'ipv6', 'udp']);
    expect(ptb.layers[2]).toMatchObject({ type: 2, code: 0, mtu: 1400 });
    expect(ptb.layers[3]).toMatchObject({ src: '2001:db8::1', dst: '2001:db8:2::2', plen: 1530 });
    expect(pk[3]!.comment).toMatch(/reassembles it/);
    expect(() => parseMtuScenario({ underlayMtu: 1279, cases: ['ipv6'] })).toThrow(/below the IPv6 minimum MTU of 1280/);
    expect(() => parseMtuScenario({ vtep1v6: '2001:db8::g' })).toThrow(/vtep1v6: "2001:db8::g" is not an IPv6 address/);
  });
});

describe.skipIf(!toolsAvailable('tshark'))('tshark: the IPv6-underlay case reassembles', () => {
  it('ipv6.reassembled.in, VXLAN inside, no errors', async () => {
    const file = await writeTempCapture('mtu6.pcapng', mtuScenarioPackets({ underlayMtu: 1400, cases: ['ipv6'] }));
    const rows = fields(file, undefined, 'ipv6.reassembled.in', 'frame.protocols', 'vxlan.vni', 'udp.checksum.status');
    expect(rows[2]![0]).toBe('4');
    expect(rows[3]![1]).toMatch(/ipv6:ipv6\.fraghdr:udp:vxlan:eth:ethertype:ip:udp:data/);
    expect(rows[3]![2]).toBe('5001');
    expect(rows[3]![3]).toBe('1,1'); // outer and inner UDP checksums both Good
    const [ptb] = fields(file, 'icmpv6', 'frame.number', 'icmpv6.type', 'icmpv6.mtu', 'icmpv6.checksum.status', 'ipv6.src');
    expect(ptb).toEqual(['2', '2', '1400', '1', '2001:db8::fe,2001:db8::1']);
    expect(fields(file, '_ws.malformed || _ws.expert.severity >= error', 'frame.number')).toEqual([]);
  });
});

describe.skipIf(!toolsAvailable('tshark'))('tshark reads the scenario as a story', () => {
  const packets = mtuScenarioPackets();
  let file = '';
  beforeAll(async () => {
    file = await writeTempCapture('mtu.pcapng', packets);
  });

  it('every frame carries its comment', () => {
    const rows = fields(file, undefined, 'frame.comment');
    expect(rows.map((r) => r[0])).toEqual(packets.map((p) => p.comment));
  });

  it('the ICMP Fragmentation Needed dissects with its MTU and the quoted header', () => {
    const [row] = fields(file, 'icmp', 'frame.number', 'icmp.type', 'icmp.code', 'icmp.mtu', 'ip.src', 'ip.dst', 'udp.dstport');
    expect(row!.slice(0, 4)).toEqual(['2', '3', '4', '1500']);
    // outer ICMP packet, then the quoted original header: router → VTEP 1, then VTEP 1 → VTEP 2
    expect(row![4]).toBe('192.0.2.254,192.0.2.1');
    expect(row![5]).toBe('192.0.2.1,198.51.100.2');
    expect(row![6]).toBe('4789');
  });

  it('the DF-clear fragments reassemble and the inner frame is dissected from them', () => {
    const rows = fields(file, 'ip.flags.mf == 1 || ip.frag_offset > 0', 'frame.number', 'ip.reassembled_in', 'ip.frag_offset');
    expect(rows.map((r) => r[0])).toEqual(['5', '6']);
    expect(rows[0]![1]).toBe('6');
    const [last] = fields(file, 'frame.number == 6', 'frame.protocols', 'vxlan.vni', 'ip.dst', 'ip.len');
    expect(last![0]).toMatch(/vxlan:eth:ethertype:ip:udp:data/);
    expect(last![1]).toBe('5001');
    expect(last![2]).toBe('198.51.100.2,10.0.0.2');
  });

  it('DF is set on the stories that rely on it, and nothing is malformed or has a bad checksum', () => {
    const df = fields(file, undefined, 'ip.flags.df').map((r) => r[0]!.split(',')[0]);
    // outer DF per frame: big packet 1, ICMP 0, retry 1, DF-clear packet and its fragments 0, jumbo 1
    expect(df).toEqual(['1', '0', '1', '0', '0', '0', '1']);
    expect(fields(file, '_ws.malformed || _ws.expert.severity >= error', 'frame.number')).toEqual([]);
    expect(tshark(file, '-q', '-z', 'io,phs')).toMatch(/vxlan/);
  });
});
