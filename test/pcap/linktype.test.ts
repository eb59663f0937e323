/**
 * Capture link types beyond Ethernet, written and read: raw IP (101), Linux cooked SLL (113)
 * and SLL2 (276), BSD loopback (0). `build --linktype` writes the link type into the pcap
 * header and every pcapng interface; tshark (an independent reader) dissects the frames from
 * that link type with checksum validation on; `decode` says the link type and gives layers that
 * rebuild the bytes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';
import { run } from './helpers.js';
import { bytesToHex, decodeFrame, encodeFrame, type Layer } from '../../src/net/index.js';

const dir = mkdtempSync(join(tmpdir(), 'virtkit-linktype-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const V4: Layer[] = [
  { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', flags: 'DF' },
  { layer: 'tcp', sport: 40000, dport: 80, flags: 'S', options: '020405b4' },
];
const V6: Layer[] = [
  { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' },
  { layer: 'udp', sport: 40000, dport: 40001 },
  { layer: 'raw', hex: '0001020304' },
];

const CASES: { linktype: string; number: number; first: (Layer | undefined)[]; protocols: RegExp[] }[] = [
  { linktype: 'raw', number: 101, first: [undefined, undefined], protocols: [/^raw:ip:tcp$/, /^raw:ipv6:udp/] },
  { linktype: 'linux_sll', number: 113, first: [{ layer: 'sll', pkttype: 4, addr: '020000000001' }, { layer: 'sll', addr: '02000000000200' , halen: 7 }], protocols: [/^sll:ethertype:ip:tcp$/, /^sll:ethertype:ipv6:udp/] },
  { linktype: 'linux_sll2', number: 276, first: [{ layer: 'sll2', ifindex: 3, addr: '020000000001' }, { layer: 'sll2', ifindex: 7, pkttype: 1 }], protocols: [/^sll:ethertype:ip:tcp$/, /^sll:ethertype:ipv6:udp/] },
  { linktype: 'null', number: 0, first: [{ layer: 'loopback' }, { layer: 'loopback', byteorder: 'be' }], protocols: [/^null:ip:tcp$/, /^null:ipv6:udp/] },
];

describe.each(CASES)('link type $number ($linktype)', ({ linktype, number, first, protocols }) => {
  const frames = [V4, V6].map((inner, i) => (first[i] ? [first[i]!, ...inner] : inner));

  it('decodeFrame with the link type gives back the layers; they rebuild the bytes', () => {
    for (const f of frames) {
      const bytes = encodeFrame(f);
      const d = decodeFrame(bytes, { linkType: number });
      expect(d.error).toBeUndefined();
      expect(d.layers.map((l) => l.layer)).toEqual(f.map((l) => l.layer));
      // Decoded as found: TCP flags as a number, the cooked address as all its 8 bytes.
      const want = f.map((l): Layer => (l.layer === 'tcp' ? { ...l, flags: 2 } : typeof l.addr === 'string' ? { ...l, addr: l.addr.padEnd(16, '0') } : l));
      want.forEach((l, i) => expect(d.layers[i]).toMatchObject(l));
      expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
    }
  });

  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: build --linktype writes it, decode says it and round-trips`, async () => {
      const spec = join(dir, `${linktype}.json`);
      writeFileSync(spec, JSON.stringify(frames));
      const out = join(dir, `${linktype}.${format}`);
      const b = await runCli(['build', spec, '-o', out, '--linktype', linktype]);
      expect(b.stderr).toBe('');
      const file = readFileSync(out);
      if (format === 'pcap') expect(file.readUInt32LE(20)).toBe(number);
      else expect(file.readUInt16LE(file.readUInt32LE(4) + 8)).toBe(number); // IDB link type after the SHB
      const text = await runCli(['decode', out]);
      expect(text.stdout.split('\n')[0]).toMatch(new RegExp(`^# link type ${number} \\(${linktype}\\)$`));
      const json = await runCli(['decode', out, '--json']);
      const packets = JSON.parse(json.stdout).packets as { linkType: number; layers: Layer[]; error?: string }[];
      packets.forEach((p, i) => {
        expect(p.linkType).toBe(number);
        expect(p.error).toBeUndefined();
        expect(bytesToHex(encodeFrame(p.layers))).toBe(bytesToHex(encodeFrame(frames[i]!)));
      });
    });

    it.skipIf(!toolsAvailable('tshark'))(`${format}: tshark dissects from the link type, checksums good, nothing flagged`, () => {
      const out = join(dir, `${linktype}.${format}`);
      const opts = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
      const r = run('tshark', ['-r', out, ...opts, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.protocols', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status']);
      expect(r.code).toBe(0);
      const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
      expect(rows[0]![0]).toMatch(protocols[0]!);
      expect(rows[1]![0]).toMatch(protocols[1]!);
      expect(rows[0]!.slice(1, 3)).toEqual(['1', '1']);
      expect(rows[1]![3]).toBe('1');
      const bad = run('tshark', ['-r', out, ...opts, '-Y', '_ws.malformed || _ws.expert.severity >= warning', '-T', 'fields', '-e', 'frame.number']);
      expect(bad.stdout.trim()).toBe('');
    });
  }
});

describe('link type checks', () => {
  it('build refuses a frame whose first layer does not fit the link type', async () => {
    const spec = join(dir, 'wrong.json');
    writeFileSync(spec, JSON.stringify([[{ layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02', type: 0x0800 }, { layer: 'raw', hex: '00' }]]));
    const r = await runCli(['build', spec, '-o', join(dir, 'wrong.pcap'), '--linktype', '113']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/packet 0: starts with 'ether', but link type 113 frames start with 'sll'/);
    const bad = await runCli(['build', spec, '-o', join(dir, 'wrong2.pcap'), '--linktype', 'token-ring']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--linktype: 'token-ring' is not a link type/);
  });

  it('an unknown link type decodes as one raw layer with an error, bytes kept', () => {
    const d = decodeFrame(Uint8Array.of(1, 2, 3), { linkType: 105 });
    expect(d.layers).toEqual([{ layer: 'raw', hex: '010203' }]);
    expect(d.error?.message).toMatch(/link type 105 is not decoded/);
  });
});
