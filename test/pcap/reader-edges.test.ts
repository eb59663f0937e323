/**
 * The capture reader at the edges of the formats, with tshark as the judge where it has an
 * opinion: obsolete Packet Blocks, out-of-range pcap fractions, a section header cut to its
 * block header, section-header options running past the block.
 */
import { describe, it, expect } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
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
