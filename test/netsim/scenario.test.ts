/** Bad scenarios raise a NetsimError naming the place; good ones parse into ports, links and events. */
import { describe, expect, it } from 'vitest';
import { NetsimError, parseScenario } from '../../src/netsim/index.js';
import { BCAST, frame, mac } from './helpers.js';

const sw = (ports: object[], name = 'br0') => ({ name, ports });
const ev = (port: string, extra: object = {}) => ({ port, hex: frame(BCAST, mac(1)), ...extra });

function error(doc: unknown): string {
  try {
    parseScenario(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(NetsimError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('bad scenarios name the place', () => {
  it.each([
    [{ switches: [sw([{ name: 'p1', vlan: 5000 }])] }, 'switches[0].ports[0].vlan: VLAN 5000 is outside 1..4094'],
    [{ switches: [sw([{ name: 'p1', vlan: 0 }])] }, 'switches[0].ports[0].vlan: VLAN 0 is outside 1..4094'],
    [{ switches: [sw([{ name: 'p1', trunks: [10, 4095] }])] }, 'switches[0].ports[0].trunks[1]: VLAN 4095 is outside 0..4094'],
    [{ switches: [sw([{ name: 'p1', vlan: 10 }])], events: [ev('br0/p9')] }, 'events[0].port: unknown port "br0/p9"'],
    [{ switches: [sw([{ name: 'p1', vlan: 10 }])], links: [['br0/p1', 'br1/p1']] }, 'links[0][1]: unknown port "br1/p1"'],
    [
      { switches: [sw([{ name: 'a' }, { name: 'b' }]), sw([{ name: 'a' }], 'br1')], links: [['br0/a', 'br1/a'], ['br0/b', 'br1/a']] },
      'links[1][1]: port "br1/a" is already in a link (to "br0/a"): a port joins one link',
    ],
    [{ switches: [sw([{ name: 'p1' }]), sw([{ name: 'p2' }])] }, 'switches[1]: device name \'br0\' is used twice'],
    [{ switches: [sw([{ name: 'p1' }, { name: 'p1' }])] }, "switches[0].ports[1]: port 'br0/p1' is declared twice"],
    [{ switches: [sw([{ name: 'p1' }])], events: [{ port: 'br0/p1', hex: '0011' }] }, 'events[0].hex: 2 bytes is not an Ethernet frame (the header alone is 14)'],
    [{ switches: [sw([{ name: 'p1' }])], events: [{ port: 'br0/p1', hex: 'xyz' }] }, 'events[0].hex: is not an even number of hex digits'],
    [{ switches: [sw([{ name: 'p1' }])], events: [{ port: 'br0/p1', hex: BCAST + mac(1) + '0040' + '00'.repeat(64) }] }, 'events[0].hex: EtherType 0x0040 is an 802.3 length: not an Ethernet II frame'],
    [{ switches: [sw([{ name: 'p1' }])], events: [{ port: 'br0/p1', hex: BCAST + mac(1) + '8100' + '00' }] }, 'events[0].hex: the VLAN tag after TPID 0x8100 is cut short (15 bytes)'],
    [{ switches: [sw([{ name: 'p1' }])], events: [{ port: 'br0/p1', layers: [{ layer: 'dot1q', vid: 5000 }] }] }, 'events[0].layers: layer 0 (dot1q): vid 5000 is out of range 0..4095'],
    [{ switches: [sw([{ name: 'p1', vlan: 10, trunks: [20] }])] }, 'switches[0].ports[0]: a port with both "vlan" and "trunks" needs "mode": "native-untagged" or "native-tagged"'],
    [{ switches: [sw([{ name: 'p1', mode: 'hybrid', vlan: 1 }])] }, 'switches[0].ports[0].mode: "hybrid" is not a VLAN mode (access, trunk, native-tagged, native-untagged, dot1q-tunnel)'],
    [{ switches: [sw([{ name: 'p1', mode: 'dot1q-tunnel', vlan: 100, tpid: '0x9100' }])] }, 'switches[0].ports[0].tpid: "0x9100" is not "0x88a8" (802.1ad) or "0x8100" (802.1Q)'],
    [{ switches: [sw([{ name: 'p1', vlan: 10, police: [{ vlan: 20, rate: 1000, burst: 100 }] }])] }, 'switches[0].ports[0].police[0].vlan: port "p1" does not carry VLAN 20'],
    [{ switches: [sw([{ name: 'p1', vlan: 10, vlans: 3 }])] }, 'switches[0].ports[0]: unknown key "vlans" (valid: name, mode, vlan, trunks, cvlans, tpid, classify, police, vtep, map)'],
    [{ switches: [sw([{ name: 'p1' }])], events: [ev('br0/p1', { time: '1' }), ev('br0/p1', { time: '0.5' })] }, 'events[1].time: "0.5" is before the previous event\'s time (events come in time order)'],
    [{ switches: [sw([{ name: 'vx', vtep: 'vtep9', map: { '10': 42 } }])] }, 'switches[0].ports[0].vtep: no VTEP named "vtep9"'],
    [{ links: [] }, 'scenario: describes no devices (give "switches")'],
  ])('%#: %s', (doc, message) => {
    expect(error(doc)).toBe(message);
  });
});

describe('good scenarios', () => {
  it('parse events with times (missing ones 1 ms after the previous) and layer-format frames', () => {
    const { network, events } = parseScenario({
      switches: [sw([{ name: 'p1', vlan: 10 }, { name: 'p2', vlan: 10 }])],
      events: [
        { time: '0.3', port: 'br0/p1', hex: frame(BCAST, mac(1)) },
        { port: 'br0/p2', layers: [{ layer: 'ether', dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:02' }, { layer: 'arp', psrc: '10.0.0.2', pdst: '10.0.0.1', hwsrc: '02:00:00:00:00:02' }] },
      ],
    });
    expect(network.sim.ports.map((p) => p.name)).toEqual(['br0/p1', 'br0/p2']);
    expect(events.map((e) => [e.index, e.time, e.port.name, e.frame.length])).toEqual([
      [0, 300_000_000, 'br0/p1', 60],
      [1, 301_000_000, 'br0/p2', 42],
    ]);
  });
});
