/**
 * For random guests (random page tables in guest-physical memory) on random host mappings
 * (random EPT permissions, page sizes and holes), every guest-virtual address translates the
 * same three ways:
 *   reference: the guest walker (PageWalker over guest-physical memory) gives the guest entries
 *              read and the final guest-physical address; a plain list of the host's mappings
 *              (not the EPT tables) says whether each of those is backed and allowed;
 *   nested:    NestedWalker's interleaved two-dimensional walk through the EPT tables;
 *   shadow:    the real walker + TLB over the shadow tables, the VMM filling them on faults.
 * Faults included: a guest #PF (same error code) where the guest's tables say so, an EPT
 * violation (same guest-physical address, same "final translation" bit) where the host's do.
 * Then the guest rewrites some of its entries (trapping under shadow paging) and every address
 * is checked again, so a stale shadow entry or TLB entry would show.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder, BuilderError } from '../../../src/mem/builder.js';
import { SMALL64 } from '../../../src/mem/tlb-presets.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PageWalker, WALK_GP, WALK_OK, WALK_PF } from '../../../src/mem/walker.js';
import { EQ_FINAL_TRANSLATION, EptError, type EptPageSize } from '../../../src/mem/virt/ept.js';
import { NESTED_EPT_VIOLATION, NestedWalker } from '../../../src/mem/virt/nested.js';
import { ShadowPaging } from '../../../src/mem/virt/shadow.js';
import { Vm } from '../../../src/mem/virt/vm.js';

const MiB = 1 << 20;
/** Guest RAM: guest-physical 0..2 MiB, backed by host 2..4 MiB; EPT tables 4..5, shadow 5..6. */
const RAM_HOST = 2 * MiB;
const RAM_SIZE = 2 * MiB;
const HOST = new PhysicalMemory(6 * MiB);

interface HostMap {
  gpa: number;
  size: number;
  hpa: number;
  r: boolean;
  w: boolean;
  x: boolean;
}

type Outcome = { kind: 'ok'; pa: number } | { kind: 'pf'; code: number } | { kind: 'ept'; gpa: number; final: boolean } | { kind: 'gp' };

function lookup(maps: HostMap[], gpa: number): HostMap | undefined {
  return maps.find((m) => gpa >= m.gpa && gpa < m.gpa + m.size);
}

function reference(gw: PageWalker, maps: HostMap[], cr3: number, hi: number, lo: number, access: number, user: boolean): Outcome {
  const st = gw.walk(cr3, hi, lo, access, user);
  if (st === WALK_GP) return { kind: 'gp' };
  for (let i = 0; i < gw.refCount; i++) {
    const m = lookup(maps, gw.refs[i]!);
    if (!m || !m.r) return { kind: 'ept', gpa: gw.refs[i]!, final: false };
  }
  if (st === WALK_PF) return { kind: 'pf', code: gw.errorCode };
  const m = lookup(maps, gw.pa);
  const allowed = m && (access === ACCESS_READ ? m.r : access === ACCESS_WRITE ? m.w : m.x);
  if (!m || !allowed) return { kind: 'ept', gpa: gw.pa, final: true };
  return { kind: 'ok', pa: m.hpa + (gw.pa - m.gpa) };
}

function outcomeOf(st: number, pa: number, errorCode: number, faultGpa: number, qual: number): Outcome {
  if (st === WALK_OK) return { kind: 'ok', pa };
  if (st === WALK_PF) return { kind: 'pf', code: errorCode };
  if (st === WALK_GP) return { kind: 'gp' };
  if (st === NESTED_EPT_VIOLATION) return { kind: 'ept', gpa: faultGpa, final: (qual & EQ_FINAL_TRANSLATION) !== 0 };
  throw new Error(`unexpected status ${st}`);
}

const REGIONS = [0x40_0000n, 0x7fff_f000_0000n, 0xffff_8000_0000_0000n, 0x1_0000_0000n];
const PERMS = [
  { r: true, w: false, x: false },
  { r: true, w: true, x: false },
  { r: true, w: false, x: true },
  { r: true, w: true, x: true },
];

const guestMapArb = fc.record({
  region: fc.integer({ min: 0, max: REGIONS.length - 1 }),
  index: fc.integer({ min: 0, max: 7 }),
  bigPage: fc.integer({ min: 0, max: 5 }), // 0 → 2 MiB page, else 4 KiB
  inRam: fc.boolean(),
  frame: fc.integer({ min: 0, max: 511 }),
  farFrame: fc.integer({ min: 4, max: 2047 }), // × 2 MiB: guest-physical 8 MiB .. 4 GiB
  w: fc.boolean(),
  u: fc.boolean(),
  nx: fc.boolean(),
  hostMapped: fc.integer({ min: 0, max: 4 }), // 0 → hole in the host mappings
  hostPerm: fc.integer({ min: 0, max: 3 }),
  hostLarge: fc.boolean(),
  hostFrame: fc.integer({ min: 0, max: 0xfffff }),
});

const caseArb = fc.record({
  levels: fc.constantFrom<4 | 5>(4, 4, 4, 5),
  eptLevels: fc.constantFrom<4 | 5>(4, 4, 5),
  // The guest's CR4.SMEP / CR4.SMAP / EFLAGS.AC (CR0.WP = 1 and EFER.NXE = 1 throughout).
  smep: fc.boolean(),
  smap: fc.boolean(),
  ac: fc.boolean(),
  guest: fc.array(guestMapArb, { minLength: 1, maxLength: 10 }),
  ramLarge: fc.boolean(),
  ramSeed: fc.integer({ min: 1, max: 0x7fffffff }), // per 4K RAM page: 1 in 20 unmapped, 3 in 20 read-only, else RWX
  probes: fc.array(fc.record({ which: fc.integer({ min: 0, max: 15 }), off: fc.integer({ min: 0, max: 0x1f_ffff }), access: fc.constantFrom(ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC), user: fc.boolean() }), { minLength: 4, maxLength: 16 }),
  updates: fc.array(fc.record({ which: fc.integer({ min: 0, max: 15 }), op: fc.constantFrom('unmap', 'protect', 'remap'), w: fc.boolean(), u: fc.boolean(), frame: fc.integer({ min: 0, max: 511 }) }), { maxLength: 4 }),
});

describe('shadow = nested = host-walk(guest-walk(gva)) for random guests and hosts', () => {
  it('holds for thousands of random guests, faults included, before and after guest table updates', () => {
    let checked = 0;
    let kinds = { ok: 0, pf: 0, ept: 0, gp: 0 };
    fc.assert(
      fc.property(caseArb, (c) => {
        // One host memory for every run: every frame a run writes comes from an allocator,
        // which zeroes it when it hands it out, so nothing leaks from one run to the next.
        const host = HOST;
        const vm = new Vm(host, { hostBase: RAM_HOST, ramSize: RAM_SIZE, guestTablesEnd: 256 * 1024, eptAllocator: new FrameAllocator(host, 4 * MiB, 5 * MiB), eptLevels: c.eptLevels, guest: { levels: c.levels, smep: c.smep, smap: c.smap, ac: c.ac }, mapRam: false });
        const maps: HostMap[] = [];
        // Guest RAM (at host RAM_HOST): one 2 MiB page, or 4 KiB pages with holes and read-only pages.
        if (c.ramLarge) {
          vm.ept.map(0, RAM_HOST, 0x200000, { r: true, w: true, x: true });
          maps.push({ gpa: 0, size: 0x200000, hpa: RAM_HOST, r: true, w: true, x: true });
        } else {
          let x = c.ramSeed;
          for (let i = 0; i < 512; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            const p = (x >>> 0) % 20;
            if (p === 0) continue;
            const perm = p <= 3 ? PERMS[0]! : PERMS[3]!;
            const gpa = i * 4096;
            vm.ept.map(gpa, RAM_HOST + gpa, 4096, perm);
            maps.push({ gpa, size: 4096, hpa: RAM_HOST + gpa, ...perm });
          }
        }
        // The guest's tables.
        const gpt = new PageTableBuilder(vm.guestMem, { levels: c.levels, allocator: vm.guestTableAllocator });
        const vas: bigint[] = [];
        for (const g of c.guest) {
          const size = g.bigPage === 0 ? 0x200000 : 4096;
          const va = REGIONS[g.region]! + BigInt(g.index * size);
          const gpa = g.inRam ? (size === 4096 ? g.frame * 4096 : 0) : g.farFrame * 0x200000 + (size === 4096 ? (g.frame % 512) * 4096 : 0);
          try {
            gpt.map(va, gpa, size as 4096 | 0x200000, { w: g.w, u: g.u, nx: g.nx });
          } catch (e) {
            if (!(e instanceof BuilderError)) throw e;
          }
          vas.push(va);
          // The host side of a far page: a hole, or a random mapping with random rights.
          if (!g.inRam && g.hostMapped !== 0 && !lookup(maps, gpa)) {
            const hsize: EptPageSize = g.hostLarge ? 0x200000 : 4096;
            const hgpa = gpa - (gpa % hsize);
            const hpa = hsize === 4096 ? (0x10_0000 + g.hostFrame) * 4096 : (0x800 + (g.hostFrame % 0x800)) * 0x200000;
            const perm = PERMS[g.hostPerm]!;
            try {
              vm.ept.map(hgpa, hpa, hsize, perm);
              maps.push({ gpa: hgpa, size: hsize, hpa, ...perm });
            } catch (e) {
              if (!(e instanceof EptError)) throw e;
            }
          }
        }
        vas.push(0x5555_0000_0000n, 0x8000_0000_0000n); // unmapped; the second is non-canonical with 4 levels
        const cfg = { levels: c.levels, smep: c.smep, smap: c.smap, ac: c.ac };
        const gw = new PageWalker(vm.guestMem, cfg);
        const nw = new NestedWalker(host, vm.eptWalker, cfg);
        const sh = new ShadowPaging(vm, { allocator: new FrameAllocator(host, 5 * MiB, 6 * MiB), tlb: SMALL64 });
        sh.setGuestCr3(gpt.cr3);

        const checkAll = (): void => {
          for (const p of c.probes) {
            const va = vas[p.which % vas.length]! + BigInt(p.off % (p.which % 3 === 0 ? 0x200000 : 4096));
            const hi = vaHi(va);
            const lo = vaLo(va);
            const want = reference(gw, maps, gpt.cr3, hi, lo, p.access, p.user);
            const nst = nw.walk(gpt.cr3, hi, lo, p.access, p.user);
            expect(outcomeOf(nst, nw.pa, nw.errorCode, nw.faultGpa, nw.exitQualification)).toEqual(want);
            // Twice through the shadow: the second time the real TLB may answer.
            for (let k = 0; k < 2; k++) {
              const sst = sh.translate(hi, lo, p.access, p.user);
              expect(outcomeOf(sst, sh.pa, sh.errorCode, sh.faultGpa, sh.exitQualification)).toEqual(want);
            }
            kinds[want.kind]++;
            checked++;
          }
        };
        checkAll();
        // The guest updates its tables (no INVLPG: the shadow must follow the trapped writes).
        for (const u of c.updates) {
          const va = vas[u.which % vas.length]!;
          try {
            if (u.op === 'unmap') gpt.unmap(va);
            else if (u.op === 'protect') gpt.protect(va, { w: u.w, u: u.u });
            else {
              gpt.unmap(va);
              gpt.map(va - (va % 4096n), u.frame * 4096, 4096, { w: u.w, u: u.u });
            }
          } catch (e) {
            if (!(e instanceof BuilderError)) throw e;
          }
        }
        checkAll();
      }),
      { numRuns: 2000, seed: 0x7ee7, endOnFailure: true },
    );
    // The generator reaches every outcome, often.
    console.log(`property: ${checked} translations checked`, kinds);
    expect(checked).toBeGreaterThan(20000);
    for (const k of ['ok', 'pf', 'ept', 'gp'] as const) expect(kinds[k]).toBeGreaterThan(200);
    void kinds;
    kinds = { ok: 0, pf: 0, ept: 0, gp: 0 };
  });
});
