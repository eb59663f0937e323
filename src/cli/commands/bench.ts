/**
 * `virtkit bench [translate|encode|pcap] [--json] [--filter NAME] [--time S]`.
 * Suites live in bench/<suite>.ts and export `cases(): BenchCase[]`.
 */
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseArgs, flagBool, flagString, ownEntry } from '../args.js';
import type { Command } from '../command.js';
import { runCases, saveResults, type BenchCase, type BenchResult } from '../../../bench/harness.js';

const SUITES: Record<string, () => Promise<{ cases: () => BenchCase[] }>> = {
  encode: () => import('../../../bench/encode.js'),
  pcap: () => import('../../../bench/pcap.js'),
  translate: () => import('../../../bench/translate.js'),
  netsim: () => import('../../../bench/netsim.js'),
};

const help = `usage: virtkit bench [translate|encode|pcap] (or netsim) [--json] [--filter NAME] [--time SECONDS]

Runs the benchmark suites with benchmark.js (all of them when no suite is named), prints
ops/s per case and merges the figures into bench/results.json.
  --json          print {"results": [{"name", "opsPerSec", "rme"}]} on stdout
  --filter NAME   only cases whose name contains NAME
  --time SECONDS  minimum time per case (default 3)
`;

export const command: Command = {
  summary: 'run the benchmarks (encode, pcap, translate, netsim)',
  help,
  async run(argv, io) {
    const p = parseArgs(argv, { json: 'bool', filter: 'string', time: 'string' });
    if (p.positional.length > 1) throw new UsageError(`expected at most one suite, got ${p.positional.join(' ')}`);
    const names = p.positional.length ? p.positional : Object.keys(SUITES);
    for (const n of names) if (!ownEntry(SUITES, n)) throw new UsageError(`unknown suite '${n}' (valid: ${Object.keys(SUITES).join(', ')})`);
    const json = flagBool(p, 'json');
    const timeText = flagString(p, 'time');
    let maxTime = 3;
    if (timeText !== undefined) {
      // Seconds per case, fractions allowed (0.5 for a quick check).
      if (!/^\d+(\.\d+)?$/.test(timeText) || Number(timeText) > 600) throw new UsageError(`--time: '${timeText}' is not seconds from 0 to 600 (e.g. 0.5)`);
      maxTime = Number(timeText);
    }
    const filter = flagString(p, 'filter');
    const all: BenchResult[] = [];
    for (const n of names) {
      const mod = await SUITES[n]!();
      const log = json ? undefined : (l: string) => io.stdout(l + '\n');
      all.push(...runCases(mod.cases(), { maxTime, log, filter }));
    }
    if (all.length === 0) throw new UsageError(`--filter '${filter}' matches no case`);
    // The repository root: four levels above dist/src/cli/commands, three above src/cli/commands
    // (when run from source, as the tests do).
    const here = dirname(fileURLToPath(import.meta.url));
    const root = basename(resolve(here, '..', '..', '..')) === 'dist' ? resolve(here, '..', '..', '..', '..') : resolve(here, '..', '..', '..');
    saveResults(join(root, 'bench', 'results.json'), all);
    if (json) io.stdout(JSON.stringify({ results: all.map(({ name, opsPerSec, rme }) => ({ name, opsPerSec, rme })) }) + '\n');
    return 0;
  },
};
