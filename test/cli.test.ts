import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  it('without a command: exit 2, one line on stderr, nothing on stdout', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('virtkit: missing command (see virtkit --help)\n');
  });
  it('bench takes fractional --time and refuses a filter that matches nothing', async () => {
    const r = await runCli(['bench', 'encode', '--time', '0.5', '--filter', 'no-such-case', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("virtkit bench: --filter 'no-such-case' matches no case\n");
    const bad = await runCli(['bench', 'encode', '--time', '.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--time: '\.5' is not seconds/);
  });
  it('demo: an output folder that cannot be made is exit 2, one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtkit-demo-'));
    writeFileSync(join(dir, 'file'), 'x');
    const r = await runCli(['demo', '-o', join(dir, 'file', 'demo.pcapng')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot create its folder \(EEXIST\)/);
  });
});

describe('option errors name the option as typed', () => {
  it('-o without a value', async () => {
    const r = await runCli(['demo', '-o']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('virtkit demo: option -o needs a value\n');
  });
  it('a value given to a switch', async () => {
    const r = await runCli(['overhead', 'ether,ipv4,udp,vxlan,ether', '--json=yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('virtkit overhead: option --json takes no value\n');
  });
});
