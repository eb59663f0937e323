import type { BenchCase } from './harness.js';

// Placeholder until the issue that owns this suite lands.
export function cases(): BenchCase[] {
  return [];
}
