/**
 * The translation part of `virtkit demo`: a small context-switch workload (tlb-switch.ts) on the
 * Skylake TLB preset, with a flush at every switch versus PCID tags, as a short text table.
 */
import { simulateSwitches } from '../mem/tlb-switch.js';
import { SKYLAKE } from '../mem/tlb-presets.js';

export function translationSummary(): string {
  const rows: string[] = [];
  const head = `${'processes'.padStart(9)} ${'quantum'.padStart(8)}  ${'flush: hit rate'.padStart(15)} ${'walks'.padStart(7)}  ${'PCID: hit rate'.padStart(14)} ${'walks'.padStart(7)}`;
  for (const [procs, quantum] of [
    [4, 100],
    [4, 1000],
    [16, 1000],
  ] as const) {
    const r = simulateSwitches({ procs, quantum, accesses: 40000, seed: 1, geometry: SKYLAKE });
    const pct = (x: number): string => (100 * x).toFixed(2) + '%';
    rows.push(`${String(procs).padStart(9)} ${String(quantum).padStart(8)}  ${pct(r.flush.hitRate).padStart(15)} ${String(r.flush.walks).padStart(7)}  ${pct(r.pcid.hitRate).padStart(14)} ${String(r.pcid.walks).padStart(7)}`);
  }
  return [
    'Context switches on a Skylake-like TLB (L1 DTLB 64 x 4-way for 4K, STLB 1536 x 12-way): 40000',
    'reads over 4-level page tables, 64 pages per process + 8 shared global kernel pages; a flush at',
    'every switch versus PCID tags (more: virtkit tlb switch --procs N --quantum Q):',
    head,
    ...rows,
    '',
  ].join('\n');
}
