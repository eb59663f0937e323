/**
 * Run the CLI in-process (no build needed) and capture what it prints, or spawn the built
 * binary for end-to-end checks.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: false,
  });
  return { code, stdout, stderr };
}

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Spawn the built `virtkit` (npm test builds first). */
export function spawnCli(argv: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'bin.js'), ...argv], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
