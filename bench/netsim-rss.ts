/**
 * Shows that `virtkit netsim` streams a JSON Lines scenario: a 48-port switch (the topology on
 * the first line) and COUNT host frames, one a line, go through a pipe into
 * `virtkit netsim - -o FILE` (`-`: JSON Lines from standard input), run under `/usr/bin/time -v`; the child's peak
 * resident set size is reported. The frames are 64-byte unicasts among 1000 hosts on 44 access
 * ports (VLANs 10-13), one millisecond apart, so after the first thousand every frame is
 * forwarded to one learnt port: the pcapng gets two records (in, out) per frame.
 *
 *   npm run build && node dist/bench/netsim-rss.js [COUNT] [OUT.pcapng]
 *
 * Prints {"frames", "bytes", "maxRssMiB", "seconds"}; run it with 1M and 10M frames to see the
 * peak stay flat. The pcapng (about 200 bytes per frame) is removed unless OUT is given.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const cli = () => (HERE.split(/[\\/]/).includes('dist') ? join(HERE, '..', 'src', 'cli', 'bin.js') : join(HERE, '..', 'dist', 'src', 'cli', 'bin.js'));

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const macHex = (h: number) => `02000000${hex2((h >> 8) & 0xff)}${hex2(h & 0xff)}`;
const portOf = (h: number) => h % 44;
const PAD = '00'.repeat(50);

export function topologyLine(): string {
  const ports = Array.from({ length: 48 }, (_, i) => (i < 44 ? { name: `p${i + 1}`, vlan: 10 + (i % 4) } : { name: `p${i + 1}`, trunks: [10, 11, 12, 13] }));
  return JSON.stringify({ switches: [{ name: 'br0', ports }] }) + '\n';
}

/** Event i: host i % 1000 sends to a host in the same VLAN on another port. */
export function eventLine(i: number): string {
  const src = i % 1000;
  const dst = (src + 4) % 1000;
  return `{"port":"br0/p${portOf(src) + 1}","hex":"${macHex(dst)}${macHex(src)}0800${PAD}"}\n`;
}

export async function measureNetsimRss(count: number, out: string): Promise<{ frames: number; bytes: number; maxRssMiB: number; seconds: number; code: number; stderr: string }> {
  const t0 = Date.now();
  const child = spawn('/usr/bin/time', ['-v', process.execPath, cli(), 'netsim', '-', '-o', out], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = once(child, 'close');
  let batch = topologyLine();
  for (let i = 0; i < count; i++) {
    batch += eventLine(i);
    if (batch.length > 1 << 16 || i === count - 1) {
      if (!child.stdin.write(batch)) await once(child.stdin, 'drain');
      batch = '';
    }
  }
  child.stdin.end();
  const [code] = (await exited) as [number];
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return {
    frames: count,
    bytes: code === 0 ? statSync(out).size : 0,
    maxRssMiB: m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : -1,
    seconds: (Date.now() - t0) / 1000,
    code,
    stderr: stderr.split('\n').filter((l) => l.startsWith('virtkit')).join('\n'),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 10_000_000);
  const out = process.argv[3] ?? join(tmpdir(), `virtkit-netsim-rss-${process.pid}.pcapng`);
  const r = await measureNetsimRss(count, out);
  if (process.argv[3] === undefined && r.code === 0) unlinkSync(out);
  console.log(JSON.stringify(r));
  process.exitCode = r.code;
}
