import { describe, expect, it } from 'vitest';
import { translationSummary } from '../../../src/demo/translation.js';
import { simulateSwitches } from '../../../src/mem/tlb-switch.js';
import { SKYLAKE } from '../../../src/mem/tlb-presets.js';

describe('translationSummary (virtkit demo)', () => {
  it('prints one row per workload with the simulator\'s own figures', () => {
    const text = translationSummary();
    const r = simulateSwitches({ procs: 4, quantum: 100, accesses: 40000, seed: 1, geometry: SKYLAKE });
    const row = text.split('\n').find((l) => /^\s+4\s+100\s/.test(l));
    expect(row).toBeDefined();
    const cols = row!.trim().split(/\s+/);
    expect(cols).toEqual(['4', '100', (100 * r.flush.hitRate).toFixed(2) + '%', String(r.flush.walks), (100 * r.pcid.hitRate).toFixed(2) + '%', String(r.pcid.walks)]);
    expect(r.pcid.walks).toBeLessThan(r.flush.walks);
  });
});
