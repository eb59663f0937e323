/**
 * Each rule of the switch (OVS's documented VLAN semantics, learning, flooding, classification,
 * policing), with the expected bytes derived by hand: tags are 4 bytes inserted after the MACs
 * (TPID, then PCP<<13 | DEI<<12 | VID), popped tags are removed with no padding added.
 */
import { describe, expect, it } from 'vitest';
import { BCAST, frame, mac, run } from './helpers.js';

const A = mac(1), B = mac(2), C = mac(3);

/** br0: p1, p2 access VLAN 10; p3 access VLAN 20; p4 trunk 10, 20. */
const basic = (events: object[], extra: object = {}) => ({
  switches: [{ name: 'br0', ports: [{ name: 'p1', vlan: 10 }, { name: 'p2', vlan: 10 }, { name: 'p3', vlan: 20 }, { name: 'p4', trunks: [10, 20] }], ...extra }],
  events,
});

describe('access ports', () => {
  it('a broadcast floods its VLAN: untagged to access ports, tagged 0x8100 VID 10 on the trunk; not to VLAN 20', () => {
    const f = frame(BCAST, A);
    const r = run(basic([{ port: 'br0/p1', hex: f }]));
    expect(r.out('br0/p2')).toEqual([f]);
    expect(r.out('br0/p3')).toEqual([]);
    expect(r.out('br0/p4')).toEqual([frame(BCAST, A, { tags: ['8100:000a'] })]);
    expect(r.records[0]).toEqual({ index: 0, port: 'br0/p1', delivered: ['br0/p2', 'br0/p4'] });
    const inbound = r.log.find((c) => c.dir === 'in')!;
    expect(inbound.comment).toBe('flooded: broadcast in VLAN 10 to p2, p4');
    expect(r.log.filter((c) => c.dir === 'out').every((c) => c.comment === 'flooded: broadcast in VLAN 10')).toBe(true);
  });

  it('drops a frame tagged with a non-zero VID, even its own VLAN, and learns nothing from it', () => {
    for (const vid of ['000a', '0014']) {
      const r = run(basic([{ port: 'br0/p1', hex: frame(BCAST, A, { tags: ['8100:' + vid] }) }]));
      expect(r.log.filter((c) => c.dir === 'out')).toEqual([]);
      expect(r.records[0]!.dropped).toBe(`VLAN ${parseInt(vid, 16)} tagged frame on access port br0/p1 (VLAN 10)`);
      expect(r.tables.fdb).toEqual([]);
    }
  });

  it('takes a priority-tagged frame (VID 0) into its VLAN, keeping the PCP on a trunk; the access copy is 4 bytes shorter, not padded', () => {
    const f = frame(BCAST, A, { tags: ['8100:a000'], payload: 10 }); // PCP 5, VID 0; 28 bytes
    const r = run(basic([{ port: 'br0/p1', hex: f }]));
    expect(r.out('br0/p2')).toEqual([frame(BCAST, A, { payload: 10 })]);
    expect(r.out('br0/p2')[0]!.length / 2).toBe(24);
    expect(r.out('br0/p4')).toEqual([frame(BCAST, A, { tags: ['8100:a00a'], payload: 10 })]);
  });
});

describe('trunk ports', () => {
  it('pop the tag on access ports; pass it to other trunks as it came (DEI too) until a copy changed it (OVS re-pushes with DEI 0)', () => {
    const f = frame(BCAST, A, { tags: ['8100:f00a'] }); // PCP 7, DEI 1, VID 10
    let r = run(basic([{ port: 'br0/p4', hex: f }]));
    expect(r.out('br0/p1')).toEqual([frame(BCAST, A)]);
    expect(r.out('br0/p2')).toEqual([frame(BCAST, A)]);
    expect(r.out('br0/p3')).toEqual([]);
    const trunks = (ports: object[]) => ({ switches: [{ name: 'br0', ports }], events: [{ port: 'br0/t1', hex: f }] });
    r = run(trunks([{ name: 't1' }, { name: 't2' }, { name: 'a', vlan: 10 }]));
    expect(r.out('br0/t2')).toEqual([f]); // before the access copy: untouched
    r = run(trunks([{ name: 't1' }, { name: 'a', vlan: 10 }, { name: 't2' }]));
    expect(r.out('br0/t2')).toEqual([frame(BCAST, A, { tags: ['8100:e00a'] })]); // after it: popped and pushed again
  });

  it('drop a VLAN they do not trunk, and untagged frames unless VLAN 0 is listed', () => {
    let r = run(basic([{ port: 'br0/p4', hex: frame(BCAST, A, { tags: ['8100:001e'] }) }]));
    expect(r.records[0]!.dropped).toBe('VLAN 30 not trunked by trunk port br0/p4');
    r = run(basic([{ port: 'br0/p4', hex: frame(BCAST, A) }]));
    expect(r.records[0]!.dropped).toBe('untagged frame on trunk port br0/p4, which does not trunk VLAN 0');
    expect(r.tables.fdb).toEqual([]);
    const doc = { switches: [{ name: 'br0', ports: [{ name: 't1', trunks: [0, 10] }, { name: 't2', trunks: [0] }] }], events: [{ port: 'br0/t1', hex: frame(BCAST, A) }] };
    expect(run(doc).out('br0/t2')).toEqual([frame(BCAST, A)]);
  });

  it('without "trunks" carry every VLAN (OVS default), with the tag TPID they received (0x88a8 kept)', () => {
    const doc = { switches: [{ name: 'br0', ports: [{ name: 't1' }, { name: 't2' }] }], events: [{ port: 'br0/t1', hex: frame(BCAST, A, { tags: ['88a8:0fa0'] }) }] };
    expect(run(doc).out('br0/t2')).toEqual([frame(BCAST, A, { tags: ['88a8:0fa0'] })]);
  });
});

describe('native VLAN ports', () => {
  const doc = (events: object[]) => ({
    switches: [{ name: 'br0', ports: [
      { name: 'nu', mode: 'native-untagged', vlan: 30, trunks: [10] },
      { name: 'nt', mode: 'native-tagged', vlan: 30, trunks: [10] },
      { name: 'a30', vlan: 30 },
      { name: 'a10', vlan: 10 },
    ] }],
    events,
  });

  it('put untagged arrivals in the native VLAN (always trunked): untagged out of native-untagged, tagged out of native-tagged', () => {
    const f = frame(BCAST, A);
    const r = run(doc([{ port: 'br0/nu', hex: f }]));
    expect(r.out('br0/nt')).toEqual([frame(BCAST, A, { tags: ['8100:001e'] })]);
    expect(r.out('br0/a30')).toEqual([f]);
    expect(r.out('br0/a10')).toEqual([]);
  });

  it('send other VLANs tagged; the native VLAN tagged on arrival is taken too', () => {
    let r = run(doc([{ port: 'br0/a10', hex: frame(BCAST, A) }]));
    expect(r.out('br0/nu')).toEqual([frame(BCAST, A, { tags: ['8100:000a'] })]);
    expect(r.out('br0/nt')).toEqual([frame(BCAST, A, { tags: ['8100:000a'] })]);
    r = run(doc([{ port: 'br0/nt', hex: frame(BCAST, B, { tags: ['8100:001e'] }) }]));
    expect(r.out('br0/nu')).toEqual([frame(BCAST, B)]);
    expect(r.out('br0/a30')).toEqual([frame(BCAST, B)]);
  });
});

describe('native VLAN ports without "trunks"', () => {
  it('trunk every VLAN but 0 (OVS forces the native VLAN in and VLAN 0 out)', () => {
    const doc = (hex: string) => ({ switches: [{ name: 'br0', ports: [{ name: 't', trunks: [0, 77] }, { name: 'n', mode: 'native-untagged', vlan: 5 }] }], events: [{ port: 'br0/t', hex }] });
    expect(run(doc(frame(BCAST, A, { tags: ['8100:004d'] }))).out('br0/n')).toEqual([frame(BCAST, A, { tags: ['8100:004d'] })]);
    expect(run(doc(frame(BCAST, A))).out('br0/n')).toEqual([]); // VLAN 0: not on a native port
  });
});

describe('vlanLimit 2 (OVS other_config:vlan-limit)', () => {
  const doc = (vlanLimit: number) => ({
    switches: [{ name: 'br0', vlanLimit, ports: [{ name: 't', trunks: [100] }, { name: 'a', vlan: 100 }, { name: 'q', mode: 'dot1q-tunnel', vlan: 100, cvlans: [10] }] }],
    events: [{ port: 'br0/t', hex: frame(BCAST, A, { tags: ['88a8:0064', '8100:000a'] }) }],
  });
  it('with 1, the customer tag under an S-tag is payload: the access port gets it with the S-tag popped, cvlans see VLAN 0', () => {
    const r = run(doc(1));
    expect(r.out('br0/a')).toEqual([frame(BCAST, A, { tags: ['8100:000a'] })]);
    expect(r.out('br0/q')).toEqual([]);
  });
  it('with 2, it is the customer VLAN: kept off access ports, admitted by cvlans [10]', () => {
    const r = run(doc(2));
    expect(r.out('br0/a')).toEqual([]);
    expect(r.out('br0/q')).toEqual([frame(BCAST, A, { tags: ['8100:000a'] })]);
  });
});

describe('dot1q-tunnel (QinQ provider edge)', () => {
  const doc = (events: object[], tunnel: object = {}) => ({
    switches: [{ name: 'pe', ports: [{ name: 'c1', mode: 'dot1q-tunnel', vlan: 100, ...tunnel }, { name: 'up', trunks: [100] }, { name: 'c2', mode: 'dot1q-tunnel', vlan: 100 }] }],
    events,
  });

  it('pushes the S-tag (0x88a8, PCP 0) in front of the customer tag on trunks and pops it on the other tunnel port', () => {
    const f = frame(BCAST, A, { tags: ['8100:600a'] }); // customer VLAN 10, PCP 3
    const r = run(doc([{ port: 'pe/c1', hex: f }]));
    expect(r.out('pe/up')).toEqual([frame(BCAST, A, { tags: ['88a8:0064', '8100:600a'] })]);
    expect(r.out('pe/c2')).toEqual([f]);
  });

  it('uses TPID 0x8100 for the S-tag when the port says so, and pops an S-tag arriving on the trunk', () => {
    const f = frame(BCAST, A);
    let r = run(doc([{ port: 'pe/c1', hex: f }], { tpid: '0x8100' }));
    expect(r.out('pe/up')).toEqual([frame(BCAST, A, { tags: ['8100:0064'] })]);
    r = run(doc([{ port: 'pe/up', hex: frame(BCAST, B, { tags: ['88a8:0064', '8100:0014'] }) }]));
    expect(r.out('pe/c1')).toEqual([frame(BCAST, B, { tags: ['8100:0014'] })]);
  });

  it('admits only its cvlans when given', () => {
    const r = run(doc([{ port: 'pe/c1', hex: frame(BCAST, A, { tags: ['8100:0014'] }) }], { cvlans: [10] }));
    expect(r.records[0]!.dropped).toBe('customer VLAN 20 not in the cvlans of dot1q-tunnel port pe/c1');
  });
});

describe('learning, forwarding, aging', () => {
  it('forwards to the learnt port only, per VLAN, and floods unknown unicast', () => {
    const r = run(basic([
      { port: 'br0/p1', hex: frame(B, A) }, // B unknown: flood in VLAN 10
      { port: 'br0/p2', hex: frame(A, B) }, // A learnt on p1
      { port: 'br0/p3', hex: frame(A, C) }, // VLAN 20: A unknown there, flood
    ]));
    expect(r.records.map((e) => e.delivered)).toEqual([['br0/p2', 'br0/p4'], ['br0/p1'], ['br0/p4']]);
    expect(r.tables.fdb).toEqual([
      { switch: 'br0', port: 'p1', vlan: 10, mac: '02:00:00:00:00:01' },
      { switch: 'br0', port: 'p2', vlan: 10, mac: '02:00:00:00:00:02' },
      { switch: 'br0', port: 'p3', vlan: 20, mac: '02:00:00:00:00:03' },
    ]);
  });

  it('forgets a MAC after agingTime (expired when now ≥ learnt + agingTime) and moves it when seen elsewhere', () => {
    const ev = (time: string, port: string, dst: string, src: string) => ({ time, port, hex: frame(dst, src) });
    const r = run(basic([ev('0', 'br0/p1', BCAST, A), ev('9.999999999', 'br0/p2', A, B), ev('10', 'br0/p2', A, B), { time: '11', port: 'br0/p4', hex: frame(B, A, { tags: ['8100:000a'] }) }], { agingTime: 10 }));
    expect(r.records[1]!.delivered).toEqual(['br0/p1']);
    expect(r.records[2]!.delivered).toEqual(['br0/p1', 'br0/p4']); // A expired at 10 s: flooded
    expect(r.records[3]!.delivered).toEqual(['br0/p2']);
    expect(r.tables.fdb.filter((e: any) => e.mac === '02:00:00:00:00:01')).toEqual([{ switch: 'br0', port: 'p4', vlan: 10, mac: '02:00:00:00:00:01' }]);
  });

  it('drops a frame for a MAC learnt on its input port; never learns a multicast source; drops reserved multicast', () => {
    let r = run(basic([{ port: 'br0/p1', hex: frame(BCAST, A) }, { port: 'br0/p1', hex: frame(A, B) }]));
    expect(r.records[1]).toEqual({ index: 1, port: 'br0/p1', delivered: [], dropped: 'destination 02:00:00:00:00:01 was learnt on the input port br0/p1 (VLAN 10)' });
    r = run(basic([{ port: 'br0/p1', hex: frame(BCAST, '0300000000aa') }]));
    expect(r.tables.fdb).toEqual([]);
    r = run(basic([{ port: 'br0/p1', hex: frame('0180c2000000', A, { type: 0x0026 + 0x600 }) }]));
    expect(r.records[0]!.dropped).toMatch(/^reserved multicast destination 01:80:c2:00:00:00/);
    expect(r.tables.fdb).toEqual([]);
  });
});

describe('a full MAC table', () => {
  it('a MAC flood from one port evicts that port\'s own entries (OVS\'s fair eviction): the other hosts stay learnt', () => {
    const flood = Array.from({ length: 6 }, (_, i) => ({ port: 'br0/p3', hex: frame(BCAST, mac(0x80 + i)) }));
    const doc = {
      switches: [{ name: 'br0', macTableSize: 4, ports: [{ name: 'p1', vlan: 1 }, { name: 'p2', vlan: 1 }, { name: 'p3', vlan: 1 }] }],
      events: [{ port: 'br0/p1', hex: frame(BCAST, A) }, ...flood, { port: 'br0/p2', hex: frame(A, B) }],
    };
    const r = run(doc);
    // After A (p1), p3 fills the table with 3 MACs, then each new one evicts p3's oldest.
    expect(r.tables.fdb.map((e: any) => `${e.port} ${e.mac}`)).toEqual([
      'p1 02:00:00:00:00:01',
      'p2 02:00:00:00:00:02', // B's own learning evicted p3's oldest too
      'p3 02:00:00:00:00:84',
      'p3 02:00:00:00:00:85',
    ]);
    expect(r.records.at(-1)!.delivered).toEqual(['br0/p1']); // A is still known: no flood
  });
});

describe('several switches', () => {
  it('carry VLANs over a trunk link: what leaves one port enters the other', () => {
    const doc = {
      switches: [
        { name: 's1', ports: [{ name: 'h', vlan: 10 }, { name: 'up', trunks: [10] }] },
        { name: 's2', ports: [{ name: 'up', trunks: [10] }, { name: 'h', vlan: 10 }, { name: 'x', vlan: 20 }] },
      ],
      links: [['s1/up', 's2/up']],
      events: [{ port: 's1/h', hex: frame(BCAST, A) }, { port: 's2/h', hex: frame(A, B) }],
    };
    const r = run(doc);
    expect(r.records[0]!.delivered).toEqual(['s2/h']);
    expect(r.records[1]!.delivered).toEqual(['s1/h']);
    expect(r.log.filter((c) => c.port === 's2/up').map((c) => c.dir)).toEqual(['in', 'out']);
    expect(r.log.find((c) => c.port === 's2/up' && c.dir === 'in')!.hex).toBe(frame(BCAST, A, { tags: ['8100:000a'] }));
  });

  it('a loop without a spanning tree storms until maxFrames, and says so', () => {
    const sw = (n: string) => ({ name: n, ports: [{ name: 'h' }, { name: 'a' }, { name: 'b' }] });
    const doc = {
      switches: [sw('s1'), sw('s2'), sw('s3')],
      links: [['s1/a', 's2/b'], ['s2/a', 's3/b'], ['s3/a', 's1/b']],
      events: [{ port: 's1/h', hex: frame(BCAST, A, { tags: ['8100:000a'] }) }, { port: 's2/h', hex: frame(BCAST, B) }],
      maxFrames: 500,
    };
    const r = run(doc);
    expect(r.network.sim.framesSent).toBe(500);
    expect(r.network.sim.stopped).toMatch(/^stopped at maxFrames 500/);
    expect(r.records[0]!.dropped).toMatch(/^stopped at maxFrames 500/);
    expect(r.records[1]).toEqual({ index: 1, port: 's2/h', delivered: [], dropped: r.network.sim.stopped });
    expect(r.log.filter((c) => c.dir === 'out').length).toBe(500);
  });

  it('a link delay delivers later, in time order', () => {
    const doc = {
      switches: [{ name: 's1', ports: [{ name: 'h', vlan: 10 }, { name: 'up', trunks: [10] }] }, { name: 's2', ports: [{ name: 'up', trunks: [10] }, { name: 'h', vlan: 10 }] }],
      links: [{ ports: ['s1/up', 's2/up'], delay: '0.5' }],
      events: [{ time: 0, port: 's1/h', hex: frame(BCAST, A) }, { time: 0.1, port: 's2/h', hex: frame(BCAST, B) }],
    };
    const r = run(doc);
    expect(r.records.map((e) => e.delivered)).toEqual([['s2/h'], ['s1/h']]);
    // s2/h's own frame (t=0.1) goes out before s1's frame arrives at s2 (t=0.5).
    expect(r.log.filter((c) => c.port === 's2/up').map((c) => c.dir)).toEqual(['out', 'in']);
  });
});

describe('VLAN classification on access ports', () => {
  const doc = (events: object[]) => ({
    switches: [{ name: 'br0', ports: [
      { name: 'p1', vlan: 10, classify: { mac: { [`02:00:00:00:00:05`]: 50 }, subnet: { '10.1.0.0/16': 40, '10.1.2.0/24': 41 }, ethertype: { '0x86dd': 60 } } },
      { name: 't', trunks: [10, 40, 41, 50, 60] },
    ] }],
    events,
  });
  const ipv4From = (src: string, ip: number[]) => frame(BCAST, src, { payload: 0 }) + '4500001c000100004011' + '0000' + ip.map((b) => b.toString(16).padStart(2, '0')).join('') + '0a000001' + '0000000000080000';

  it('ranks source MAC, then the longest matching source subnet, then EtherType, then the port VLAN', () => {
    const vidOut = (hex: string) => {
      const r = run(doc([{ port: 'br0/p1', hex }]));
      const out = r.out('br0/t')[0]!;
      return parseInt(out.slice(28, 32), 16) & 0xfff;
    };
    expect(vidOut(ipv4From(mac(5), [10, 1, 2, 3]))).toBe(50); // MAC first
    expect(vidOut(ipv4From(A, [10, 1, 2, 3]))).toBe(41); // /24 beats /16
    expect(vidOut(ipv4From(A, [10, 1, 9, 3]))).toBe(40);
    expect(vidOut(frame(BCAST, A, { type: 0x86dd }))).toBe(60);
    expect(vidOut(frame(BCAST, A, { type: 0x0806 }))).toBe(10);
  });

  it('makes the port a member of the classified VLANs, untagged', () => {
    const r = run(doc([{ port: 'br0/t', hex: frame(BCAST, B, { tags: ['8100:0028'] }) }]));
    expect(r.out('br0/p1')).toEqual([frame(BCAST, B)]);
  });
});

describe('per-VLAN policing', () => {
  it('a token bucket (burst bytes, rate bit/s) per VLAN on egress: the flood of one VLAN does not eat the other\'s', () => {
    const f = (src: string, vid: string) => ({ port: 'br0/in' + vid, hex: frame(BCAST, src, { payload: 82 }) }); // 96 bytes, 100 tagged
    const doc = {
      switches: [{ name: 'br0', ports: [{ name: 'in10', vlan: 10 }, { name: 'in20', vlan: 20 }, { name: 'up', trunks: [10, 20], police: [{ vlan: 10, rate: 8000, burst: 250 }, { vlan: 20, rate: '8k', burst: 250 }] }] }],
      events: [
        { time: 0, ...f(A, '10') }, { time: 0, ...f(A, '10') }, { time: 0, ...f(A, '10') }, // 100 + 100 fit, the third not
        { time: 0, ...f(B, '20') },
        { time: '0.05', ...f(A, '10') }, // 50 ms at 1000 B/s: 50 + 50 left = 100 tokens: passes
      ],
    };
    const r = run(doc);
    expect(r.records.map((e) => e.delivered.length)).toEqual([1, 1, 0, 1, 1]);
    expect(r.records[2]!.dropped).toBe('policed on br0/up: VLAN 10 over 8000 bit/s (burst 250 bytes)');
    expect(r.log.find((c) => c.dir === 'in' && c.comment?.includes('policed'))!.comment).toBe('flooded: broadcast in VLAN 10 to no port; policed on br0/up: VLAN 10 over 8000 bit/s (burst 250 bytes)');
  });
});
