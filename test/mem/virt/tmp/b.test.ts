import { it } from 'vitest';
import { runCases } from '../../../../bench/harness.js';
import { nestedCases } from '../../../../bench/nested.js';
import { PhysicalMemory } from '../../../../src/mem/phys.js';
import { PageTableBuilder } from '../../../../src/mem/builder.js';
import { PageWalker } from '../../../../src/mem/walker.js';
it('b', () => {
  const mem = new PhysicalMemory(32 << 20);
  const pt = new PageTableBuilder(mem, { tablesAt: 8 << 20, tablesEnd: 11 << 20 });
  for (let i = 0; i < 1024; i++) pt.map(0x7f00_0000_0000n + BigInt(i) * 0x100000n, (12 << 20) + ((i * 37) % 2048) * 4096, 4096, { w: true, u: true });
  const w = new PageWalker(mem);
  let next = 0;
  const native = { name: 'native-walk4', batch: 1024, fn() { let i = next; for (let n = 0; n < 1024; n++) { i = (i + 1) % 1024; const lo = (i * 1048576) >>> 0; const hi = 0x7f00 + Math.floor((i * 1048576) / 4294967296); w.walk(pt.cr3, hi, lo, 0, true); } next = i; } };
  runCases([native, ...nestedCases()], { maxTime: 1, log: (l) => console.log(l) });
});
