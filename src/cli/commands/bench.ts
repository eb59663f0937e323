/**
 * `virtkit bench [translate|encode|pcap] [--json] [--filter NAME] [--time S]`.
 * Suites live in bench/<suite>.ts and export `cases(): BenchCase[]`.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseArgs, flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { runCases, saveResults, type BenchCase, type BenchResult } from '../../../bench/harness.js';

// A Map, not an object literal: a suite name typed by the user ("toString", "__proto__") must
// find nothing rather than an inherited property.
const SUITES = new Map<string, () => Promise<{ cases: () => BenchCase[] }>>([
  ['encode', () => import('../../../bench/encode.js')],
  ['pcap', () => import('../../../bench/pcap.js')],
  ['translate', () => import('../../../bench/translate.js')],
  ['netsim', () => import('../../../bench/netsim.js')],
]);

/** Where the figures go unless --out says otherwise: the current directory, never the package. */
export const DEFAULT_RESULTS_FILE = 'bench-results.json';

const help = `usage: virtkit bench [translate|encode|pcap|netsim] [--json] [--filter NAME] [--time SECONDS] [--out FILE]

Runs the benchmark suites with benchmark.js (all of them when no suite is named), prints
ops/s per case and merges the figures into ./${DEFAULT_RESULTS_FILE} (or --out FILE).
Cases with a baseline (the translate suite's naive-* twins) also print and record their
speed relative to it, measured in the same run.
  --json          print {"results": [{"name", "opsPerSec", "rme", "vsBaseline"?}]} on stdout
  --filter NAME   only cases whose name contains NAME
  --time SECONDS  minimum time per case (default 3)
  --out FILE      the results file to merge into (default ./${DEFAULT_RESULTS_FILE})
`;

export const command: Command = {
  summary: 'run the benchmarks (encode, pcap, translate, netsim)',
  help,
  async run(argv, io) {
    const p = parseArgs(argv, { json: 'bool', filter: 'string', time: 'string', out: 'string' });
    if (p.positional.length > 1) throw new UsageError(`expected at most one suite, got ${p.positional.join(' ')}`);
    const names = p.positional.length ? p.positional : [...SUITES.keys()];
    for (const n of names) if (!SUITES.has(n)) throw new UsageError(`unknown suite '${n}' (valid: ${[...SUITES.keys()].join(', ')})`);
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
      const mod = await SUITES.get(n)!();
      const log = json ? undefined : (l: string) => io.stdout(l + '\n');
      all.push(...runCases(mod.cases(), { maxTime, log, filter }));
    }
    if (all.length === 0) throw new UsageError(`--filter '${filter}' matches no case`);
    const out = flagString(p, 'out');
    if (out === '') throw new UsageError('--out: empty file name');
    saveResults(resolve(out ?? DEFAULT_RESULTS_FILE), all);
    if (json) io.stdout(JSON.stringify({ results: all.map(({ name, opsPerSec, rme, vsBaseline }) => ({ name, opsPerSec, rme, ...(vsBaseline === undefined ? {} : { vsBaseline }) })) }) + '\n');
    return 0;
  },
};
