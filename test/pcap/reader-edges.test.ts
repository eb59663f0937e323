/**
 * The capture reader at the edges of the formats, with tshark as the judge where it has an
 * opinion: obsolete Packet Blocks, out-of-range pcap fractions, a section header cut to its
 * block header, section-header options running past the block.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsAvailable } from '../helpers/tools.js';
import { spawnCli } from '../helpers/cli.js';
import { CaptureError, readCapture } from '../../src/pcap/index.js';

const HAVE_TSHARK = toolsAvailable('tshark');
const dir = mkdtempSync(join(tmpdir(), 'virtkit-reader-edges-'));

/** A 60-byte Ethernet frame with an experimental EtherType. */
const FRAME = new Uint8Array(60);
FRAME.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]);

class Bytes {
  private parts: number[] = [];
  u8(...v: number[]): this {
    this.parts.push(...v);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, v >>> 8);
  }
  u32(v: number): this {
    return this.u8(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }
  bytes(b: Uint8Array): this {
    this.parts.push(...b);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A little-endian block: type, length, body, length. */
function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  return new Bytes().u32(type).u32(total).bytes(body).u32(total).done();
}

const SHB = block(0x0a0d0d0a, new Bytes().u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).done());
/** Ethernet, snaplen 0, microsecond resolution (no if_tsresol). */
const IDB = block(1, new Bytes().u16(1).u16(0).u32(0).done());

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function tsharkTimes(file: string): string[] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.comment'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

describe('obsolete Packet Block (type 2)', () => {
  // 1700000000.25 s in microseconds = 0x60a24181e4 ... computed exactly with a bigint.
  const us = 1_700_000_000_250_000n;
  const comment = new TextEncoder().encode('old writer');
  const pb = block(
    2,
    new Bytes()
      .u16(0) // interface id
      .u16(0) // drops
      .u32(Number(us >> 32n))
      .u32(Number(us & 0xffffffffn))
      .u32(FRAME.length)
      .u32(FRAME.length)
      .bytes(FRAME)
      .u16(1)
      .u16(comment.length)
      .bytes(comment)
      .u8(0, 0) // pad 10 → 12
      .u32(0) // opt_endofopt
      .done(),
  );
  const file = concat(SHB, IDB, pb);

  it('is read like an EPB: time, data and comment', () => {
    const [p] = readCapture(file);
    expect(p!.sec).toBe(1_700_000_000);
    expect(p!.nsec).toBe(250_000_000);
    expect(p!.data).toEqual(FRAME);
    expect(p!.comment).toBe('old writer');
  });
  it.runIf(HAVE_TSHARK)('tshark reads the same packet', () => {
    const path = write('pb.pcapng', file);
    expect(tsharkTimes(path)).toEqual(['1700000000.250000000\t60\told writer']);
    const r = spawnCli(['decode', path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { packets: { time: string; comment: string }[] };
    expect(doc.packets.map((p) => [p.time, p.comment])).toEqual([['1700000000.250000000', 'old writer']]);
  });
});

describe('pcap records whose fraction is a second or more', () => {
  // tshark reads on (it shows "100.1500000000" for 1 500 000 µs); the decode must not stop.
  function pcap(frac: number): Uint8Array {
    const h = new Bytes().u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1).done();
    const r1 = new Bytes().u32(100).u32(frac).u32(FRAME.length).u32(FRAME.length).bytes(FRAME).done();
    const r2 = new Bytes().u32(200).u32(5).u32(FRAME.length).u32(FRAME.length).bytes(FRAME).done();
    return concat(h, r1, r2);
  }
  it('carries whole seconds over and goes on to the next record', () => {
    const ps = readCapture(pcap(1_500_000));
    expect(ps.map((p) => [p.sec, p.nsec])).toEqual([
      [101, 500_000_000],
      [200, 5000],
    ]);
  });
  it.runIf(HAVE_TSHARK)('tshark reads both records too', () => {
    const path = write('frac.pcap', pcap(1_500_000));
    expect(tsharkTimes(path)).toHaveLength(2);
    const r = spawnCli(['decode', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });
});

describe('a damaged section header', () => {
  it('a 16-byte section header at the end: the frames before it, then the offset of the damage', () => {
    const epb = block(6, new Bytes().u32(0).u32(0).u32(1).u32(FRAME.length).u32(FRAME.length).bytes(FRAME).done());
    const short = new Bytes().u32(0x0a0d0d0a).u32(16).u32(0x1a2b3c4d).u32(16).done();
    const bytes = concat(SHB, IDB, epb, short);
    let err: unknown;
    try {
      readCapture(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).offset).toBe(SHB.length + IDB.length + epb.length);
    expect((err as CaptureError).packets).toHaveLength(1);
    const path = write('short-shb.pcapng', bytes);
    const r = spawnCli(['decode', path]);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`at byte ${SHB.length + IDB.length + epb.length}: section header of 16 bytes is too short`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
  it('a section-header option running past its block is damage at the option', () => {
    const body = new Bytes().u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).u16(4).u16(200).u32(0).done();
    const bytes = concat(block(0x0a0d0d0a, body), IDB);
    expect(() => readCapture(bytes)).toThrow(/at byte 24: option 4 of 200 bytes runs past the end of its block/);
  });
});

describe('decode --json keeps what build needs to write the capture back', () => {
  /** An option: code, length, value padded to 4. */
  function option(code: number, value: Uint8Array): Uint8Array {
    const b = new Bytes().u16(code).u16(value.length).bytes(value);
    while (b.length % 4) b.u8(0);
    return b.done();
  }
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const tsresol9 = option(9, Uint8Array.of(9));
  const end = new Uint8Array(4);
  const idb = (linkType: number, name: string): Uint8Array => block(1, concat(new Bytes().u16(linkType).u16(0).u32(0).done(), option(2, text(name)), tsresol9, end));
  const epb = (itf: number, ns: bigint, data: Uint8Array, comments: string[]): Uint8Array => {
    const b = new Bytes().u32(itf).u32(Number(ns >> 32n)).u32(Number(ns & 0xffffffffn)).u32(data.length).u32(data.length).bytes(data);
    while (b.length % 4) b.u8(0);
    const opts = comments.length ? concat(...comments.map((c) => option(1, text(c))), end) : new Uint8Array(0);
    return block(6, concat(b.done(), opts));
  };
  // A raw IPv4 packet (link type 101): a 20-byte header with no payload.
  const ip = Uint8Array.from([0x45, 0, 0, 20, 0, 1, 0, 0, 64, 253, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
  const original = concat(
    SHB,
    idb(1, 'eth0'),
    idb(101, 'tun0'),
    epb(0, 1_700_000_000_000_000_001n, FRAME, ['first note', 'second note']),
    epb(1, 1_700_000_001_000_000_000n, ip, []),
    epb(0, 1_700_000_002_000_000_000n, FRAME, ['only one']),
  );

  it('interface names, link types and every comment survive decode → build', () => {
    const src = write('multi.pcapng', original);
    const d = spawnCli(['decode', src, '--json']);
    expect(d.code, d.stderr).toBe(0);
    const doc = JSON.parse(d.stdout) as { packets: Record<string, unknown>[] };
    expect(doc.packets.map((p) => [p.interface, p.linkType, p.comment, p.comments])).toEqual([
      ['eth0', undefined, undefined, ['first note', 'second note']],
      ['tun0', 101, undefined, undefined],
      ['eth0', undefined, 'only one', undefined],
    ]);
    const spec = write('multi.json', d.stdout);
    const out = join(dir, 'rebuilt.pcapng');
    const b = spawnCli(['build', spec, '-o', out]);
    expect(b.code, b.stderr).toBe(0);
    expect(readCapture(new Uint8Array(readFileSync(out))).map((p) => [p.interfaceName, p.linkType, p.comments ?? p.comment, p.sec, p.nsec, p.data.length])).toEqual([
      ['eth0', 1, ['first note', 'second note'], 1_700_000_000, 1, 60],
      ['tun0', 101, undefined, 1_700_000_001, 0, 20],
      ['eth0', 1, 'only one', 1_700_000_002, 0, 60],
    ]);
  });
  it.runIf(HAVE_TSHARK)('tshark sees the same interfaces, link types, comments and times in both files', () => {
    const fields = (f: string): string => {
      const r = spawnSync('tshark', ['-r', f, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.encap_type', '-e', 'frame.comment', '-e', 'frame.time_epoch', '-e', 'frame.len'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const src = write('multi2.pcapng', original);
    const spec = write('multi2.json', spawnCli(['decode', src, '--json']).stdout);
    const out = join(dir, 'rebuilt2.pcapng');
    expect(spawnCli(['build', spec, '-o', out]).code).toBe(0);
    expect(fields(out)).toBe(fields(src));
    expect(fields(src)).toMatch(/first note,second note/);
  });
  it('pcap holds one link type: a non-Ethernet packet is refused with one line', () => {
    const spec = write('lt.json', JSON.stringify({ packets: [{ layers: [{ layer: 'raw', hex: '00' }], linkType: 101 }] }));
    const r = spawnCli(['build', spec, '-o', join(dir, 'lt.pcap')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/link type 101: a pcap file holds one link type/);
  });
});

describe('times at the edges', () => {
  function option(code: number, value: Uint8Array): Uint8Array {
    const b = new Bytes().u16(code).u16(value.length).bytes(value);
    while (b.length % 4) b.u8(0);
    return b.done();
  }
  /** Interface with if_tsresol `resol` (and if_tsoffset when given), one EPB at `units`. */
  function capture(resol: number, units: bigint, offset?: bigint): Uint8Array {
    const off = offset === undefined ? new Uint8Array(0) : (() => {
      const v = new DataView(new ArrayBuffer(8));
      v.setBigInt64(0, offset, true);
      return option(14, new Uint8Array(v.buffer));
    })();
    const idb = block(1, concat(new Bytes().u16(1).u16(0).u32(0).done(), option(9, Uint8Array.of(resol)), off, new Uint8Array(4)));
    const epb = block(6, new Bytes().u32(0).u32(Number(units >> 32n)).u32(Number(units & 0xffffffffn)).u32(FRAME.length).u32(FRAME.length).bytes(FRAME).done());
    return concat(SHB, idb, epb);
  }
  it.runIf(HAVE_TSHARK)('a time beyond 2^53 seconds is exact, as tshark prints it', () => {
    const path = write('big-sec.pcapng', capture(0, 2n ** 53n + 1n));
    const t = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8' });
    expect(t.stdout.trim()).toBe('9007199254740993.000000000');
    const r = spawnCli(['decode', path, '--json']);
    expect((JSON.parse(r.stdout) as { packets: { time: string }[] }).packets[0]!.time).toBe('9007199254740993.000000000');
  });
  it('before 1970 (a negative if_tsoffset): the decimal is the whole value, and build reads it back', () => {
    // if_tsoffset -10 s, 5 ns after it: -9.999999995 s.
    const [p] = readCapture(capture(9, 5n, -10n));
    expect([p!.sec, p!.nsec]).toEqual([-10, 5]);
    const path = write('neg.pcapng', capture(9, 5n, -10n));
    const r = spawnCli(['decode', path, '--json']);
    const doc = JSON.parse(r.stdout) as { packets: { time: string }[] };
    expect(doc.packets[0]!.time).toBe('-9.999999995');
    const spec = write('neg.json', r.stdout);
    const b = spawnCli(['build', spec, '-o', join(dir, 'neg-out.pcapng')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/time -9\.999999995 is before 1970/);
  });
});
