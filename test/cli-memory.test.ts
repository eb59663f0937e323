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
