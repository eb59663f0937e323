/**
 * A real switch as the judge: the same frames go through Open vSwitch 3.1 (userspace datapath,
 * its own database and run directory, in network namespaces joined to veth pairs; see
 * ovs_switch.py) and through `virtkit netsim`, and each port's frames must be equal byte for
 * byte and in order, and the final MAC tables equal (ovs-appctl fdb/show).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/node/capture-file.js';
import { simulateScenario } from '../../src/netsim/index.js';
import { toolsAvailable } from '../helpers/tools.js';
import { BCAST, frame, recorder } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const VSWITCHD = ['/usr/lib/openvswitch-switch/ovs-vswitchd', '/usr/sbin/ovs-vswitchd'];
const REQUIRED = Boolean(process.env.CI) || process.env.VIRTKIT_REQUIRE_TOOLS === '1';

function ovsAvailable(): boolean {
  if (!toolsAvailable('ovs-vsctl', 'ovs-appctl', 'ovsdb-server', 'ovsdb-tool', 'tcpdump', 'ip', 'ethtool', 'python3')) return false;
  if (VSWITCHD.some(existsSync) || spawnSync('sh', ['-c', 'command -v ovs-vswitchd']).status === 0) return true;
  if (REQUIRED) throw new Error('required tool missing: ovs-vswitchd (.ci/run installs openvswitch-switch)');
  console.warn('SKIPPING the OVS cross-check: ovs-vswitchd not installed');
  return false;
}

type PortCfg = { mode: string; vlan?: number; trunks?: number[]; cvlans?: number[]; tpid?: string };
interface Run {
  name: string;
  /** Host ports per switch (default one switch of six), numbered on from switch 0's. */
  bridges?: number[];
  /** Links between switches [a, b], each end a trunk-like port added after the host ports. */
  links?: [number, number][];
  /** The host ports' configurations, in order. */
  ports: PortCfg[];
  /** The link ends' configurations: [end on a, end on b] per link. */
  linkPorts?: [PortCfg, PortCfg][];
  vlanLimit?: number;
  /** OVS other_config:mac-table-size (OVS takes 10 at least). */
  macTableSize?: number;
  /** [host port index, frame hex] */
  events: [number, string][];
}

const M = (n: number) => '0200000000' + n.toString(16).padStart(2, '0');
const P = 80; // payload bytes: every frame stays over 64 bytes after a tag is popped
const f = (dst: string, src: number, tags: string[] = []) => frame(dst, M(src), { tags, payload: P });

const RUNS: Run[] = [
  {
    name: 'access, trunk and native ports; learning, flooding, admission',
    ports: [
      { mode: 'access', vlan: 10 },
      { mode: 'access', vlan: 10 },
      { mode: 'access', vlan: 20 },
      { mode: 'trunk', trunks: [10, 20] },
      { mode: 'native-untagged', vlan: 30, trunks: [10] },
      { mode: 'native-tagged', vlan: 30, trunks: [20] },
    ],
    events: [
      [0, f(BCAST, 1)],
      [3, f(M(1), 2, ['8100:000a'])],
      [1, f(M(2), 3)],
      [0, f(BCAST, 4, ['8100:0014'])], // tagged on an access port: dropped, not learnt
      [0, f(BCAST, 5, ['8100:a000'])], // priority tag (PCP 5, VID 0)
      [4, f(BCAST, 6)],
      [5, f(BCAST, 7)],
      [3, f(BCAST, 8, ['8100:7014'])], // PCP 3, DEI 1, VLAN 20
      [3, f(BCAST, 9)], // untagged on a trunk without VLAN 0: dropped
      [5, f(BCAST, 10, ['8100:001e'])],
      [1, f(M(1), 11)],
      [0, f(M(1), 12)], // destination learnt on the input port
      [2, f('01005e000001', 13)],
      [4, f(M(7), 14, ['8100:000a'])], // 7 is in VLAN 30, not 10: unknown in VLAN 10, flooded
    ],
  },
  {
    name: 'QinQ: dot1q-tunnel ports (0x88a8 and 0x8100 S-tags, cvlans), vlan-limit 1',
    ports: [
      { mode: 'dot1q-tunnel', vlan: 100 },
      { mode: 'dot1q-tunnel', vlan: 200, tpid: '0x8100' },
      { mode: 'trunk', trunks: [0, 100, 200] },
      { mode: 'access', vlan: 100 },
      { mode: 'dot1q-tunnel', vlan: 100, cvlans: [10] },
      { mode: 'trunk' },
    ],
    events: [
      [5, f(BCAST, 8, ['8100:a000'])], // priority tag (PCP 5, VID 0) in VLAN 0 between trunks
      [5, f(BCAST, 9, ['8100:0000'])], // a tag with VID 0 and PCP 0
      [0, f(BCAST, 1, ['8100:000a'])],
      [0, f(BCAST, 2)],
      [1, f(BCAST, 3, ['8100:0014'])],
      [2, f(BCAST, 4, ['88a8:0064', '8100:001e'])],
      [4, f(BCAST, 5, ['8100:0014'])], // customer VLAN 20 not in cvlans: dropped
      [2, f(M(1), 6, ['88a8:0064', '8100:000a'])],
      [5, f(BCAST, 7, ['8100:00c8'])],
    ],
  },
  {
    name: 'QinQ with vlan-limit 2: the customer tag under the S-tag counts',
    vlanLimit: 2,
    ports: [
      { mode: 'dot1q-tunnel', vlan: 100 },
      { mode: 'dot1q-tunnel', vlan: 200, tpid: '0x8100' },
      { mode: 'trunk', trunks: [100, 200] },
      { mode: 'access', vlan: 100 },
      { mode: 'dot1q-tunnel', vlan: 100, cvlans: [10] },
      { mode: 'trunk' },
    ],
    events: [
      [2, f(BCAST, 1, ['88a8:0064', '8100:001e'])],
      [2, f(BCAST, 2, ['88a8:0064', '8100:000a'])],
      [0, f(BCAST, 3, ['8100:000a'])],
      [2, f(BCAST, 4, ['88a8:0064'])],
      [5, f(BCAST, 5, ['8100:0064', '8100:000a'])],
    ],
  },
  {
    name: 'a full MAC table (mac-table-size 10): fair eviction, refreshes, unicast after eviction',
    macTableSize: 10,
    ports: [
      { mode: 'access', vlan: 10 },
      { mode: 'access', vlan: 10 },
      { mode: 'access', vlan: 10 },
      { mode: 'access', vlan: 20 },
      { mode: 'trunk', trunks: [10, 20] },
      { mode: 'access', vlan: 10 },
    ],
    events: [
      [0, f(BCAST, 1)],
      [1, f(BCAST, 2)],
      [3, f(BCAST, 3)],
      ...[0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37].map((m): [number, string] => [2, f(BCAST, m)]), // the table is full
      [0, f(BCAST, 1)], // a refresh
      [2, f(BCAST, 0x31)], // port 3's oldest seen again: no longer its least recently seen
      [2, f(BCAST, 0x38)], // evicts one of port 3's (0x32)
      [2, f(BCAST, 0x39)], // and another (0x33)
      [1, f(M(0x31), 2)], // still learnt: to port 3 only
      [1, f(M(0x32), 2)], // evicted: flooded
      [4, f(BCAST, 0x40, ['8100:0014'])], // VLAN 20's counts in the same table
    ],
  },
  {
    name: 'two switches joined by a trunk: a QinQ provider edge pair (vlan-limit 2) and a VLAN across it',
    bridges: [3, 3],
    links: [[0, 1]],
    vlanLimit: 2,
    ports: [
      { mode: 'dot1q-tunnel', vlan: 100 },
      { mode: 'dot1q-tunnel', vlan: 200, tpid: '0x8100' },
      { mode: 'access', vlan: 10 },
      { mode: 'dot1q-tunnel', vlan: 100 },
      { mode: 'dot1q-tunnel', vlan: 200, tpid: '0x8100', cvlans: [10] },
      { mode: 'native-untagged', vlan: 10, trunks: [100] },
    ],
    linkPorts: [[{ mode: 'trunk', trunks: [10, 100, 200] }, { mode: 'trunk', trunks: [10, 100, 200] }]],
    events: [
      [0, f(BCAST, 1, ['8100:000a'])],
      [1, f(BCAST, 1, ['8100:000a'])], // the same MAC and VLAN at the other customer
      [1, f(BCAST, 2, ['8100:001e'])], // customer VLAN 30: the far side's cvlans keep it out
      [3, f(M(1), 3, ['8100:000a'])],
      [2, f(BCAST, 4)],
      [5, f(M(4), 5)],
      [5, f(BCAST, 6, ['88a8:0064', '8100:000a'])],
    ],
  },
];

const topology = (run: Run) => ({ bridges: run.bridges ?? [6], links: run.links ?? [] });

/** What virtkit netsim does with a run: per host port the frames out, and the MAC tables. */
function virtkit(run: Run) {
  const { bridges, links } = topology(run);
  const owner = bridges.flatMap((count, b) => Array<number>(count).fill(b));
  const doc = {
    switches: bridges.map((_, b) => ({
      name: `s${b}`,
      vlanLimit: run.vlanLimit ?? 1,
      ...(run.macTableSize ? { macTableSize: run.macTableSize } : {}),
      ports: [
        ...run.ports.flatMap((p, i) => (owner[i] === b ? [{ name: `p${i + 1}`, ...p }] : [])),
        ...links.flatMap(([a, z], k) => [...(a === b ? [{ name: `l${k}a`, ...run.linkPorts![k]![0] }] : []), ...(z === b ? [{ name: `l${k}b`, ...run.linkPorts![k]![1] }] : [])]),
      ],
    })),
    links: links.map(([a, z], k) => [`s${a}/l${k}a`, `s${z}/l${k}b`]),
    events: run.events.map(([port, hex], i) => ({ time: (i * 0.3).toFixed(1), port: `s${owner[port]}/p${port + 1}`, hex })),
  };
  const { sink, log } = recorder();
  const { tables } = simulateScenario(doc, { sink });
  const ports = run.ports.map((_, i) => log.filter((c) => c.port === `s${owner[i]}/p${i + 1}` && c.dir === 'out').map((c) => c.hex));
  const fdb = (tables.fdb as { switch: string; port: string; vlan: number; mac: string }[]).map((r) => `${r.switch.slice(1)} ${r.port} ${r.vlan} ${r.mac}`).sort();
  return { ports, fdb };
}

const run = ovsAvailable() ? describe : describe.skip;

run('Open vSwitch as the judge', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vk14-ovs-check-'));
    // One OVS world per topology (one switch of six ports; two switches of three and a link).
    const groups = new Map<string, number[]>();
    RUNS.forEach((r, k) => {
      const key = JSON.stringify(topology(r));
      groups.set(key, [...(groups.get(key) ?? []), k]);
    });
    for (const [key, members] of groups) {
      const spec = {
        ...(JSON.parse(key) as object),
        runs: members.map((k) => {
          const r = RUNS[k]!;
          return { ports: r.ports, linkPorts: r.linkPorts ?? [], vlanLimit: r.vlanLimit ?? 1, macTableSize: r.macTableSize, events: r.events.map(([port, hex]) => ({ port, hex })) };
        }),
      };
      const g = members[0]!;
      writeFileSync(join(dir, `runs${g}.json`), JSON.stringify(spec));
      const r = spawnSync('python3', [join(here, 'ovs_switch.py'), join(dir, `runs${g}.json`), join(dir, `out${g}`)], { encoding: 'utf8', timeout: 110_000 });
      if (r.status !== 0) throw new Error(`ovs_switch.py failed (${r.status ?? r.signal}): ${r.stderr}`);
      members.forEach((k, m) => renameSync(join(dir, `out${g}`, `run${m}`), join(dir, `run${k}`)));
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  RUNS.forEach((spec, k) => {
    it(`${spec.name}: every port's frames, in order, and the MAC table`, async () => {
      const ours = virtkit(spec);
      for (let i = 0; i < spec.ports.length; i++) {
        const got: string[] = [];
        for await (const rec of readCaptureFile(join(dir, `run${k}`, `p${i + 1}.pcap`))) got.push(Buffer.from(rec.data).toString('hex'));
        expect(ours.ports[i], `port p${i + 1} (${JSON.stringify(spec.ports[i])})`).toEqual(got);
      }
      const ovsFdb = (JSON.parse(readFileSync(join(dir, `run${k}`, 'fdb.json'), 'utf8')) as { bridge: number; port: string; vlan: number; mac: string }[])
        .map((r) => `${r.bridge} ${r.port} ${r.vlan} ${r.mac}`)
        .sort();
      expect(ours.fdb).toEqual(ovsFdb);
      // The runs were chosen to show something: frames came out of several ports.
      expect(ours.ports.filter((p) => p.length > 0).length).toBeGreaterThan(2);
    });
  });
});
