/**
 * Wireshark's own tools as the judge of the files virtkit writes and reads: capinfos, tshark
 * (timestamps, comments, expert info with checksum validation) and editcap (files written by
 * Wireshark, read back by virtkit).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolsAvailable } from '../helpers/tools.js';
import { readCapture, formatTime } from '../../src/pcap/index.js';
import { GOLDEN, fromHex, capture, tmp, run, type TestPacket } from './helpers.js';

const HAVE = toolsAvailable('tshark', 'capinfos', 'editcap');

/** Decode-As for the two Ethernet-over-MPLS golden frames (see vectors/README.md). */
const DECODE_AS = ['-d', 'mpls.label==2000,pwethcw', '-d', 'mpls.label==3000,pwethnocw'];
const CHECKSUMS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

// Golden frames with nanosecond times that a float would not keep, and comments on every
// frame (UTF-8 in a few).
const PACKETS: TestPacket[] = GOLDEN.map((g, i) => ({
  data: fromHex(g.hex),
  sec: 1_700_000_000 + i * 3,
  nsec: (987_654_321 + i * 1_000_003) % 1_000_000_000,
  comment: `${g.name}: ${g.description}${i % 5 === 0 ? ' — ✓ UTF-8' : ''}`,
}));

function fields(file: string, ...extra: string[]): string[][] {
  const r = run('tshark', ['-r', file, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

function capinfo(file: string): Record<string, string> {
  const r = run('capinfos', [file]);
  expect(r.code, r.stderr).toBe(0);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([^:]+):\s+(.*)$/.exec(line);
    if (m) out[m[1]!.trim()] = m[2]!.trim();
  }
  return out;
}

describe.skipIf(!HAVE)('Wireshark reads what virtkit writes', () => {
  let dir = '';
  const files: Record<string, string> = {};
  beforeAll(() => {
    dir = tmp();
    for (const [name, opts] of [
      ['golden.pcapng', { format: 'pcapng' as const }],
      ['golden.pcap', { format: 'pcap' as const }],
    ] as const) {
      files[name] = join(dir, name);
      writeFileSync(files[name]!, capture(PACKETS, opts));
    }
  });

  it('capinfos: file type, Ethernet, 47 packets', () => {
    const ng = capinfo(files['golden.pcapng']!);
    expect(ng['File type']).toBe('Wireshark/... - pcapng');
    expect(ng['File encapsulation']).toBe('Ethernet');
    expect(ng['Number of packets']).toBe(String(GOLDEN.length));
    const p = capinfo(files['golden.pcap']!);
    expect(p['File type']).toBe('Wireshark/tcpdump/... - nanosecond pcap');
    expect(p['File encapsulation']).toBe('Ethernet');
    expect(p['Number of packets']).toBe(String(GOLDEN.length));
  });

  it('tshark gives back every nanosecond timestamp and comment (pcapng)', () => {
    const rows = fields(files['golden.pcapng']!, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.comment', '-e', 'frame.interface_name');
    expect(rows.map((r) => r[0])).toEqual(PACKETS.map((p) => formatTime(p.sec, p.nsec)));
    expect(rows.map((r) => r[1])).toEqual(PACKETS.map((p) => p.comment));
    expect(new Set(rows.map((r) => r[2]))).toEqual(new Set(['virtkit0']));
  });

  it('tshark gives back every nanosecond timestamp (pcap)', () => {
    const rows = fields(files['golden.pcap']!, '-T', 'fields', '-e', 'frame.time_epoch');
    expect(rows.map((r) => r[0])).toEqual(PACKETS.map((p) => formatTime(p.sec, p.nsec)));
  });

  it('tshark with IP/UDP checksum validation: no warning, error or malformed frame', () => {
    for (const f of [files['golden.pcapng']!, files['golden.pcap']!]) {
      const flagged = fields(f, ...CHECKSUMS, ...DECODE_AS, '-Y', '_ws.expert.severity >= 0x00600000 || _ws.malformed', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message');
      expect(flagged).toEqual([]);
      // The check can fail: the same filter finds a frame with a broken UDP checksum.
    }
    const broken = PACKETS.map((p) => ({ ...p, data: p.data.slice() }));
    const first = broken[0]!.data;
    first[40] = first[40]! ^ 0xff; // inside the UDP checksum of eth_ipv4_udp
    const f = join(dir, 'broken.pcapng');
    writeFileSync(f, capture(broken, { format: 'pcapng' }));
    const flagged = fields(f, ...CHECKSUMS, ...DECODE_AS, '-Y', '_ws.expert.severity >= 0x00600000 || _ws.malformed', '-T', 'fields', '-e', 'frame.number');
    expect(flagged).toEqual([['1']]);
  });

  it('tshark frame bytes equal the bytes written', () => {
    const rows = fields(files['golden.pcapng']!, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len');
    expect(rows).toEqual(GOLDEN.map((g) => [String(g.hex.length / 2), String(g.hex.length / 2)]));
    // Raw bytes as tshark sees them: the hex dump of the first frame.
    const x = run('tshark', ['-r', files['golden.pcapng']!, '-c', '1', '-x']);
    const hex = x.stdout
      .split('\n')
      .map((l) => /^[0-9a-f]{4}  ((?:[0-9a-f]{2} ){1,16})/.exec(l)?.[1] ?? '')
      .join('')
      .replace(/ /g, '');
    expect(hex).toBe(GOLDEN[0]!.hex);
  });

  it('virtkit reads back the files it wrote: bytes, times and comments', () => {
    for (const name of ['golden.pcapng', 'golden.pcap']) {
      const back = readCapture(readFileSync(files[name]!));
      expect(back.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(GOLDEN.map((g) => g.hex));
      expect(back.map((p) => formatTime(p.sec, p.nsec))).toEqual(PACKETS.map((p) => formatTime(p.sec, p.nsec)));
      if (name.endsWith('ng')) expect(back.map((p) => p.comment)).toEqual(PACKETS.map((p) => p.comment));
    }
  });

  it('several interfaces come out as tshark interface names', () => {
    const f = join(dir, 'ifaces.pcapng');
    writeFileSync(
      f,
      capture(
        PACKETS.slice(0, 4).map((p, i) => ({ ...p, iface: i % 2 ? 'underlay' : undefined })),
        { format: 'pcapng' },
      ),
    );
    expect(fields(f, '-T', 'fields', '-e', 'frame.interface_name').map((r) => r[0])).toEqual(['virtkit0', 'underlay', 'virtkit0', 'underlay']);
    expect(capinfo(f)['Number of interfaces in file']).toBe('2');
  });
});

describe.skipIf(!HAVE)('virtkit reads what Wireshark writes (editcap)', () => {
  let dir = '';
  let source = '';
  beforeAll(() => {
    dir = tmp();
    source = join(dir, 'src.pcapng');
    writeFileSync(source, capture(PACKETS, { format: 'pcapng' }));
  });

  for (const [fmt, usec] of [
    ['pcap', true],
    ['nsecpcap', false],
    ['pcapng', false],
  ] as const) {
    it(`editcap -F ${fmt}`, () => {
      const out = join(dir, `out.${fmt}`);
      const r = run('editcap', ['-F', fmt, source, out]);
      expect(r.code, r.stderr).toBe(0);
      const back = readCapture(readFileSync(out));
      expect(back.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(GOLDEN.map((g) => g.hex));
      // editcap -F pcap keeps microseconds: it truncates the nanoseconds.
      expect(back.map((p) => formatTime(p.sec, p.nsec))).toEqual(
        PACKETS.map((p) => formatTime(p.sec, usec ? p.nsec - (p.nsec % 1000) : p.nsec)),
      );
      if (fmt === 'pcapng') expect(back.map((p) => p.comment)).toEqual(PACKETS.map((p) => p.comment));
      // And tshark agrees with virtkit on those times.
      expect(fields(out, '-T', 'fields', '-e', 'frame.time_epoch').map((x) => x[0])).toEqual(back.map((p) => formatTime(p.sec, p.nsec)));
    });
  }
});
