/**
 * Hand-made captures (fixtures/pcap/make-fixtures.py writes them field by field): a big-endian
 * microsecond pcap and a pcapng with a little- and a big-endian section, if_tsresol in both
 * forms, if_tsoffset, an SPB and an unknown block type.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture, formatTime, CaptureReader } from '../../src/pcap/index.js';
import { toolsAvailable } from '../helpers/tools.js';
import { ROOT } from '../helpers/cli.js';
import { GOLDEN, run } from './helpers.js';

const FIX = join(ROOT, 'fixtures', 'pcap');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('hand-made fixtures', () => {
  it('big-endian microsecond pcap', () => {
    const bytes = readFileSync(join(FIX, 'bigendian-usec.pcap'));
    expect(hex(bytes.subarray(0, 4))).toBe('a1b2c3d4'); // big-endian: the magic's bytes in order
    const r = new CaptureReader();
    r.push(bytes);
    r.end();
    const times: string[] = [];
    for (let p = r.next(); p; p = r.next()) {
      times.push(formatTime(p.sec, p.nsec));
      expect(hex(p.data)).toBe(GOLDEN[p.index]!.hex);
    }
    expect([r.littleEndian, r.usec]).toEqual([false, true]);
    expect(times).toEqual(['1700000000.000001000', '1700000000.999999000', '1700000001.500000000']);
  });

  it('pcapng: two sections, both byte orders, 2^-n resolution, tsoffset, SPB, unknown block skipped', () => {
    const back = readCapture(readFileSync(join(FIX, 'multisection.pcapng')));
    expect(back.map((p) => [formatTime(p.sec, p.nsec), p.hasTime, p.interfaceName, p.comment, hex(p.data)])).toEqual([
      ['1700000000.123456000', true, 'le-usec', 'section 1, microseconds', GOLDEN[0]!.hex],
      ['1700000002.500000000', true, 'be-pow2', 'section 2, 2^-20 s: half a second', GOLDEN[1]!.hex],
      ['1700000100.000000007', true, 'be-ns-offset', 'if_tsoffset 100 s', GOLDEN[2]!.hex],
      ['0.000000000', false, 'be-pow2', undefined, GOLDEN[3]!.hex],
    ]);
  });

  describe.skipIf(!toolsAvailable('tshark', 'capinfos'))('Wireshark agrees on the fixtures', () => {
    it('capinfos: big-endian pcap, Ethernet, 3 packets', () => {
      const r = run('capinfos', ['-t', '-E', '-c', join(FIX, 'bigendian-usec.pcap')]);
      expect(r.stdout).toMatch(/File type:\s+Wireshark\/tcpdump\/... - pcap\n/);
      expect(r.stdout).toMatch(/File encapsulation:\s+Ethernet/);
      expect(r.stdout).toMatch(/Number of packets:\s+3\n/);
    });
    it('tshark times equal virtkit times', () => {
      for (const f of ['bigendian-usec.pcap', 'multisection.pcapng']) {
        const back = readCapture(readFileSync(join(FIX, f))).filter((p) => p.hasTime);
        const r = run('tshark', ['-r', join(FIX, f), '-T', 'fields', '-e', 'frame.time_epoch']);
        // tshark 4.0 also lists the unknown block as an empty record: keep the timed ones.
        const times = r.stdout.split('\n').filter((l) => /^\d/.test(l));
        expect(times).toEqual(back.map((p) => formatTime(p.sec, p.nsec)));
      }
    });
  });
});
