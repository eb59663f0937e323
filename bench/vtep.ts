/**
 * VTEP benchmarks (part of `virtkit bench netsim`).
 * - vxlan-encap-learn: frames per second through two VTEPs whose VNI tables each hold 10000
 *   learnt MACs. One operation: vtep1 looks the inner destination up (a MAC learnt behind vtep2),
 *   writes the outer Ethernet/IPv4/UDP/VXLAN headers with the flow-hash source port and copies
 *   the 110-byte inner frame behind them; vtep2 checks the outer headers, refreshes the inner
 *   source in its table and hands the inner frame on. The destinations cycle through all 10000
 *   MACs, so every lookup and refresh is a different table entry.
 * - vxlan-encap-learn-engine: the same frames as scenario events through the netsim engine
 *   (event records, the underlay device, delivery to the host port), no capture.
 */
import type { BenchCase } from './harness.js';
import { parseIpv4, parseMac } from '../src/bytes/addr.js';
import { Underlay, Vtep, type VtepSink } from '../src/netsim/vtep.js';
import { parseScenario } from '../src/netsim/scenario.js';

const MACS = 10000;
const FRAME = 110;
const BATCH = 1000;

/** 10000 inner frames: destination MAC i behind vtep2, source MAC i behind vtep1, an IPv4/UDP flow each. */
function innerFrames(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < MACS; i++) {
    const f = new Uint8Array(FRAME);
    f.set([0x02, 0xbb, 0, 0, i >>> 8, i & 0xff], 0);
    f.set([0x02, 0xaa, 0, 0, i >>> 8, i & 0xff], 6);
    f.set([0x08, 0x00, 0x45, 0x00, 0x00, FRAME - 14, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, i >>> 8, i & 0xff, 10, 1, i >>> 8, i & 0xff], 12);
    f.set([(1024 + i) >>> 8, (1024 + i) & 0xff, 0x13, 0x88], 34);
    frames.push(f);
  }
  return frames;
}

/** Swap the MACs: the frame vtep2's host i sends back (what teaches vtep1 its table). */
function reply(f: Uint8Array): Uint8Array {
  const r = f.slice();
  r.set(f.subarray(6, 12), 0);
  r.set(f.subarray(0, 6), 6);
  return r;
}

/** The underlay between the two VTEPs, and a count of the frames delivered. */
class Wire implements VtepSink {
  count = 0;
  constructor(private readonly peers: Map<Vtep, Vtep>) {}
  sent(from: Vtep, _vni: number, buf: Uint8Array, start: number, end: number): void {
    this.peers.get(from)!.receive(buf, start, end, 0, this);
  }
  delivered(): void {
    this.count++;
  }
  dropped(): void {
    throw new Error('bench frame dropped');
  }
}

export function cases(): BenchCase[] {
  const frames = innerFrames();
  let n = 0;
  let v1: Vtep;
  let wire: Wire;
  const vtepJson = (i: number) => ({ name: `vtep${i}`, ip: `192.168.100.${i}`, mac: `02:00:c0:a8:64:0${i}`, vnis: [{ vni: 42, group: '239.1.1.1' }] });
  let network: ReturnType<typeof parseScenario>['network'];
  let port1: ReturnType<typeof parseScenario>['events'][number]['port'];
  let index = 0; // engine events are numbered 0, 1, 2, … in order
  return [
    {
      name: 'vxlan-encap-learn',
      batch: BATCH,
      setup: () => {
        const u = new Underlay();
        const cfg = (i: number) => ({ name: `vtep${i}`, ip: parseIpv4(`192.168.100.${i}`), mac: parseMac(`02:00:c0:a8:64:0${i}`)!, vnis: [{ vni: 42, group: parseIpv4('239.1.1.1') }] });
        v1 = new Vtep(cfg(1), u);
        const v2 = new Vtep(cfg(2), u);
        wire = new Wire(new Map([[v1, v2], [v2, v1]]));
        // Learning: vtep2's hosts answer (vtep1 learns 10000 MACs), vtep1's hosts send (vtep2 learns 10000).
        for (const f of frames) v2.transmit(42, reply(f), 0, FRAME, 0, wire);
        for (const f of frames) v1.transmit(42, f, 0, FRAME, 0, wire);
        if (v1.fdb(42).size !== MACS || v2.fdb(42).size !== MACS) throw new Error('tables not filled');
      },
      fn: () => {
        for (let i = 0; i < BATCH; i++) {
          const f = frames[n++ % MACS]!;
          v1.transmit(42, f, 0, FRAME, 1, wire);
        }
      },
    },
    {
      name: 'vxlan-encap-learn-engine',
      batch: BATCH,
      setup: () => {
        const parsed = parseScenario({ vteps: [vtepJson(1), vtepJson(2)] }, { maxFrames: 2 ** 40 });
        network = parsed.network;
        port1 = network.sim.port('vtep1/vni-42')!;
        const port2 = network.sim.port('vtep2/vni-42')!;
        for (const f of frames) network.sim.inject(index++, 0, port2, reply(f));
        for (const f of frames) network.sim.inject(index++, 0, port1, f);
        if (network.sim.tables().vtepFdb!.length !== 2 * MACS) throw new Error('tables not filled');
      },
      fn: () => {
        for (let i = 0; i < BATCH; i++) network.sim.inject(index++, 1, port1, frames[n++ % MACS]!);
      },
    },
  ];
}
