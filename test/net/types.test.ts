/**
 * The layer types reject misspelt fields, wrong value types, missing required fields and unknown
 * kinds at compile time: tsc --noEmit on test/types/layers.typecheck.ts, whose every
 * `@ts-expect-error` line must be an error (tsc reports an unused directive otherwise).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('layer types', () => {
  it('tsc --noEmit: the expected errors and no others', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'test', 'types', 'tsconfig.json')], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out).toBe('');
  }, 60_000);
});
