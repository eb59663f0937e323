import { describe, it, expect } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('virtkit dispatcher', () => {
  it('lists commands with --help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: virtkit <command>/);
    expect(r.stdout).toMatch(/bench/);
  });
  it('rejects an unknown command with status 2 and one line', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
  it('rejects an unknown option of a subcommand with status 2', async () => {
    const r = await runCli(['bench', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --bogus/);
  });
});
