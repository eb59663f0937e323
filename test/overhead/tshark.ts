/** Write packets to a temporary pcapng and ask tshark about them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Layer } from '../../src/net/index.js';
import { scenarioCapture } from '../../src/cli/commands/mtu.js';

let dir: string | undefined;

export function writeTempCapture(name: string, packets: { layers: Layer[]; comment?: string; time?: string }[]): string {
  dir ??= mkdtempSync(join(tmpdir(), 'virtkit-overhead-'));
  const path = join(dir, name);
  writeFileSync(
    path,
    scenarioCapture(packets.map((p, i) => ({ layers: p.layers, comment: p.comment ?? `frame ${i + 1}`, time: p.time ?? `1700000000.${String(i).padStart(9, '0')}` }))),
  );
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
