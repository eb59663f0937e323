import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { GOLDEN_EXT_PATH, GOLDEN_PATH, SHARED_GOLDEN_EXT_PATH, SHARED_GOLDEN_PATH, loadGolden } from './helpers/golden.js';

describe('vendored golden vectors', () => {
  it('holds the 47 frames of shared/vectors', () => {
    const g = loadGolden<{ vectors: unknown[] }>();
    expect(g.vectors).toHaveLength(47);
  });
  it.skipIf(!existsSync(SHARED_GOLDEN_PATH))('is byte-identical to ../shared/vectors/golden.json', () => {
    expect(readFileSync(GOLDEN_PATH).equals(readFileSync(SHARED_GOLDEN_PATH))).toBe(true);
  });
  it.skipIf(!existsSync(SHARED_GOLDEN_EXT_PATH))('golden-ext.json is byte-identical to ../shared/vectors/golden-ext.json', () => {
    expect(readFileSync(GOLDEN_EXT_PATH).equals(readFileSync(SHARED_GOLDEN_EXT_PATH))).toBe(true);
  });
});
