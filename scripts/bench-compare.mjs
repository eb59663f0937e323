// Compares bench cases of this checkout's build with a build of another commit, in the same
// processes (npm run bench:compare -- [--base REV] [--suite encode] [--cases a,b] [--runs N]
// [--secs S] [--json]).
//
// On a shared 2-core machine one build timed after the other differs by ±15% from run to run
// (CPU steal, and where V8's optimiser happens to inline). So each of N child processes loads
// both builds and alternates 50-ms slices of them for S seconds after a warm-up, which puts the
// same machine conditions on both; the children alternate which build goes first. The ratio of
// each child's two rates is one sample, and the median of the N samples is the figure.
//
// The base is checked out with `git worktree` into a temporary folder, built with tsc, and
// removed afterwards. Build this checkout first (npm run build).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = resolve(fileURLToPath(new URL('..', import.meta.url)));

function usage(message) {
  process.stderr.write(`bench-compare: ${message}\n`);
  process.exit(2);
}

if (process.argv[2] === '--child') {
  // --child SECS SUITE CASE ROOT_A ROOT_B: print the two rates (ops/ms) as JSON.
  const [secsText, suite, caseName, ...roots] = process.argv.slice(3);
  const secs = Number(secsText);
  const runs = [];
  for (const root of roots) {
    const mod = await import(pathToFileURL(join(root, 'dist', 'bench', `${suite}.js`)).href);
    const c = mod.cases().find((x) => x.name === caseName);
    if (!c) usage(`${root} has no case ${caseName} in suite ${suite}`);
    c.setup?.();
    runs.push({ c, ops: 0, ms: 0 });
  }
  for (const r of runs) {
    const t = performance.now();
    while (performance.now() - t < 500) r.c.fn();
  }
  const end = performance.now() + secs * 1000;
  while (performance.now() < end) {
    for (const r of runs) {
      const t0 = performance.now();
      let calls = 0;
      do {
        r.c.fn();
        calls++;
      } while (performance.now() - t0 < 50);
      r.ms += performance.now() - t0;
      r.ops += calls * r.c.batch;
    }
  }
  process.stdout.write(JSON.stringify(runs.map((r) => r.ops / r.ms)) + '\n');
  process.exit(0);
}

const args = process.argv.slice(2);
const opt = { base: 'HEAD~1', suite: 'encode', cases: 'encode-vxlan-156B,decode-vxlan-156B', runs: '8', secs: '4', json: false };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--json') opt.json = true;
  else if (a === '--help' || a === '-h') {
    process.stdout.write('usage: node scripts/bench-compare.mjs [--base REV] [--suite encode|pcap|translate|netsim] [--cases A,B] [--runs N] [--secs S] [--json]\n');
    process.exit(0);
  } else if (a.startsWith('--') && a.slice(2) in opt && args[i + 1] !== undefined) opt[a.slice(2)] = args[++i];
  else usage(`unknown or incomplete option '${a}' (try --help)`);
}
const runs = Number(opt.runs);
const secs = Number(opt.secs);
if (!(Number.isInteger(runs) && runs > 0)) usage(`--runs '${opt.runs}' is not a positive integer`);
if (!(secs > 0)) usage(`--secs '${opt.secs}' is not a positive number`);
if (!existsSync(join(here, 'dist', 'bench', `${opt.suite}.js`))) usage(`no dist/bench/${opt.suite}.js here: run npm run build first`);

let rev;
try {
  rev = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${opt.base}^{commit}`], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  usage(`'${opt.base}' is not a commit of this repository`);
}

const baseRoot = join(mkdtempSync(join(tmpdir(), 'virtkit-base-')), 'tree');
const log = (line) => {
  if (!opt.json) process.stdout.write(line + '\n');
};
try {
  execFileSync('git', ['worktree', 'add', '--detach', baseRoot, rev], { cwd: here, stdio: 'ignore' });
  symlinkSync(join(here, 'node_modules'), join(baseRoot, 'node_modules'), 'dir');
  log(`building ${rev.slice(0, 12)} in ${baseRoot}`);
  execFileSync(process.execPath, [join(here, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: baseRoot, stdio: 'inherit' });

  const results = [];
  for (const name of opt.cases.split(',')) {
    const ratios = [];
    const baseRates = [];
    const rates = [];
    for (let i = 0; i < runs; i++) {
      // Every other child runs this checkout first.
      const order = i % 2 === 0 ? [baseRoot, here] : [here, baseRoot];
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(secs), opt.suite, name, ...order], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`child for ${name} failed: ${child.stderr.trim().split('\n').pop()}`);
      const [first, second] = JSON.parse(child.stdout);
      const [b, c] = i % 2 === 0 ? [first, second] : [second, first];
      baseRates.push(b);
      rates.push(c);
      ratios.push(c / b);
    }
    const median = (xs) => {
      const s = [...xs].sort((x, y) => x - y);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const r = {
      name,
      base: rev,
      baseOpsPerSec: Math.round(median(baseRates) * 1000),
      opsPerSec: Math.round(median(rates) * 1000),
      medianRatio: Number(median(ratios).toFixed(4)),
      ratios: ratios.map((x) => Number(x.toFixed(4))).sort((x, y) => x - y),
    };
    results.push(r);
    log(`${name}: ${(r.opsPerSec / 1e6).toFixed(3)} M/s against ${(r.baseOpsPerSec / 1e6).toFixed(3)} M/s at ${rev.slice(0, 12)}; median ratio ${((r.medianRatio - 1) * 100).toFixed(1)}% over ${runs} processes [${r.ratios.map((x) => ((x - 1) * 100).toFixed(1)).join(' ')}]`);
  }
  if (opt.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
} catch (e) {
  process.stderr.write(`bench-compare: ${e.message.split('\n')[0]}\n`);
  process.exitCode = 1;
} finally {
  try {
    execFileSync('git', ['worktree', 'remove', '--force', baseRoot], { cwd: here, stdio: 'ignore' });
  } catch {
    rmSync(baseRoot, { recursive: true, force: true });
  }
  rmSync(resolve(baseRoot, '..'), { recursive: true, force: true });
}
