/**
 * The benchmark harness every suite uses: benchmark.js runs each case; a case that does a batch
 * of `batch` operations per call reports opsPerSec = hz × batch, so nanosecond operations are
 * measured without benchmark.js's per-call overhead dominating.
 */
import Benchmark from 'benchmark';
import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { UsageError } from '../src/errors.js';
import { dirname } from 'node:path';

export interface BenchCase {
  /** The case name the issues define, e.g. `encode-vxlan-156B`. */
  name: string;
  /** Operations done by one call of fn. */
  batch: number;
  /**
   * Another case of the same suite this one is measured against (run before it, in the same
   * process): the result then carries opsPerSec / the baseline's as vsBaseline.
   */
  baseline?: string;
  /** Called once before timing (allocate buffers, build tables). */
  setup?: () => void;
  fn: () => void;
}

export interface BenchResult {
  name: string;
  opsPerSec: number;
  /** Relative margin of error in percent, as benchmark.js reports it. */
  rme: number;
  samples: number;
  /** The baseline case's name and this case's speed relative to it, when it has one. */
  baseline?: string;
  vsBaseline?: number;
}

export interface BenchOptions {
  /** Minimum seconds per case (benchmark.js maxTime). */
  maxTime?: number;
  log?: (line: string) => void;
  /** Only run cases whose name includes this string. */
  filter?: string;
}

export function runCases(cases: BenchCase[], opts: BenchOptions = {}): BenchResult[] {
  const results: BenchResult[] = [];
  for (const c of cases) {
    if (opts.filter && !c.name.includes(opts.filter)) continue;
    c.setup?.();
    const bench = new Benchmark(c.name, c.fn, { maxTime: opts.maxTime ?? 3, minSamples: 10 });
    bench.run({ async: false });
    if (bench.error) throw bench.error;
    const r: BenchResult = {
      name: c.name,
      opsPerSec: Math.round(bench.hz * c.batch),
      rme: Math.round(bench.stats.rme * 100) / 100,
      samples: bench.stats.sample.length,
    };
    const base = c.baseline === undefined ? undefined : results.find((x) => x.name === c.baseline);
    if (base !== undefined && base.opsPerSec > 0) {
      r.baseline = base.name;
      r.vsBaseline = Math.round((r.opsPerSec / base.opsPerSec) * 10) / 10;
    }
    const vs = r.vsBaseline === undefined ? '' : `  ${r.vsBaseline.toFixed(1)}x ${r.baseline}`;
    opts.log?.(`${r.name.padEnd(24)} ${r.opsPerSec.toLocaleString('en-US').padStart(16)} ops/s ±${r.rme.toFixed(2)}% (${r.samples} samples)${vs}`);
    results.push(r);
  }
  return results;
}

/** Merge results into the results file at `path` (keyed by case name) with the Node version and date. */
export function saveResults(path: string, results: BenchResult[]): void {
  let prev: { results?: BenchResult[] } = {};
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // First run: no file yet.
  }
  if (text !== null) {
    // Merge only into a results file: anything else at that path is the user's, left alone.
    try {
      prev = JSON.parse(text) as { results?: BenchResult[] };
    } catch {
      prev = {};
    }
    if (prev === null || typeof prev !== 'object' || !Array.isArray(prev.results)) throw new UsageError(`${path} exists and is not a benchmark results file; choose another with --out`);
  }
  const byName = new Map((prev.results ?? []).map((r) => [r.name, r]));
  for (const r of results) byName.set(r.name, r);
  mkdirSync(dirname(path), { recursive: true });
  // A temporary file renamed over the old one: a failed write never leaves half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ node: process.version, date: new Date().toISOString(), results: [...byName.values()] }, null, 2) + '\n');
  renameSync(tmp, path);
}
