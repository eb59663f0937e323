/**
 * Cross-check against QEMU, which nobody here wrote: `virtkit pt build` images (4- and 5-level,
 * 4K/2M/1G pages in both halves) are loaded as guest RAM into a stopped qemu-system-x86_64, the
 * vCPU is put into long mode with paging through the gdbstub (see qemu.ts), and QEMU's own
 * translation is read back with the monitor:
 *  - `info tlb`: one line per present leaf, `VA: PA XGPDACTUW` (XD, G, PS, D, A, PCD, PWT, U/S,
 *    R/W of the LEAF only, no page size; PAT is not shown: QEMU clears bit 7 of a PTE before
 *    printing and bit 12 of a large leaf goes with the PA mask). QEMU 7.2 masks
 *    the PA with bits 49:12 (…/49:21/49:30), so PA bits 50–51 are dropped there: we compare
 *    info tlb's PA with ours masked the same way, and check the full PA with gva2gpa.
 *  - `gva2gpa ADDR`: QEMU's debug walk of one address (x86_cpu_get_phys_page_attrs_debug).
 * What QEMU's debug walkers do NOT do, and so what this test does not compare: they check no
 * reserved bits (an entry with PS set in a PML4E is just walked as a table, bits 20:13 of a 2M
 * leaf are masked away), no access rights at all (U/S, R/W, XD, SMEP/SMAP, WP are ignored: any
 * present path translates), and set no A/D bits. Those rules are checked against the SDM in
 * test/mem/pt/. Here: the set of leaves, their VA, PA, size and flags, and the translation of
 * an address inside every page, plus holes and non-canonical addresses ("Unmapped").
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsAvailable } from '../helpers/tools.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { PhysicalMemory } from '../../src/mem/phys.js';
import { ACCESS_READ, PageWalker, WALK_GP, WALK_OK, WALK_PF } from '../../src/mem/walker.js';
import { vaHi, vaLo } from '../../src/mem/va.js';
import { QemuGuest, type PagingRegs } from './qemu.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-pt-qemu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface MapEntry {
  va: string;
  pa: string;
  size: '4K' | '2M' | '1G';
  flags: string[];
}
interface MapFile {
  levels: 4 | 5;
  memBytes: string;
  tablesAt: string;
  nxe: boolean;
  mappings: MapEntry[];
}

const SIZE: Record<string, bigint> = { '4K': 0x1000n, '2M': 0x20_0000n, '1G': 0x4000_0000n };

/** xorshift: a fixed seed, so the random mappings are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

/**
 * Add `count` random, non-overlapping mappings in both halves of the address space, each size,
 * random flags, physical addresses up to 2^52 (some with bits 50/51 set).
 */
function addRandomMappings(map: MapFile, count: number, seed: number): void {
  const r = rng(seed);
  const rand64 = (): bigint => (BigInt(r()) << 32n) | BigInt(r());
  const width = map.levels === 5 ? 57n : 48n;
  const taken: [bigint, bigint][] = map.mappings.map((m) => {
    const va = BigInt.asUintN(64, BigInt(m.va));
    return [va, va + SIZE[m.size]!];
  });
  const flagPool = ['w', 'u', 'pwt', 'pcd', 'a', 'd', 'g', 'nx', 'pat'];
  let added = 0;
  while (added < count) {
    const size = (['4K', '2M', '1G'] as const)[r() % 3]!;
    const bytes = SIZE[size]!;
    // Cluster addresses in a few top-level slots of each half, so tables are shared and deep.
    const upper = r() % 2 === 1;
    const topSlot = BigInt(r() % 3) + (upper ? 509n : 0n);
    let va = (topSlot << (width - 9n)) | (rand64() & ((1n << (width - 9n)) - 1n) & ((1n << 33n) - 1n));
    va -= va % bytes;
    if (upper) va = BigInt.asUintN(64, BigInt.asIntN(Number(width), va | (1n << (width - 1n))));
    const end = va + bytes;
    if (taken.some(([s, e]) => va < e && s < end)) continue;
    let pa = rand64() & ((1n << 52n) - 1n);
    if (r() % 3 !== 0) pa &= (1n << 40n) - 1n;
    pa -= pa % bytes;
    const flags = flagPool.filter(() => r() % 3 === 0);
    taken.push([va, end]);
    map.mappings.push({ va: '0x' + va.toString(16), pa: '0x' + pa.toString(16), size, flags });
    added++;
  }
}

interface TlbLine {
  va: bigint;
  pa: bigint;
  flags: string;
}

function parseInfoTlb(text: string): TlbLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^([0-9a-f]{16}): ([0-9a-f]{16}) ([-XGPDACTUW]{9})$/.exec(l.trim());
      if (!m) throw new Error(`unexpected info tlb line: ${JSON.stringify(l)}`);
      return { va: BigInt('0x' + m[1]), pa: BigInt('0x' + m[2]), flags: m[3]! };
    });
}

/** The XGPDACTUW string QEMU prints for a leaf with these map-file flags. */
function qemuFlags(size: string, flags: string[]): string {
  const has = (f: string) => flags.includes(f);
  // 'P' is PS: set for every 2M/1G leaf; QEMU clears bit 7 of a PTE before printing, so a 4K
  // page's PAT bit does not show (nor does a large leaf's PAT, bit 12, masked with the PA).
  const bit7 = size !== '4K';
  return [has('nx') ? 'X' : '-', has('g') ? 'G' : '-', bit7 ? 'P' : '-', has('d') ? 'D' : '-', has('a') ? 'A' : '-', has('pcd') ? 'C' : '-', has('pwt') ? 'T' : '-', has('u') ? 'U' : '-', has('w') ? 'W' : '-'].join('');
}

async function crossCheck(fixture: string, randomCount: number, seed: number): Promise<void> {
  const map = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'pt', fixture), 'utf8')) as MapFile;
  addRandomMappings(map, randomCount, seed);
  const mapPath = join(dir, `${fixture}`);
  const image = join(dir, `${fixture}.bin`);
  writeFileSync(mapPath, JSON.stringify(map));
  const built = await runCli(['pt', 'build', mapPath, '-o', image, '--json']);
  expect(built.stderr).toBe('');
  const { cr3, levels } = JSON.parse(built.stdout) as { cr3: string; levels: 4 | 5 };
  const dumped = await runCli(['pt', 'dump', image, '--cr3', cr3, '--levels', String(levels), '--json']);
  const dump = (JSON.parse(dumped.stdout) as { mappings: MapEntry[] }).mappings;
  expect(dump).toHaveLength(map.mappings.length);

  // Addresses to translate: inside every page (start, a random offset, the last byte), holes
  // next to pages, and non-canonical addresses.
  const r = rng(seed ^ 0x5a5a5a5a);
  const probes: bigint[] = [];
  for (const m of dump) {
    const va = BigInt(m.va);
    const size = SIZE[m.size]!;
    probes.push(va, va + ((BigInt(r()) * 4099n) % size), va + size - 1n);
  }
  const width = levels === 5 ? 57n : 48n;
  probes.push(0x1000n << (width - 12n - 3n), (1n << (width - 1n)) + 0x1000n, 0xdead_0000_0000_0000n, 0x0000_7fff_f000_0000n, 0xffff_ff00_0000_0000n + 0x12345000n);

  const regs: PagingRegs = {
    cr4: (1n << 5n) | (levels === 5 ? 1n << 12n : 0n), // PAE, LA57
    efer: (1n << 8n) | (1n << 10n) | (1n << 11n), // LME, LMA, NXE
    cr3: BigInt(cr3),
    cr0: (1n << 31n) | 1n, // PG, PE
  };
  const q = await QemuGuest.start(image, 16);
  let tlbText: string;
  let regsText: string;
  let gva: string[];
  try {
    const nr = q.registerNumbers();
    q.setPaging(regs, nr);
    const out = await q.monitor(['info registers', 'info tlb', ...probes.map((va) => `gva2gpa 0x${va.toString(16)}`)]);
    regsText = out[0]!;
    tlbText = out[1]!;
    gva = out.slice(2);
  } finally {
    q.kill();
  }

  // QEMU took the paging state we wrote (it adds CR0.ET on its own).
  const reg = (name: string): bigint => {
    const m = new RegExp(`\\b${name}=([0-9a-f]+)`).exec(regsText);
    if (!m) throw new Error(`no ${name} in info registers:\n${regsText}`);
    return BigInt('0x' + m[1]);
  };
  expect(reg('CR0') & regs.cr0).toBe(regs.cr0);
  expect(reg('CR3')).toBe(regs.cr3);
  expect(reg('CR4')).toBe(regs.cr4);
  expect(reg('EFER')).toBe(regs.efer);

  // 1. `info tlb` lists exactly the leaves `pt dump` lists, in the same (virtual-address) order.
  const tlb = parseInfoTlb(tlbText);
  // QEMU 7.2 prints PA bits 49:12 only; a QEMU that prints all of 51:12 is right too.
  const QEMU_PA_MASK = (1n << 50n) - 1n;
  const tlbPaMatches = (printed: bigint, ours: bigint) => printed === ours || printed === (ours & QEMU_PA_MASK);
  expect(tlb.map((t, i) => ({ va: '0x' + t.va.toString(16), pa: tlbPaMatches(t.pa, BigInt(dump[i]?.pa ?? -1)) ? 'same' : '0x' + t.pa.toString(16), flags: t.flags }))).toEqual(
    dump.map((m) => ({ va: m.va, pa: 'same', flags: qemuFlags(m.size, m.flags) })),
  );
  // The images do map physical addresses with bits 50/51 set, so the full PA is checked by gva2gpa below.
  expect(dump.some((m) => BigInt(m.pa) > QEMU_PA_MASK)).toBe(true);
  // And what was dumped is what the map asked for (flags as given; a set of leaves, sorted by VA).
  const asked = [...map.mappings]
    .map((m) => ({ va: BigInt.asUintN(64, BigInt(m.va)), pa: BigInt(m.pa), size: m.size, flags: [...m.flags].sort() }))
    .sort((a, b) => (a.va < b.va ? -1 : 1));
  expect(dump.map((m) => ({ va: BigInt(m.va), pa: BigInt(m.pa), size: m.size, flags: [...m.flags].sort() }))).toEqual(asked);

  // 2. gva2gpa agrees with the walker (a supervisor read with every check off: QEMU's debug
  //    walk checks no rights; our tables have no reserved bits, so only presence matters).
  const mem = new PhysicalMemory(readFileSync(image).length);
  mem.u8.set(readFileSync(image));
  const walker = new PageWalker(mem, { levels, nxe: true, wp: false, smep: false, smap: false });
  let mapped = 0;
  probes.forEach((va, i) => {
    const st = walker.walk(Number(regs.cr3), vaHi(va), vaLo(va), ACCESS_READ, false);
    const ours = st === WALK_OK ? '0x' + walker.pa.toString(16) : 'Unmapped';
    if (st === WALK_OK) mapped++;
    else expect([WALK_PF, WALK_GP]).toContain(st);
    // QEMU prints "gpa: 0x…" with C's %#x, so zero comes out as "gpa: 0".
    const m = /^gpa: (0x[0-9a-f]+|0)$/.exec(gva[i]!.trim());
    const theirs = m ? '0x' + BigInt(m[1]!).toString(16) : gva[i]!.trim();
    expect(theirs, `gva2gpa 0x${va.toString(16)}`).toBe(ours);
  });
  expect(mapped).toBe(dump.length * 3);
}

describe.skipIf(!toolsAvailable('qemu-system-x86_64', 'gdb'))('page tables cross-checked with QEMU (info tlb, gva2gpa)', () => {
  it('4-level: 4K/2M/1G pages in both halves', async () => {
    await crossCheck('qemu-4level.json', 40, 0x1234_5678);
  });
  it('5-level (LA57): 4K/2M/1G pages in both halves', async () => {
    await crossCheck('qemu-5level.json', 40, 0x8765_4321);
  });
});
