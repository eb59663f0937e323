/**
 * VTEPs inside the netsim engine: the hypervisor story (VMs on access ports of a host's switch,
 * the switch's VTEP-bound port mapping VLANs to VNIs), tenant isolation with identical
 * addresses, ports and per-port files, drops reported with their sizes, aging in simulated
 * time, and bad scenarios naming the place. Expected values are derived by hand from the rules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { DIR_IN, DIR_OUT, NetsimError, parseScenario } from '../../src/netsim/index.js';
import { BCAST, run } from './helpers.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, 'fixtures', 'netsim', name), 'utf8'));
const vtep = (i: number, vnis: unknown[], extra: object = {}) => ({ name: `vtep${i}`, ip: `192.168.100.${i}`, mac: `02:00:c0:a8:64:0${i}`, vnis, ...extra });
const G42 = [{ vni: 42, group: '239.1.1.1' }];
const M1 = '02aa00000001';
const M2 = '02aa00000002';
const inner = (dst: string, src: string, n = 46) => dst + src + '0800' + '00'.repeat(n);

describe('hypervisors: VLAN ↔ VNI on a switch port bound to a VTEP', () => {
  const r = run(fixture('vxlan-hypervisors.json'));

  it('each tenant reaches only its own VMs on the other host, although both use the same MAC and IP addresses', () => {
    expect(r.records.map((e) => [e.port, e.delivered])).toEqual([
      ['hv1/red', ['hv2/red']],
      ['hv1/blue', ['hv2/blue']],
      ['hv2/red', ['hv1/red']],
      ['hv2/blue', ['hv1/blue']],
      ['hv1/red', ['hv2/red']],
      ['hv2/red', ['hv1/red']],
    ]);
    // The same ARP request bytes went into VNI 42 (red, VLAN 10) and VNI 43 (blue, VLAN 20).
    expect(r.out('hv2/red')[0]).toBe(r.out('hv2/blue')[0]);
    const underlay = r.log.filter((c) => c.port === 'vtep1/underlay' && c.dir === 'out').map((c) => c.hex.slice(84, 100));
    expect(underlay.slice(0, 2)).toEqual(['08000000' + '00002a00', '08000000' + '00002b00']);
  });

  it('the tag comes off before encapsulation and goes back on after decapsulation', () => {
    const sent = r.log.find((c) => c.port === 'hv1/red' && c.dir === 'in')!.hex;
    const toVtep = r.log.find((c) => c.port === 'hv1/vx' && c.dir === 'out')!.hex;
    expect(toVtep).toBe(sent.slice(0, 24) + '8100' + '000a' + sent.slice(24)); // VLAN 10, PCP 0
    const vni = r.log.find((c) => c.port === 'vtep1/vni-42' && c.dir === 'in')!.hex;
    expect(vni).toBe(sent); // the VNI's local side shows the untagged inner frame
    const onWire = r.log.find((c) => c.port === 'vtep1/underlay' && c.dir === 'out')!.hex;
    expect(onWire.slice(100)).toBe(sent);
    expect(r.log.find((c) => c.port === 'hv2/vx' && c.dir === 'in')!.hex).toBe(toVtep);
    expect(r.out('hv2/red')[0]).toBe(sent);
  });

  it('per-VNI tables hold the same MAC twice; each switch learnt the remote VM on its VTEP port', () => {
    expect(r.tables.vtepFdb).toEqual([
      { vtep: 'vtep1', vni: 42, mac: '02:00:00:00:00:02', remote: '192.168.100.2' },
      { vtep: 'vtep1', vni: 43, mac: '02:00:00:00:00:02', remote: '192.168.100.2' },
      { vtep: 'vtep2', vni: 42, mac: '02:00:00:00:00:01', remote: '192.168.100.1' },
      { vtep: 'vtep2', vni: 43, mac: '02:00:00:00:00:01', remote: '192.168.100.1' },
    ]);
    expect(r.tables.fdb).toContainEqual({ switch: 'hv2', port: 'vx', vlan: 20, mac: '02:00:00:00:00:01' });
  });

  it('comments say where floods went, what was learnt and how VLANs and VNIs map', () => {
    const comments = r.log.filter((c) => c.port.startsWith('vtep')).map((c) => c.comment).filter(Boolean);
    expect(comments.slice(0, 4)).toEqual([
      'VLAN 10 from hv1/vx into VNI 42, tag removed',
      'flood VNI 42 (broadcast) to group 239.1.1.1',
      'vtep2 learnt VNI 42 02:00:00:00:00:01 behind 192.168.100.1',
      'to hv2/vx tagged VLAN 10',
    ]);
  });
});

describe('VTEP ports', () => {
  it('vtep/underlay (both ways, vtep-underlay file) and vtep/vni-N (deliveries, vtep-decap file)', () => {
    const { network } = parseScenario({ vteps: [vtep(1, [{ vni: 42, group: '239.1.1.1' }, { vni: 43, group: '239.1.1.2' }])] });
    const ports = network.sim.ports.filter((p) => p.capture).map((p) => [p.interfaceName, p.portFile, p.portFileDirections]);
    expect(ports).toEqual([
      ['vtep1/underlay', 'vtep1-underlay', DIR_IN | DIR_OUT],
      ['vtep1/vni-42', 'vtep1-decap', DIR_OUT],
      ['vtep1/vni-43', 'vtep1-decap', DIR_OUT],
    ]);
  });

  it('an MTU drop is reported with the sizes, on the inner frame that was dropped', () => {
    const r = run({ vteps: [vtep(1, G42), vtep(2, G42)], events: [{ vtep: 'vtep1', vni: 42, hex: inner(BCAST, M1, 1500) }] });
    const why = 'dropped by vtep1: the 1514-byte inner frame makes a 1550-byte outer IPv4 packet (1514 + 36 bytes of IPv4, UDP and VXLAN headers), over the underlay MTU 1500; VTEPs do not fragment (RFC 7348 §4.3)';
    expect(r.records[0]).toEqual({ index: 0, port: 'vtep1/vni-42', delivered: [], dropped: why });
    expect(r.log).toEqual([{ port: 'vtep1/vni-42', dir: 'in', hex: inner(BCAST, M1, 1500), comment: why }]);
  });

  it('entries age out in simulated time: after agingTime the destination is flooded again', () => {
    const r = run({
      vteps: [vtep(1, G42, { agingTime: 10 }), vtep(2, G42, { agingTime: 10 })],
      events: [
        { time: '1', vtep: 'vtep1', vni: 42, hex: inner(BCAST, M1) },
        { time: '10.999', vtep: 'vtep2', vni: 42, hex: inner(M1, M2) },
        { time: '11', vtep: 'vtep2', vni: 42, hex: inner(M1, M2) },
      ],
    });
    const sent = r.log.filter((c) => c.port === 'vtep2/underlay' && c.dir === 'out').map((c) => c.hex.slice(0, 12));
    expect(sent).toEqual(['0200c0a86401', '01005e010101']);
    expect(r.tables.vtepFdb).toEqual([{ vtep: 'vtep1', vni: 42, mac: '02:aa:00:00:00:02', remote: '192.168.100.2' }]);
  });
});

describe('bad VTEP scenarios name the place', () => {
  const error = (doc: object) => {
    try {
      parseScenario(doc);
    } catch (e) {
      if (e instanceof NetsimError) return e.message;
      throw e;
    }
    return 'no error';
  };
  it.each([
    [{ vteps: [vtep(1, [{ vni: 42, group: '10.0.0.1' }])] }, 'vteps[0]: vtep vtep1: VNI 42: group 10.0.0.1 is not a multicast address (224.0.0.0/4)'],
    [{ vteps: [vtep(1, [{ vni: 42, group: '239.1.1' }])] }, 'vteps[0].vnis[0].group: "239.1.1" is not an IPv4 address like "192.168.100.1"'],
    [{ vteps: [vtep(1, [{ vni: 1 << 24 }])] }, 'vteps[0].vnis[0].vni: VNI 16777216 is outside 0..16777215'],
    [{ vteps: [vtep(1, G42), { ...vtep(2, G42), ip: '192.168.100.1' }] }, "vteps[1]: vtep vtep2: underlay address 192.168.100.1 is already vtep vtep1's"],
    [{ vteps: [vtep(1, G42), vtep(1, G42)] }, "vteps[1]: device name 'vtep1' is used twice"],
    [{ vteps: [vtep(1, G42)], events: [{ vtep: 'vtep9', vni: 42, hex: inner(BCAST, M1) }] }, 'events[0].vtep: no VTEP named "vtep9"'],
    [{ vteps: [vtep(1, G42)], events: [{ vtep: 'vtep1', vni: 43, hex: inner(BCAST, M1) }] }, 'events[0].vni: vtep "vtep1" has no VNI 43'],
    [{ vteps: [vtep(1, G42)], events: [{ vni: 42, hex: inner(BCAST, M1) }] }, 'events[0].vni: goes with "vtep" (the VTEP whose VNI the frame enters)'],
    [
      { switches: [{ name: 'hv1', ports: [{ name: 'vx', vtep: 'vtep1', map: { '10': 43 } }] }], vteps: [vtep(1, G42)] },
      'switches[0].ports[0].vtep: VLAN 10 maps to VNI 43, which vtep "vtep1" does not have (it has 42)',
    ],
    [{ switches: [{ name: 'hv1', ports: [{ name: 'vx', vtep: 'nope', map: { '10': 42 } }] }], vteps: [vtep(1, G42)] }, 'switches[0].ports[0].vtep: no VTEP named "nope"'],
  ])('%#: %s', (doc, message) => {
    expect(error(doc)).toBe(message);
  });
});
