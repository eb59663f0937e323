/**
 * The two guards that keep the core browser-safe can fail: tsconfig.core.json (no Node types)
 * rejects a Node API, and the browser build (esbuild, platform browser) rejects a node: import.
 * Checked on a scratch file outside the repository, with the core's own settings (the browser
 * build's esbuild options come from scripts/build-browser.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs script without declarations
import { BROWSER_OPTIONS } from '../../scripts/build-browser.mjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'virtkit-core-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tscCore(source: string): { status: number | null; out: string } {
  writeFileSync(join(dir, 'leak.ts'), source);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: join(ROOT, 'tsconfig.core.json'), compilerOptions: { incremental: false, rootDir: dir }, include: [join(dir, 'leak.ts')], exclude: [] }),
  );
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('the core stays browser-safe', () => {
  it('tsconfig.core.json accepts typed arrays and rejects node: modules and Node globals', () => {
    expect(tscCore('export const x = new DataView(new ArrayBuffer(8)).getUint32(0);\n').status).toBe(0);
    const fs = tscCore("import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    expect(fs.status).not.toBe(0);
    expect(fs.out).toContain("Cannot find module 'node:fs'");
    const proc = tscCore('export const x = process.env.HOME;\n');
    expect(proc.status).not.toBe(0);
    expect(proc.out).toContain("Cannot find name 'process'");
  });

  it('the browser build refuses a node: import', async () => {
    writeFileSync(join(dir, 'entry.ts'), "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    expect(BROWSER_OPTIONS.platform).toBe('browser');
    await expect(build({ ...BROWSER_OPTIONS, entryPoints: [join(dir, 'entry.ts')], outfile: join(dir, 'out.js'), write: false, logLevel: 'silent' })).rejects.toThrow(/node:fs/);
  });
});
