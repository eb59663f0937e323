/**
 * `virtkit netsim` end to end: the worked fixtures through the CLI, judged by Wireshark's tools
 * (every interface named, directions shown, comments kept, no malformed frame), the per-port
 * pcaps, the JSON output, JSON Lines scenarios, and one-line errors with exit status 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/node/capture-file.js';
import { toolsAvailable } from '../helpers/tools.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { BCAST, frame, mac, run } from './helpers.js';
import { ENTERPRISE_PAIR } from '../../src/demo/netsim.js';

const dir = mkdtempSync(join(tmpdir(), 'vk14-netsim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURES = ['enterprise-pair', 'qinq-provider', 'loop'];
const fixture = (name: string) => join(ROOT, 'fixtures', 'netsim', `${name}.json`);

async function frames(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readCaptureFile(file)) out.push(Buffer.from(r.data).toString('hex'));
  return out;
}

describe.each(FIXTURES)('fixture %s', (name) => {
  const doc = JSON.parse(readFileSync(fixture(name), 'utf8'));
  const expected = run(doc);
  const out = join(dir, `${name}.pcapng`);
  const ports = join(dir, `${name}-ports`);

  it('writes a pcapng with every crossing, its direction and its comment, and per-port pcaps of what leaves', async () => {
    const r = await runCli(['netsim', fixture(name), '-o', out, '--ports', ports]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await frames(out)).toEqual(expected.log.map((c) => c.hex));
    const names = expected.network.sim.ports.map((p) => p.name);
    expect(readdirSync(ports).sort()).toEqual(names.map((n) => n.replace('/', '-') + '.pcap').sort());
    for (const n of names) expect(await frames(join(ports, n.replace('/', '-') + '.pcap'))).toEqual(expected.out(n));
  });

  const tsharkIt = toolsAvailable('tshark', 'capinfos') ? it : it.skip;
  tsharkIt('tshark reads it: one named interface per port, every frame with its direction and comment, nothing malformed', () => {
    const sh = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const info = sh('capinfos', [out]);
    expect(info).toMatch(new RegExp(`Number of interfaces in file: ${expected.network.sim.ports.length}\\n`));
    const rows = sh('tshark', ['-r', out, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction', '-e', 'frame.comment'])
      .trimEnd()
      .split('\n')
      .map((l) => l.split('|'));
    expect(rows.map((r) => r[0])).toEqual(expected.log.map((c) => c.port));
    expect(rows.map((r) => Number(r[1]))).toEqual(expected.log.map((c) => (c.dir === 'in' ? 1 : 2)));
    expect(rows.map((r) => r[2])).toEqual(expected.log.map((c) => c.comment ?? ''));
    expect(sh('tshark', ['-r', out, '-Y', '_ws.malformed || _ws.expert.severity >= error'])).toBe('');
  });
});

describe('the stories the fixtures tell', () => {
  it('the demo runs the enterprise pair fixture (one description: the fixture file equals the demo\'s scenario)', () => {
    expect(JSON.parse(readFileSync(fixture('enterprise-pair'), 'utf8'))).toEqual(ENTERPRISE_PAIR);
  });

  const R = (name: string) => run(JSON.parse(readFileSync(fixture(name), 'utf8')));

  it('enterprise pair: VLANs stay apart across the trunk, the phone lands in the voice VLAN, VLAN 20 is policed, hopping is dropped', () => {
    const r = R('enterprise-pair');
    expect(r.records.map((e) => e.delivered)).toEqual([
      ['sw1/desk12', 'sw2/pc21', 'sw2/hv'],
      ['sw1/pc11'],
      ['sw2/callmgr'],
      ['sw2/pc22'],
      ['sw2/pc22'],
      [],
      ['sw2/pc21'],
      [],
      ['sw2/hv'],
      ['sw2/srv31'],
      ['sw1/pc11'],
    ]);
    expect(r.records[5]!.dropped).toBe('policed on sw1/uplink: VLAN 20 over 1000000 bit/s (burst 1500 bytes)');
    expect(r.records[7]!.dropped).toBe('VLAN 20 tagged frame on access port sw1/pc11 (VLAN 10)');
  });

  it('QinQ provider: two customers with the same VLAN 10 and the same MACs never meet; cvlans keep VLAN 30 out', () => {
    const r = R('qinq-provider');
    expect(r.records.map((e) => e.delivered)).toEqual([['pe2/custA'], ['pe2/custB'], ['pe1/custA'], ['pe1/custB'], [], ['pe2/custA']]);
    // The core link carries customer A under S-tag 0x88a8/100, B under 0x8100/200 (its tpid), the C-tag inside.
    expect(r.out('pe1/core').slice(0, 2).map((h) => h.slice(24, 40))).toEqual(['88a800648100000a', '810000c88100000a']);
    expect(r.tables.fdb.filter((e: any) => e.switch === 'pe1' && e.mac === '02:00:00:00:00:01').map((e: any) => [e.port, e.vlan])).toEqual([
      ['custA', 100],
      ['custB', 200],
    ]);
  });

  it('loop: one broadcast becomes a storm that only maxFrames stops', () => {
    const r = R('loop');
    expect(r.network.sim.framesSent).toBe(1000);
    expect(r.records[0]!.delivered.length).toBeGreaterThan(100);
    expect(r.network.sim.stopped).toMatch(/^stopped at maxFrames 1000/);
  });
});

describe('JSON output', () => {
  it('--json: events with delivered/dropped, the tables at the end; --fdb-trace: the tables after each event', async () => {
    const r = await runCli(['netsim', fixture('qinq-provider'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['events', 'fdb', 'vtepFdb']);
    expect(doc.events[4]).toEqual({ index: 4, port: 'pe1/custB', delivered: [], dropped: 'broadcast in VLAN 200 (customer VLAN 30): no other port of pe2 carries it' });
    expect(doc.fdb).toHaveLength(8);
    expect(doc.vtepFdb).toEqual([]);
    const t = JSON.parse((await runCli(['netsim', fixture('qinq-provider'), '--json', '--fdb-trace'])).stdout);
    expect(t.events[0].fdb).toEqual([
      { switch: 'pe1', port: 'custA', vlan: 100, mac: '02:00:00:00:00:01' },
      { switch: 'pe2', port: 'core', vlan: 100, mac: '02:00:00:00:00:01' },
    ]);
    expect(t.events[5].fdb).toEqual(doc.fdb);
    const loop = JSON.parse((await runCli(['netsim', fixture('loop'), '--json'])).stdout);
    expect(loop.stopped).toMatch(/^stopped at maxFrames 1000/);
  });

  it('a JSON Lines scenario streams: topology on the first line, one event a line', async () => {
    const topo = { switches: [{ name: 'br0', ports: [{ name: 'p1', vlan: 10 }, { name: 'p2', vlan: 10 }] }] };
    const lines = [JSON.stringify(topo), ...Array.from({ length: 50 }, (_, i) => JSON.stringify({ port: `br0/p${(i % 2) + 1}`, hex: frame(i % 2 ? mac(1) : mac(2), i % 2 ? mac(2) : mac(1)) }))];
    const file = join(dir, 's.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['netsim', file, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.events).toHaveLength(50);
    expect(doc.events[49].delivered).toEqual(['br0/p1']);
    writeFileSync(file, lines[0] + '\n' + JSON.stringify({ port: 'br0/p3', hex: frame(BCAST, mac(1)) }) + '\n');
    expect(await runCli(['netsim', file, '--json'])).toMatchObject({ code: 2, stderr: `virtkit netsim: ${file} line 2.port: unknown port "br0/p3"\n` });
  });
});

describe('bad input: exit 2, one line naming the place; the old output kept', () => {
  it.each([
    [{ switches: [{ name: 'br0', ports: [{ name: 'p1', vlan: 4095 }] }] }, 'switches[0].ports[0].vlan: VLAN 4095 is outside 1..4094'],
    [{ switches: [{ name: 'br0', ports: [{ name: 'p1' }] }], events: [{ port: 'br0/p2', hex: frame(BCAST, mac(1)) }] }, 'events[0].port: unknown port "br0/p2"'],
    [{ switches: [{ name: 'br0', ports: [{ name: 'p1' }] }], events: [{ port: 'br0/p1', hex: '00112233' }] }, 'events[0].hex: 4 bytes is not an Ethernet frame (the header alone is 14)'],
    [{ switches: [{ name: 'br0', ports: [{ name: 'p1' }] }], events: [{ port: 'br0/p1', hex: frame(BCAST, mac(1)) }, { port: 'br0/p1' }] }, 'events[1]: has no frame: give "hex" or "layers"'],
  ])('%#', async (doc, message) => {
    const file = join(dir, 'bad.json');
    const out = join(dir, 'keep.pcapng');
    writeFileSync(file, JSON.stringify(doc));
    writeFileSync(out, 'precious');
    const r = await runCli(['netsim', file, '-o', out]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `virtkit netsim: ${file}: ${message}\n` });
    expect(readFileSync(out, 'utf8')).toBe('precious');
    // --json prints nothing on stdout either: the document would not be whole.
    expect(await runCli(['netsim', file, '--json'])).toEqual({ code: 2, stdout: '', stderr: `virtkit netsim: ${file}: ${message}\n` });
  });

  it('usage errors', async () => {
    expect((await runCli(['netsim'])).code).toBe(2);
    expect((await runCli(['netsim', fixture('loop')])).stderr).toBe('virtkit netsim: no output: give -o OUT.pcapng, --ports DIR or --json\n');
    expect((await runCli(['netsim', fixture('loop'), '--fdb-trace', '-o', join(dir, 'x.pcapng')])).code).toBe(2);
    expect((await runCli(['netsim', join(dir, 'missing.json'), '--json'])).code).toBe(2);
    expect((await runCli(['netsim', '--help'])).stdout).toMatch(/^usage: virtkit netsim/);
  });
});
