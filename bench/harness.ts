/**
 * The benchmark harness every suite uses: benchmark.js runs each case; a case that does a batch
 * of `batch` operations per call reports opsPerSec = hz × batch, so nanosecond operations are
 * measured without benchmark.js's per-call overhead dominating.
 */
import Benchmark from 'benchmark';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface BenchCase {
  /** The case name the issues define, e.g. `encode-vxlan-156B`. */
  name: string;
  /** Operations done by one call of fn. */
  batch: number;
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
    opts.log?.(`${r.name.padEnd(24)} ${r.opsPerSec.toLocaleString('en-US').padStart(16)} ops/s ±${r.rme.toFixed(2)}% (${r.samples} samples)`);
    results.push(r);
  }
  return results;
}

/** Merge results into bench/results.json (keyed by case name) with the machine and date. */
export function saveResults(path: string, results: BenchResult[]): void {
  let prev: { results?: BenchResult[] } = {};
  try {
    prev = JSON.parse(readFileSync(path, 'utf8')) as { results?: BenchResult[] };
  } catch {
    // First run: no file yet.
  }
  const byName = new Map((prev.results ?? []).map((r) => [r.name, r]));
  for (const r of results) byName.set(r.name, r);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    JSON.stringify(
      {
        node: process.version,
        date: new Date().toISOString(),
        results: [...byName.values()],
      },
      null,
      2,
    ) + '\n',
  );
}
