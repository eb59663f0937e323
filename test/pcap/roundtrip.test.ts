import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CaptureReader, readCapture, CaptureError, parseTime, formatTime } from '../../src/pcap/index.js';
import { GOLDEN, fromHex, capture, type TestPacket } from './helpers.js';

const frames = GOLDEN.map((g) => fromHex(g.hex));

describe('pcap/pcapng write → read', () => {
  const packets: TestPacket[] = frames.map((data, i) => ({
    data,
    sec: 1_700_000_000 + i,
    nsec: (i * 123_456_789) % 1_000_000_000,
    comment: i % 3 === 0 ? `golden ${GOLDEN[i]!.name} — ünïcødé` : undefined,
  }));

  it('pcap (ns): header bytes as the format defines them', () => {
    const b = capture(packets.slice(0, 1), { format: 'pcap' });
    // magic a1b23c4d LE, version 2.4, thiszone 0, sigfigs 0, snaplen 262144, linktype 1
    expect(Buffer.from(b.subarray(0, 24)).toString('hex')).toBe('4d3cb2a1' + '02000400' + '00000000' + '00000000' + '00000400' + '01000000');
    expect(b.length).toBe(24 + 16 + frames[0]!.length);
  });

  it('pcap --usec: magic a1b2c3d4 and microseconds', () => {
    const b = capture([{ data: frames[0]!, sec: 5, nsec: 123_456_000 }], { format: 'pcap', usec: true });
    expect(Buffer.from(b.subarray(0, 4)).toString('hex')).toBe('d4c3b2a1');
    const dv = new DataView(b.buffer, b.byteOffset);
    expect(dv.getUint32(24, true)).toBe(5);
    expect(dv.getUint32(28, true)).toBe(123_456);
    expect(readCapture(b)[0]!.nsec).toBe(123_456_000);
  });

  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: every golden frame, time and comment comes back`, () => {
      const back = readCapture(capture(packets, { format }));
      expect(back).toHaveLength(packets.length);
      back.forEach((p, i) => {
        expect(Buffer.from(p.data).toString('hex')).toBe(GOLDEN[i]!.hex);
        expect([p.sec, p.nsec]).toEqual([packets[i]!.sec, packets[i]!.nsec]);
        expect(p.comment).toBe(format === 'pcapng' ? packets[i]!.comment : undefined);
        expect(p.linkType).toBe(1);
      });
    });
  }

  it('pcapng EPB layout: lengths, padding, opt_comment, opt_endofopt', () => {
    const data = Uint8Array.of(1, 2, 3, 4, 5); // 5 bytes → 3 bytes padding
    const b = capture([{ data, sec: 1, nsec: 2, comment: 'hé' }], { format: 'pcapng' });
    const dv = new DataView(b.buffer, b.byteOffset);
    // SHB: type, length = trailer
    const shbLen = dv.getUint32(4, true);
    expect(dv.getUint32(0, true)).toBe(0x0a0d0d0a);
    expect(dv.getUint32(8, true)).toBe(0x1a2b3c4d);
    expect(dv.getUint32(shbLen - 4, true)).toBe(shbLen);
    const idbLen = dv.getUint32(shbLen + 4, true);
    expect(dv.getUint32(shbLen, true)).toBe(1);
    const epb = shbLen + idbLen;
    expect(dv.getUint32(epb, true)).toBe(6);
    const epbLen = dv.getUint32(epb + 4, true);
    // 8 header + 20 fixed + 5 data + 3 pad + (4 + 3 'hé' + 1 pad) + 4 endofopt + 4 trailer = 52
    expect(epbLen).toBe(52);
    expect(epb + epbLen).toBe(b.length);
    expect(dv.getUint32(epb + epbLen - 4, true)).toBe(52);
    // timestamp 1 s + 2 ns = 1000000002 ns
    expect(dv.getUint32(epb + 12, true)).toBe(0);
    expect(dv.getUint32(epb + 16, true)).toBe(1_000_000_002);
    expect([...b.subarray(epb + 33, epb + 36)]).toEqual([0, 0, 0]);
    expect(dv.getUint16(epb + 36, true)).toBe(1);
    expect(dv.getUint16(epb + 38, true)).toBe(3);
    expect(Buffer.from(b.subarray(epb + 40, epb + 43)).toString('utf8')).toBe('hé');
    expect(dv.getUint32(epb + 44, true)).toBe(0); // opt_endofopt
  });

  it('pcapng 64-bit nanosecond timestamps stay exact far beyond 2^53', () => {
    const t = parseTime('18000000000.999999999'); // 1.8e19 ns > 2^53
    const b = capture([{ data: frames[0]!, ...t }], { format: 'pcapng' });
    const p = readCapture(b)[0]!;
    expect(formatTime(p.sec, p.nsec)).toBe('18000000000.999999999');
    const len = frames[0]!.length;
    const epb = b.length - (8 + 20 + len + ((4 - (len % 4)) % 4) + 4);
    const dv = new DataView(b.buffer, b.byteOffset);
    const units = (BigInt(dv.getUint32(epb + 12, true)) << 32n) | BigInt(dv.getUint32(epb + 16, true));
    expect(units).toBe(18000000000999999999n);
  });

  it('several interfaces: IDBs declared as names appear, packets refer to them', () => {
    const b = capture(
      [
        { data: frames[0]!, sec: 1, nsec: 0 },
        { data: frames[1]!, sec: 2, nsec: 0, iface: 'underlay' },
        { data: frames[2]!, sec: 3, nsec: 0, iface: 'overlay' },
        { data: frames[3]!, sec: 4, nsec: 0, iface: 'underlay' },
      ],
      { format: 'pcapng' },
    );
    const back = readCapture(b);
    expect(back.map((p) => [p.interfaceId, p.interfaceName])).toEqual([
      [0, 'virtkit0'],
      [1, 'underlay'],
      [2, 'overlay'],
      [1, 'underlay'],
    ]);
  });

  it('streams: any chunking of the input gives the same packets', () => {
    const b = capture(packets, { format: 'pcapng' });
    const want = readCapture(b);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const r = new CaptureReader();
        const got: string[] = [];
        let off = 0;
        let i = 0;
        while (off < b.length) {
          const n = sizes[i++ % sizes.length]!;
          r.push(b.slice(off, off + n));
          off += n;
          for (let p = r.next(); p; p = r.next()) got.push(Buffer.from(p.data).toString('hex') + p.sec + '.' + p.nsec + (p.comment ?? ''));
        }
        r.end();
        expect(r.next()).toBeNull();
        expect(got).toEqual(want.map((p) => Buffer.from(p.data).toString('hex') + p.sec + '.' + p.nsec + (p.comment ?? '')));
      }),
      { numRuns: 50 },
    );
  });

  for (const format of ['pcap', 'pcapng'] as const) {
    it(`property (${format}): any frames, times and comments survive write → read`, () => {
      const packet = fc.record({
        data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
        sec: fc.integer({ min: 0, max: format === 'pcap' ? 0xffffffff : 18_000_000_000 }),
        nsec: fc.integer({ min: 0, max: 999_999_999 }),
        comment: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), { nil: undefined }),
        iface: fc.option(fc.constantFrom('a', 'b', 'ü'), { nil: undefined }),
      });
      fc.assert(
        fc.property(fc.array(packet, { maxLength: 20 }), fc.integer({ min: 64, max: 2048 }), (pkts, chunk) => {
          const back = readCapture(capture(pkts, { format }, chunk));
          expect(back.length).toBe(pkts.length);
          back.forEach((p, i) => {
            const want = pkts[i]!;
            expect(p.data).toEqual(want.data);
            expect([p.sec, p.nsec]).toEqual([want.sec, want.nsec]);
            if (format === 'pcapng') {
              expect(p.comment).toBe(want.comment);
              expect(p.interfaceName).toBe(want.iface ?? 'virtkit0');
            }
          });
        }),
        { numRuns: 100 },
      );
    });
  }

  it('writer rejects what the format cannot hold, with a typed error', () => {
    expect(() => capture([{ data: new Uint8Array(16 * 1024 * 1024), sec: 0, nsec: 0 }], { format: 'pcap' })).toThrow(/exceeds the largest record virtkit reads back/);
    // Above the usual 256 KiB snaplen but within what the reader takes: written, read back.
    for (const format of ['pcap', 'pcapng'] as const) {
      const big = new Uint8Array(300 * 1024).map((_, i) => i & 0xff);
      const back = readCapture(capture([{ data: big, sec: 1, nsec: 2, comment: 'big' }], { format }));
      expect(back[0]!.data).toEqual(big);
    }
    expect(() => capture([{ data: frames[0]!, sec: 2 ** 32, nsec: 0 }], { format: 'pcap' })).toThrow(/32-bit seconds/);
    expect(() => capture([], { format: 'pcapng', usec: true })).toThrow(/pcap only/);
  });

  it('time text is parsed without floats', () => {
    expect(parseTime('1700000000.000000001')).toEqual({ sec: 1_700_000_000, nsec: 1 });
    expect(parseTime('1.5')).toEqual({ sec: 1, nsec: 500_000_000 });
    expect(parseTime('7')).toEqual({ sec: 7, nsec: 0 });
    expect(() => parseTime('1.0000000001')).toThrow(/at most 9 decimals/);
    // Before 1970 (decode's output for a negative if_tsoffset): the decimal is the whole value.
    expect(parseTime('-1')).toEqual({ sec: -1, nsec: 0 });
    expect(parseTime('-4.9999999')).toEqual({ sec: -5, nsec: 100 });
    expect(formatTime(-5, 100)).toBe('-4.999999900');
    expect(formatTime(1, 5)).toBe('1.000000005');
  });
});

describe('damaged captures: typed errors with the byte offset, packets before the damage first', () => {
  const three = (format: 'pcap' | 'pcapng') =>
    capture(
      frames.slice(0, 3).map((data, i) => ({ data, sec: i, nsec: 0, comment: 'c' })),
      { format },
    );
  function damage(b: Uint8Array): { packets: number; error: CaptureError } {
    try {
      readCapture(b);
    } catch (e) {
      expect(e).toBeInstanceOf(CaptureError);
      const ce = e as CaptureError;
      return { packets: ce.packets?.length ?? -1, error: ce };
    }
    throw new Error('no error');
  }

  it('bad magic at byte 0', () => {
    const b = three('pcap');
    b[0] = 0x00;
    const d = damage(b);
    expect(d.error.offset).toBe(0);
    expect(d.error.message).toMatch(/bad magic 0x/);
    expect(d.packets).toBe(0);
  });

  it('empty file', () => {
    expect(damage(new Uint8Array(0)).error.message).toMatch(/empty file/);
  });

  it('pcap record cut short: offset of the record, two packets first', () => {
    const b = three('pcap');
    const third = 24 + 16 + frames[0]!.length + 16 + frames[1]!.length;
    const d = damage(b.subarray(0, b.length - 3));
    expect(d.packets).toBe(2);
    expect(d.error.offset).toBe(third);
    expect(d.error.message).toMatch(/record cut short/);
  });

  it('pcapng block cut short and block length disagreeing with its trailer', () => {
    const b = three('pcapng');
    const dv = new DataView(b.buffer, b.byteOffset);
    // Walk to the third EPB.
    let off = 0;
    const starts: number[] = [];
    while (off < b.length) {
      starts.push(off);
      off += dv.getUint32(off + 4, true);
    }
    expect(starts).toHaveLength(2 + 3);
    const third = starts[4]!;
    const cut = damage(b.subarray(0, b.length - 1));
    expect([cut.packets, cut.error.offset]).toEqual([2, third]);
    const bad = b.slice();
    new DataView(bad.buffer).setUint32(bad.length - 4, 8, true);
    const t = damage(bad);
    expect([t.packets, t.error.offset]).toEqual([2, third]);
    expect(t.error.message).toMatch(/disagrees with its trailer 8/);
  });

  it('pcapng bad byte-order magic, bad block length, unknown interface', () => {
    const b = three('pcapng');
    const bom = b.slice();
    bom[8] = 0;
    expect(damage(bom).error.offset).toBe(8);
    const odd = b.slice();
    new DataView(odd.buffer).setUint32(4, 30, true);
    expect(damage(odd).error.message).toMatch(/block length 30 is not a multiple of 4/);
    const shbLen = new DataView(b.buffer, b.byteOffset).getUint32(4, true);
    const idbLen = new DataView(b.buffer, b.byteOffset).getUint32(shbLen + 4, true);
    const itf = b.slice();
    new DataView(itf.buffer).setUint32(shbLen + idbLen + 8, 3, true);
    const d = damage(itf);
    expect([d.packets, d.error.offset]).toEqual([0, shbLen + idbLen]);
    expect(d.error.message).toMatch(/interface 3/);
  });
});

describe('browser-safe core', () => {
  it('src/pcap and the demo frames import no Node module and use no Buffer', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('../helpers/cli.js');
    const files = readdirSync(join(ROOT, 'src', 'pcap'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(ROOT, 'src', 'pcap', f))
      .concat(join(ROOT, 'src', 'demo', 'frames.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/from 'node:|require\(|\bBuffer\.|\bprocess\./);
    }
  });
});
