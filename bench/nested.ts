import type { BenchCase } from './harness.js';

// Placeholder until the virtualization issue (#7) adds `nested-walk24`.
export function nestedCases(): BenchCase[] {
  return [];
}
