import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { virtCompareTable } from '../../../src/demo/virt.js';
import { nestedCases } from '../../../bench/nested.js';

describe('virtkit virt compare', () => {
  it('--json: the keys of cli.md, 4/24 references per miss, traps only under shadow paging', async () => {
    const r = await runCli(['virt', 'compare', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
    expect(Object.keys(j)).toEqual(['native', 'shadow', 'nested', 'vmSwitch']);
    for (const k of ['native', 'shadow', 'nested']) expect(Object.keys(j[k]!)).toEqual(['refsPerMiss', 'traps', 'tableBytes', 'hitRate']);
    expect(Object.keys(j.vmSwitch!)).toEqual(['flushedHitRate', 'taggedHitRate']);
    expect(j.native!.refsPerMiss).toBe(4);
    expect(j.shadow!.refsPerMiss).toBe(4);
    expect(j.nested!.refsPerMiss).toBe(24);
    expect(j.native!.traps).toBe(0);
    expect(j.nested!.traps).toBe(0);
    // The guest's page-table stores: building 512 pages into an empty 4-level tree writes
    // 3 upper entries + 512 PTEs; 32 protects write 1 entry, 32 remaps 2 (unmap, map).
    expect(j.shadow!.traps).toBe(3 + 512 + 32 + 32 * 2);
    // EPT for 8 MiB of RAM in 4 KiB pages: 4 page tables, a PD, a PDPT, a PML4.
    expect(j.nested!.tableBytes).toBe(7 * 4096);
    // Shadow tables for 512 pages in one 2 MiB-aligned run: PML4, PDPT, PD, one PT.
    expect(j.shadow!.tableBytes).toBe(4 * 4096);
    expect(j.native!.tableBytes).toBe(0);
    // Nested paging caches guest-virtual → host-physical: the same hits as native. Shadow
    // paging retries every hidden fault, so it looks up more and hits less.
    expect(j.nested!.hitRate).toBe(j.native!.hitRate);
    expect(j.shadow!.hitRate).toBeLessThan(j.native!.hitRate);
    expect(j.native!.hitRate).toBeGreaterThan(0.5);
    expect(j.vmSwitch!.taggedHitRate).toBeGreaterThan(j.vmSwitch!.flushedHitRate);
  });

  it('--levels 5: 5 and 35 references per miss', async () => {
    const r = await runCli(['virt', 'compare', '--levels', '5', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
    expect(j.native!.refsPerMiss).toBe(5);
    expect(j.shadow!.refsPerMiss).toBe(5);
    expect(j.nested!.refsPerMiss).toBe(35);
    expect(j.shadow!.traps).toBe(4 + 512 + 96);
  });

  it('text form: a small table, the same one the demo prints', async () => {
    const r = await runCli(['virt', 'compare']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('native'))).toMatch(/^native\s+4\.00\s+0\s+0\s+\d+\.\d%$/);
    expect(lines.find((l) => l.startsWith('nested'))).toMatch(/^nested\s+24\.00\s+0\s+28,672\s+\d+\.\d%$/);
    expect(lines.find((l) => l.startsWith('shadow'))).toMatch(/^shadow\s+4\.00\s+611\s+16,384\s+\d+\.\d%$/);
    expect(virtCompareTable()).toBe(r.stdout);
  });

  it('bad input: exit 2 and one line on stderr', async () => {
    for (const argv of [['virt'], ['virt', 'compare', '--levels', '3'], ['virt', 'frobnicate'], ['virt', 'compare', '--bogus'], ['virt', 'compare', 'extra']]) {
      const r = await runCli(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const h = await runCli(['virt', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('virt compare');
  });

  it('bench: nested-walk24 runs cold 24-reference walks', () => {
    const cases = nestedCases();
    expect(cases.map((c) => c.name)).toEqual(['nested-walk24']);
    const c = cases[0]!;
    c.setup!(); // throws unless its walk makes 24 references
    c.fn();
    expect(c.batch).toBe(1024);
  });
});
