/**
 * The engine on its own, with a device type written here (a hub: every frame out of every other
 * port), the way engine.ts says a new type plugs in: time order, FIFO at one time, link delays,
 * event records reported in order, the per-host-frame storm budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_TYPES, Network, NetsimError, simulateScenario, scenarioValues, type Device, type DeviceType, type Port, type Simulation } from '../../src/netsim/index.js';
import { BCAST, frame, mac, recorder } from './helpers.js';

class Hub implements Device {
  readonly kind = 'hub';
  ports: Port[] = [];
  constructor(readonly name: string) {}
  receive(sim: Simulation, port: Port, bytes: Uint8Array, length: number): void {
    sim.inbound(`hub ${this.name}: repeated`);
    for (const p of this.ports) if (p !== port) sim.send(p, bytes, length);
  }
  tables(_now: number, add: (table: string, row: object) => void): void {
    add('hubs', { hub: this.name, ports: this.ports.length });
  }
}

const hubType: DeviceType = {
  key: 'hubs',
  build(list, ctx) {
    scenarioValues.array(list, 'hubs').forEach((v, i) => {
      const o = scenarioValues.object(v, `hubs[${i}]`);
      const hub = new Hub(scenarioValues.string(o.name, `hubs[${i}].name`));
      ctx.addDevice(hub, `hubs[${i}]`);
      const n = scenarioValues.integer(o.ports, `hubs[${i}].ports`, 1, 64, 'ports');
      for (let k = 0; k < n; k++) hub.ports.push(ctx.addPort(hub, `h${k}`, `hubs[${i}]`));
    });
  },
  eventKeys: ['hub'],
  eventPort(event, where, ctx) {
    return event.hub === undefined ? undefined : ctx.port(`${String(event.hub)}/h0`, `${where}.hub`);
  },
};

describe('a device type plugged into the engine', () => {
  beforeAll(() => void DEVICE_TYPES.push(hubType));
  afterAll(() => void DEVICE_TYPES.splice(DEVICE_TYPES.indexOf(hubType), 1));

  it('builds from its scenario key, takes events naming it, and adds its tables', () => {
    const { sink, log } = recorder();
    const r = simulateScenario(
      {
        hubs: [{ name: 'hub1', ports: 3 }],
        switches: [{ name: 'br0', ports: [{ name: 'up', vlan: 10 }, { name: 'p1', vlan: 10 }] }],
        links: [['hub1/h2', 'br0/up']],
        events: [{ hub: 'hub1', hex: frame(BCAST, mac(1)) }],
      },
      { sink },
    );
    expect(r.records[0]).toEqual({ index: 0, port: 'hub1/h0', delivered: ['hub1/h1', 'br0/p1'] });
    expect(log.map((c) => `${c.port} ${c.dir}`)).toEqual(['hub1/h0 in', 'hub1/h1 out', 'hub1/h2 out', 'br0/up in', 'br0/p1 out']);
    expect(log[0]!.comment).toBe('hub hub1: repeated');
    expect(r.tables.hubs).toEqual([{ hub: 'hub1', ports: 3 }]);
    expect(r.tables.fdb).toEqual([{ switch: 'br0', port: 'up', vlan: 10, mac: '02:00:00:00:00:01' }]);
  });

  it('link delays: frames arrive later, events are still reported in order', () => {
    const order: number[] = [];
    const net = new Network({
      hubs: [{ name: 'a', ports: 2 }, { name: 'b', ports: 2 }],
      links: [{ ports: ['a/h1', 'b/h1'], delay: 1 }],
    });
    const times: [string, number][] = [];
    net.sim.sink = { frame: (p, d, t) => void times.push([`${p.name} ${d === 1 ? 'in' : 'out'}`, t]) };
    net.sim.onEvent = (rec) => order.push(rec.index);
    net.run(net.event({ time: 0, port: 'a/h0', hex: frame(BCAST, mac(1)) }, 'e0'));
    net.run(net.event({ time: 0.5, port: 'b/h0', hex: frame(BCAST, mac(2)) }, 'e1'));
    expect(order).toEqual([]); // event 0 still travels; event 1 (done) waits for it
    net.sim.finish();
    expect(order).toEqual([0, 1]);
    expect(times).toEqual([
      ['a/h0 in', 0], ['a/h1 out', 0],
      ['b/h0 in', 5e8], ['b/h1 out', 5e8],
      ['b/h1 in', 1e9], ['b/h0 out', 1e9],
      ['a/h1 in', 1.5e9], ['a/h0 out', 1.5e9],
    ]);
  });

  it('counts the storm budget per host frame: a long run of ordinary frames is never stopped', () => {
    const doc = { hubs: [{ name: 'a', ports: 3 }], maxFrames: 2, events: Array.from({ length: 50 }, () => ({ port: 'a/h0', hex: frame(BCAST, mac(1)) })) };
    expect(simulateScenario(doc).network.sim.stopped).toBeUndefined();
    const loop = { hubs: [{ name: 'a', ports: 3 }, { name: 'b', ports: 3 }], links: [['a/h1', 'b/h1'], ['a/h2', 'b/h2']], maxFrames: 100, events: [{ hub: 'a', hex: frame(BCAST, mac(1)) }] };
    const r = simulateScenario(loop);
    expect(r.network.sim.framesSent).toBe(100);
    expect(r.records[0]!.dropped).toBe('stopped at maxFrames 100: event 0 alone made 100 frames (a loop without a spanning tree floods forever)');
  });

  it('names the place of a mistake in the new type\'s part of the scenario', () => {
    expect(() => new Network({ hubs: [{ name: 'a', ports: 0 }] })).toThrow(new NetsimError('hubs[0].ports', 'ports 0 is outside 1..64'));
  });
});
