/**
 * scripts/bench-compare.mjs: bad input is one line and exit 2; a real comparison builds the base
 * commit in a temporary worktree, reports both builds' rates and their ratio per process, and
 * leaves no worktree behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SCRIPT = join(ROOT, 'scripts', 'bench-compare.mjs');
const run = (args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });
const inGit = existsSync(join(ROOT, '.git'));

describe('bench-compare', () => {
  it.each([
    [['--runs', 'x'], /--runs 'x' is not a positive integer/],
    [['--secs', '0'], /--secs '0' is not a positive number/],
    [['--frobnicate'], /unknown or incomplete option '--frobnicate'/],
    [['--suite', 'nosuch'], /no dist\/bench\/nosuch\.js/],
  ])('%j: one line, exit 2', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.runIf(inGit)('an unknown base is one line, exit 2', () => {
    const r = run(['--base', 'no-such-revision-anywhere']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("bench-compare: 'no-such-revision-anywhere' is not a commit of this repository");
  });

  it.runIf(inGit)('compares a case of this build with a build of HEAD, and removes the worktree', () => {
    const before = execFileSync('git', ['worktree', 'list'], { cwd: ROOT, encoding: 'utf8' });
    const r = run(['--base', 'HEAD', '--cases', 'decode-vxlan-156B', '--runs', '2', '--secs', '0.2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [result] = JSON.parse(r.stdout) as { name: string; base: string; baseOpsPerSec: number; opsPerSec: number; medianRatio: number; ratios: number[] }[];
    expect(result!.name).toBe('decode-vxlan-156B');
    expect(result!.base).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim());
    expect(result!.ratios).toHaveLength(2);
    expect(result!.baseOpsPerSec).toBeGreaterThan(0);
    expect(result!.opsPerSec).toBeGreaterThan(0);
    expect(execFileSync('git', ['worktree', 'list'], { cwd: ROOT, encoding: 'utf8' })).toBe(before);
  }, 120_000);
});
