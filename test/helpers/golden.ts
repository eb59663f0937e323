/**
 * The golden frames of shared/vectors (made by an independent implementation, scapy 2.5),
 * vendored in fixtures/vectors so a clone of this repository tests on its own. When the shared
 * folder sits beside the checkout (as on the project's machines and CI), the copy must be
 * identical to it: test/golden-copy.test.ts checks that.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const GOLDEN_PATH = join(ROOT, 'fixtures', 'vectors', 'golden.json');
export const SHARED_GOLDEN_PATH = join(ROOT, '..', 'shared', 'vectors', 'golden.json');
export const GOLDEN_EXT_PATH = join(ROOT, 'fixtures', 'vectors', 'golden-ext.json');
export const SHARED_GOLDEN_EXT_PATH = join(ROOT, '..', 'shared', 'vectors', 'golden-ext.json');

export function loadGolden<T = unknown>(): T {
  return JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as T;
}
