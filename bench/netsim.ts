/**
 * Switch forwarding speed: a 48-port switch (ports 1-44 access in VLANs 10-13, 45-48 trunks of
 * all four) whose MAC table holds 1000 learnt MACs, fed known-unicast 64-byte frames between
 * access ports of one VLAN (each frame: admission, learning refresh, one lookup, one copy out).
 *
 * - netsim-forward-48p-1000mac         frames/s through the whole engine (Network.run per frame:
 *                                      event record, switch, send), no capture
 * - netsim-forward-48p-1000mac-pcapng  the same, every crossing (in and out) written as pcapng
 *                                      records with direction flags into memory chunks
 * - netsim-fdb-lookup-1000mac          the baseline: one MAC table lookup (the hash lookup a
 *                                      forwarding decision is)
 */
import type { BenchCase } from './harness.js';
import { CaptureChunker } from '../src/pcap/index.js';
import { MacTable, Network, type FrameSink, type ScenarioEvent, type Switch } from '../src/netsim/index.js';

const BATCH = 10_000;
const PORTS = 48;
const MACS = 1000;

/** The MAC of host h (locally administered unicast). */
function macOf(h: number): Uint8Array {
  return Uint8Array.of(0x02, 0, 0, 0, (h >> 8) & 0xff, h & 0xff);
}

/** Access port (0-based) of host h: hosts spread over ports 0..43, VLAN 10 + port % 4. */
const portOf = (h: number) => h % 44;

export function benchNetwork(sink?: FrameSink): { network: Network; frames: ScenarioEvent[] } {
  const ports = Array.from({ length: PORTS }, (_, i) => (i < 44 ? { name: `p${i + 1}`, vlan: 10 + (i % 4) } : { name: `p${i + 1}`, trunks: [10, 11, 12, 13] }));
  const network = new Network({ switches: [{ name: 'br0', ports }] }, { sink, maxFrames: 2 ** 40 });
  const sw = network.sim.devices[0] as Switch;
  // 1000 learnt MACs: each host's MAC on its port, in its port's VLAN.
  for (let h = 0; h < MACS; h++) sw.fdb.learn(10 + (portOf(h) % 4), macOf(h), 0, portOf(h), 0);
  // Frames from host h to host h+44*k of the same port VLAN (same port % 4, different port).
  const frames: ScenarioEvent[] = [];
  for (let i = 0; i < 1024; i++) {
    const src = i % MACS;
    let dst = (src + 4 + 44 * (i % 7)) % MACS;
    if (portOf(dst) % 4 !== portOf(src) % 4 || portOf(dst) === portOf(src)) dst = (src + 4) % MACS;
    const f = new Uint8Array(64);
    f.set(macOf(dst), 0);
    f.set(macOf(src), 6);
    f[12] = 0x08;
    frames.push({ index: 0, time: 0, port: network.sim.ports[portOf(src)]!, frame: f });
  }
  return { network, frames };
}

export function cases(): BenchCase[] {
  let net: Network;
  let frames: ScenarioEvent[];
  let index = 0;
  let time = 0;
  const forward = () => {
    for (let i = 0; i < BATCH; i++) {
      const ev = frames[i & 1023]!;
      ev.index = index++;
      ev.time = time;
      time += 100; // 100 ns apart: the table never ages (300 s)
      net.run(ev);
    }
  };
  const table = new MacTable(300e9);
  const keys: Uint8Array[] = [];
  let found = 0;
  return [
    {
      name: 'netsim-forward-48p-1000mac',
      batch: BATCH,
      setup() {
        ({ network: net, frames } = benchNetwork());
        index = 0;
        time = 0;
      },
      fn: forward,
    },
    {
      name: 'netsim-forward-48p-1000mac-pcapng',
      batch: BATCH,
      setup() {
        const chunker = new CaptureChunker({ format: 'pcapng', interfaceName: 'br0/p1' }, () => undefined);
        const sink: FrameSink = {
          frame(port, direction, t, bytes, length, comment) {
            const sec = Math.floor(t / 1e9);
            chunker.add(length === bytes.length ? bytes : bytes.subarray(0, length), sec, t - sec * 1e9, comment, port.interfaceName, undefined, direction);
          },
        };
        ({ network: net, frames } = benchNetwork(sink));
        for (const p of net.sim.ports) chunker.declareInterface(p.interfaceName);
        index = 0;
        time = 0;
      },
      fn: forward,
    },
    {
      name: 'netsim-fdb-lookup-1000mac',
      batch: BATCH,
      setup() {
        for (let h = 0; h < MACS; h++) {
          keys.push(macOf(h));
          table.learn(10 + (h % 4), keys[h]!, 0, h % 48, 0);
        }
      },
      fn() {
        for (let i = 0; i < BATCH; i++) {
          const h = i % MACS;
          found += table.lookup(10 + (h % 4), keys[h]!, 0, 1) >= 0 ? 1 : 0;
        }
        if (found < 0) throw new Error('unreachable');
      },
    },
  ];
}
