/**
 * Shows that `virtkit build` streams: N packets (default 5 million) of JSON Lines go through a
 * pipe into `virtkit build - --jsonl -o FILE`, run under `/usr/bin/time -v`, and the child's
 * peak resident set size is reported. The packets are the 156-byte VXLAN frame with a
 * different VNI, outer source port and time each, and a comment on every tenth.
 *
 *   npm run build && node dist/bench/rss-5m.js [COUNT] [pcap|pcapng]
 *
 * Prints {"packets", "bytes", "maxRssMiB", "seconds", "file"} and checks the packet count by
 * reading the file back.
 */
import { spawn } from 'node:child_process';
import { statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const HERE = dirname(fileURLToPath(import.meta.url));

/** dist/bench → dist/src/cli/bin.js; under vitest (bench/*.ts) the built one in dist. */
function cliPath(): string {
  const inDist = HERE.split(/[\\/]/).includes('dist');
  return inDist ? join(HERE, '..', 'src', 'cli', 'bin.js') : join(HERE, '..', 'dist', 'src', 'cli', 'bin.js');
}

export function packetLine(i: number): string {
  const vni = 1 + (i % 16_000_000);
  const sport = 49152 + (i % 16384);
  const sec = 1_700_000_000 + Math.floor(i / 1_000_000);
  const nsec = (i % 1_000_000) * 1000 + 1;
  const comment = i % 10 === 0 ? `,"comment":"packet ${i}"` : '';
  return (
    `{"time":"${sec}.${String(nsec).padStart(9, '0')}"${comment},"layers":[` +
    `{"layer":"ether","dst":"02:00:00:00:00:02","src":"02:00:00:00:00:01"},` +
    `{"layer":"ipv4","src":"192.0.2.1","dst":"192.0.2.2","flags":"DF","id":${i & 0xffff}},` +
    `{"layer":"udp","sport":${sport},"dport":4789,"chksum":0},{"layer":"vxlan","vni":${vni}},` +
    `{"layer":"ether","dst":"0a:00:00:00:00:02","src":"0a:00:00:00:00:01"},` +
    `{"layer":"ipv4","src":"10.0.0.1","dst":"10.0.0.2"},{"layer":"udp","sport":1234,"dport":5678},` +
    `{"layer":"raw","hex":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"}]}\n`
  );
}

export interface RssResult {
  packets: number;
  bytes: number;
  maxRssMiB: number;
  seconds: number;
  file: string;
  code: number;
  stderr: string;
}

/** Run the pipe and measure. The file is left for the caller (removed when `keep` is false). */
export async function measureBuildRss(count: number, format: 'pcap' | 'pcapng' = 'pcapng', keep = false): Promise<RssResult> {
  const file = join(tmpdir(), `virtkit-rss-${process.pid}.${format}`);
  const t0 = Date.now();
  const child = spawn('/usr/bin/time', ['-v', process.execPath, cliPath(), 'build', '-', '--jsonl', '-o', file, '--json'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = once(child, 'close');
  // Write in batches of lines, waiting for the pipe to drain: the generator stays small too.
  let batch = '';
  for (let i = 0; i < count; i++) {
    batch += packetLine(i);
    if (batch.length > 1 << 16 || i === count - 1) {
      if (!child.stdin.write(batch)) await once(child.stdin, 'drain');
      batch = '';
    }
  }
  child.stdin.end();
  const [code] = (await exited) as [number];
  const seconds = (Date.now() - t0) / 1000;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  let summary: { packets?: number; bytes?: number } = {};
  try {
    summary = JSON.parse(stdout) as typeof summary;
  } catch {
    // reported through code/stderr
  }
  const bytes = code === 0 ? statSync(file).size : 0;
  if (!keep && code === 0) unlinkSync(file);
  return {
    packets: summary.packets ?? -1,
    bytes,
    maxRssMiB: m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : -1,
    seconds,
    file,
    code,
    stderr: stderr.split('\n').filter((l) => l.startsWith('virtkit')).join('\n'),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 5_000_000);
  const format = (process.argv[3] ?? 'pcapng') as 'pcap' | 'pcapng';
  const r = await measureBuildRss(count, format, true);
  // Count the packets in the file with virtkit's reader (streamed too).
  const { readCaptureFile } = await import('../src/node/capture-file.js');
  let n = 0;
  if (r.code === 0) for await (const _ of readCaptureFile(r.file)) n++;
  if (r.code === 0) unlinkSync(r.file);
  console.log(JSON.stringify({ ...r, readBack: n }));
  process.exitCode = r.code === 0 && n === count ? 0 : 1;
}
