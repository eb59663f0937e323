/**
 * Memory of the built CLI when its output is read slowly: `decode` waits for stdout to drain
 * instead of queueing everything it decodes. Measured as the peak RSS (/usr/bin/time %M) of the
 * decode process piped into a reader that sleeps two seconds before reading anything, against
 * the same decode written to /dev/null. Without back-pressure the slow pipe cost the whole
 * output on top (145 MB against 83 MB for this 8 MB capture, and 1.7 GB for a 28 MB one with -v).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';

const BIN = join(ROOT, 'dist', 'src', 'cli', 'bin.js');
const HAVE = existsSync(BIN) && existsSync('/usr/bin/time');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'virtkit-memory-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A pcap of `n` 1400-byte Ethernet frames with an experimental EtherType (decoded as raw hex). */
function bigCapture(n: number): Buffer {
  const frame = Buffer.alloc(1400);
  Buffer.from('020000000002020000000001' + '88b5', 'hex').copy(frame);
  for (let i = 14; i < frame.length; i++) frame[i] = i & 0xff;
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b23c4d, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const rec = Buffer.alloc(16 + frame.length);
  rec.writeUInt32LE(1_700_000_000, 0);
  rec.writeUInt32LE(frame.length, 8);
  rec.writeUInt32LE(frame.length, 12);
  frame.copy(rec, 16);
  return Buffer.concat([header, ...Array.from({ length: n }, () => rec)]);
}

/** Peak RSS in MiB of `virtkit decode FILE --json` with its stdout redirected as `sink` says (shell syntax). */
function peakRss(file: string, sink: string): number {
  const rssFile = join(dir, `rss-${Math.random().toString(16).slice(2)}`);
  const r = spawnSync('sh', ['-c', `/usr/bin/time -f %M -o '${rssFile}' '${process.execPath}' '${BIN}' decode '${file}' --json ${sink}`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
}

describe.skipIf(!HAVE)('decode into a slow reader (built CLI)', () => {
  it('peak RSS stays that of a decode into /dev/null: output waits for the pipe to drain', () => {
    const file = join(dir, 'big.pcap');
    writeFileSync(file, bigCapture(6000)); // 8.5 MB in, 17 MB of JSON out
    const fast = peakRss(file, '> /dev/null');
    const slow = peakRss(file, '| (sleep 2; cat > /dev/null)');
    expect(fast).toBeGreaterThan(0);
    expect(slow).toBeLessThan(fast + 30);
  }, 60_000);
});

describe.skipIf(!HAVE)('one 16 MiB frame (built CLI)', () => {
  it('decode --json of it peaks well under 400 MB (hex by string appends took 1.15 GB and 17 s)', () => {
    const n = 16 * 1024 * 1024 - 64;
    const header = Buffer.alloc(24 + 16);
    header.writeUInt32LE(0xa1b23c4d, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(1, 20);
    header.writeUInt32LE(n, 32);
    header.writeUInt32LE(n, 36);
    const frame = Buffer.alloc(n);
    Buffer.from('020000000002020000000001' + '88b5', 'hex').copy(frame);
    for (let i = 14; i < n; i++) frame[i] = i & 0xff;
    const file = join(dir, 'huge.pcap');
    writeFileSync(file, Buffer.concat([header, frame]));
    expect(peakRss(file, '> /dev/null')).toBeLessThan(400);
  }, 60_000);
});

describe('hex of long byte strings', () => {
  it('bytesToHex equals Node\'s hex on both sides of its long-input path, with offsets', async () => {
    const { bytesToHex } = await import('../src/bytes/hex.js');
    const bytes = new Uint8Array(300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 7) & 0xff;
    for (const [s, e] of [[0, 0], [0, 1], [3, 67], [0, 64], [0, 65], [1, 66], [10, 300], [0, 300]] as const) {
      expect(bytesToHex(bytes, s, e)).toBe(Buffer.from(bytes.subarray(s, e)).toString('hex'));
    }
  });
});
