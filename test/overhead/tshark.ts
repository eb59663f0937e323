/** Write packets to a temporary pcapng and ask tshark about them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Layer } from '../../src/net/index.js';
import { writeCaptureFile } from '../../src/node/build.js';

let dir: string | undefined;

export async function writeTempCapture(name: string, packets: { layers: Layer[]; comment?: string; time?: string }[]): Promise<string> {
  dir ??= mkdtempSync(join(tmpdir(), 'virtkit-overhead-'));
  const path = join(dir, name);
  await writeCaptureFile(path, packets, { format: 'pcapng' });
  return path;
}

/** tshark -r FILE ARGS…, stdout (throws with stderr on failure). */
export function tshark(file: string, ...args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** One row per frame of `-T fields` output, split on tabs. */
export function fields(file: string, filter: string | undefined, ...names: string[]): string[][] {
  const args = ['-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const n of names) args.push('-e', n);
  if (filter) args.push('-Y', filter);
  return tshark(file, '-2', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', ...args)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}
