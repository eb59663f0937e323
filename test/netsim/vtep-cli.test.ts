/**
 * `virtkit netsim` with VTEPs, end to end: the pcapng read back by tshark (every interface named
 * vtep/underlay or vtep/vni-N, directions, comments on floods, learning and drops, VXLAN
 * dissected with good IPv4 checksums and UDP checksum 0, nothing malformed), the per-port pcaps
 * (vtep-underlay both ways, vtep-decap what the VTEP delivered), --json --fdb-trace with the
 * VTEP tables after each event, and bad VTEP scenarios exiting 2 with one line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';
import { readCapture } from '../../src/pcap/index.js';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'virtkit-vtep-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string) => join(ROOT, 'fixtures', 'netsim', name);

function tsharkFields(file: string, filter: string, ...fields: string[]): string[][] {
  const args = ['-r', file, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f'];
  if (filter) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('|'));
}

describe('virtkit netsim with VTEPs', () => {
  it('--json --fdb-trace: deliveries, drops and the VTEP tables after each event', async () => {
    const r = await runCli(['netsim', fixture('vxlan-flood-learn.json'), '--json', '--fdb-trace']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.events.map((e: { delivered: string[] }) => e.delivered)).toEqual([
      ['vtep2/vni-42', 'vtep3/vni-42'],
      ['vtep1/vni-42'],
      ['vtep2/vni-42'],
      ['vtep1/vni-42'],
      ['vtep1/vni-42', 'vtep2/vni-42'],
      ['vtep1/vni-42', 'vtep2/vni-42'],
      ['vtep3/vni-42'],
    ]);
    expect(out.events[0].vtepFdb).toEqual([
      { vtep: 'vtep2', vni: 42, mac: '02:aa:00:00:00:01', remote: '192.168.100.1' },
      { vtep: 'vtep3', vni: 42, mac: '02:aa:00:00:00:01', remote: '192.168.100.1' },
    ]);
    // After the move (event 5), vtep2 has 02:aa:00:00:00:01 behind vtep3.
    expect(out.events[5].vtepFdb).toContainEqual({ vtep: 'vtep2', vni: 42, mac: '02:aa:00:00:00:01', remote: '192.168.100.3' });
    expect(out.vtepFdb).toEqual(out.events[6].vtepFdb);
  });

  it('the MTU drop is in the JSON with its sizes', async () => {
    const r = await runCli(['netsim', fixture('vxlan-mtu-1500.json'), '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.events.map((e: { dropped?: string }) => e.dropped ?? '')).toEqual([
      '',
      '',
      '',
      'dropped by vtep1: the 1514-byte inner frame makes a 1550-byte outer IPv4 packet (1514 + 36 bytes of IPv4, UDP and VXLAN headers), over the underlay MTU 1500; VTEPs do not fragment (RFC 7348 §4.3)',
      '',
    ]);
  });

  it('--ports: vtep-underlay.pcap holds both directions, vtep-decap.pcap what the VTEP delivered', async () => {
    const ports = join(dir, 'ports');
    const r = await runCli(['netsim', fixture('vxlan-hypervisors.json'), '--ports', ports]);
    expect(r.code).toBe(0);
    expect(readdirSync(ports).sort()).toEqual([
      'hv1-blue.pcap',
      'hv1-red.pcap',
      'hv1-vx.pcap',
      'hv2-blue.pcap',
      'hv2-red.pcap',
      'hv2-vx.pcap',
      'vtep1-decap.pcap',
      'vtep1-underlay.pcap',
      'vtep2-decap.pcap',
      'vtep2-underlay.pcap',
    ]);
    const read = (f: string) => readCapture(readFileSync(join(ports, f))).map((p) => p.data.length);
    // Six events, each one outer packet: out of one VTEP's underlay and into the other's.
    expect(read('vtep1-underlay.pcap')).toEqual([92, 92, 92, 92, 148, 148]);
    // vtep1 delivered the two ARP replies (42 bytes) and the echo reply (98), untagged.
    expect(read('vtep1-decap.pcap')).toEqual([42, 42, 98]);
  });

  it.skipIf(!toolsAvailable('tshark'))('tshark reads the pcapng: interfaces, directions, comments, VXLAN, checksums, nothing malformed', async () => {
    const file = join(dir, 'flood.pcapng');
    expect((await runCli(['netsim', fixture('vxlan-head-end.json'), '-o', file])).code).toBe(0);
    const rows = tsharkFields(file, '', 'frame.interface_name', 'frame.p2p_dir', 'vxlan.vni', 'ip.dst', 'udp.srcport', 'udp.checksum', 'ip.checksum.status', 'frame.comment');
    const underlay = rows.filter((r) => r[0]!.endsWith('/underlay'));
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['vtep1/underlay', 'vtep1/vni-5001', 'vtep2/underlay', 'vtep2/vni-5001', 'vtep3/underlay', 'vtep3/vni-5001']));
    for (const r of underlay) {
      expect(r[2]).toBe('5001');
      expect(r[5]).toBe('0x0000');
      expect(r[6]).toBe('1'); // Good (0 bad, 2 unverified)
      expect(Number(r[4])).toBeGreaterThanOrEqual(49152);
    }
    // The first event: one inbound inner frame, two head-end copies (the first listed last), each received.
    expect(rows.slice(0, 3).map((r) => [r[0], r[1], r[3], r[7]])).toEqual([
      ['vtep1/vni-5001', '1', '', ''],
      ['vtep1/underlay', '0', '192.168.100.3', 'flood VNI 5001 (broadcast): head-end replication copy 1 of 2 to 192.168.100.3'],
      ['vtep1/underlay', '0', '192.168.100.2', 'flood VNI 5001 (broadcast): head-end replication copy 2 of 2 to 192.168.100.2'],
    ]);
    expect(rows.map((r) => r[7]).filter((c) => c!.includes('learnt VNI')).length).toBeGreaterThan(0);
    expect(tsharkFields(file, '_ws.malformed || _ws.expert.severity >= warning', 'frame.number')).toEqual([]);
  });

  it.each([
    [{ vteps: [{ name: 'v1', ip: '192.168.100.1', mac: '02:00:00:00:00:01', vnis: [{ vni: 42, group: '239.1.1' }] }] }, 'vteps[0].vnis[0].group: "239.1.1" is not an IPv4 address like "192.168.100.1"'],
    [{ vteps: [{ name: 'v1', ip: '192.168.100.1', mac: '02:00:00:00:00:01', vnis: [{ vni: 42 }] }], events: [{ vtep: 'v1', vni: 7, hex: 'ffffffffffff020000000001' + '0800' }] }, 'events[0].vni: vtep "v1" has no VNI 7'],
  ])('a bad VTEP scenario exits 2 with one line naming the place (%#)', async (doc, message) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = await runCli(['netsim', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`virtkit netsim: ${file}: ${message}\n`);
  });
});
