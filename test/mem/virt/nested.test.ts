import { describe, expect, it } from 'vitest';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder } from '../../../src/mem/builder.js';
import { vaHi, vaLo } from '../../../src/mem/va.js';
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PageWalker, PFEC_P, PFEC_U, PFEC_W, WALK_OK, WALK_PF } from '../../../src/mem/walker.js';
import { EQ_EXECUTABLE, EQ_GLA_VALID, EQ_READ, EQ_READABLE, EQ_WRITE, EQ_FINAL_TRANSLATION, MISCONFIG_WRITE_WITHOUT_READ, type EptPageSize } from '../../../src/mem/virt/ept.js';
import { NESTED_EPT_MISCONFIG, NESTED_EPT_VIOLATION, NestedWalker, REF_EPT, REF_GUEST } from '../../../src/mem/virt/nested.js';
import { Vm } from '../../../src/mem/virt/vm.js';

const MiB = 1 << 20;

/** Host: 8 MiB; guest RAM (guest-physical 0..4 MiB) at host 2..6 MiB, EPT tables 6..8 MiB. */
const HOST_BASE = 2 * MiB;
function makeVm(levels: 4 | 5, ramPageSize: EptPageSize = 4096, eptAd = false, eptLevels: 4 | 5 = levels): { vm: Vm; gpt: PageTableBuilder; nw: NestedWalker } {
  const host = new PhysicalMemory(8 * MiB);
  const vm = new Vm(host, { hostBase: HOST_BASE, ramSize: 4 * MiB, eptAllocator: new FrameAllocator(host, 6 * MiB, 8 * MiB), eptLevels, guest: { levels }, ramPageSize, eptAd });
  const gpt = new PageTableBuilder(vm.guestMem, { levels, allocator: vm.guestTableAllocator });
  return { vm, gpt, nw: new NestedWalker(host, vm.eptWalker, { levels }) };
}

/** The references a 2D walk must make, worked out from the two builders (not from the walker). */
function expectedRefs(vm: Vm, gpt: PageTableBuilder, va: bigint, finalGpa: number): { pa: number; kind: number }[] {
  const out: { pa: number; kind: number }[] = [];
  const eptPath = (gpa: number): void => {
    for (let l = vm.ept.levels; l >= 1; l--) {
      const ea = vm.ept.entryAddress(gpa, l);
      out.push({ pa: ea, kind: REF_EPT });
      if (ea === vm.ept.leafEntryAddress(gpa)) break;
    }
  };
  for (let l = gpt.levels; l >= 1; l--) {
    const gEa = gpt.entryAddress(va, l);
    eptPath(gEa);
    out.push({ pa: HOST_BASE + gEa, kind: REF_GUEST }); // where the RAM backing puts it
    if (gEa === gpt.leafEntryAddress(va)) break;
  }
  eptPath(finalGpa);
  return out;
}

function refsOf(nw: NestedWalker): { pa: number; kind: number }[] {
  return Array.from({ length: nw.refCount }, (_, i) => ({ pa: nw.refs[i]!, kind: nw.refKinds[i]! }));
}

describe('two-dimensional walk: reference counts from the walk itself', () => {
  const cases: { name: string; levels: 4 | 5; eptLevels?: 4 | 5; ept: EptPageSize; guest: 4096 | 0x200000; refs: number }[] = [
    { name: '4-level guest on 5-level EPT: (4+1)(5+1) − 1 = 29', levels: 4, eptLevels: 5, ept: 4096, guest: 4096, refs: 29 },
    { name: '5-level guest on 4-level EPT: (5+1)(4+1) − 1 = 29', levels: 5, eptLevels: 4, ept: 4096, guest: 4096, refs: 29 },
    { name: '4-level guest on 4-level EPT, 4K pages: 24', levels: 4, ept: 4096, guest: 4096, refs: 24 },
    { name: '5-level guest on 5-level EPT, 4K pages: 35', levels: 5, ept: 4096, guest: 4096, refs: 35 },
    { name: '4-level guest on EPT with 2 MiB leaves: 5 EPT walks of 3 + 4 = 19', levels: 4, ept: 0x200000, guest: 4096, refs: 19 },
    { name: '4-level guest with a 2 MiB page on 4K EPT: 3 × 5 + 4 = 19', levels: 4, ept: 4096, guest: 0x200000, refs: 19 },
    { name: 'both 2 MiB: 3 × 4 + 3 = 15', levels: 4, ept: 0x200000, guest: 0x200000, refs: 15 },
    { name: '5-on-5 with 2 MiB EPT leaves: 5 × (4 + 1) + 4 = 29', levels: 5, ept: 0x200000, guest: 4096, refs: 29 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { vm, gpt, nw } = makeVm(c.levels, c.ept, false, c.eptLevels ?? c.levels);
      const va = c.levels === 5 ? 0x00ab_cdef_0000_0000n + BigInt(c.guest) : 0x7f12_3440_0000n;
      const gpa = 2 * MiB; // 2 MiB aligned, inside the RAM
      gpt.map(va, gpa, c.guest, { w: true, u: true });
      const off = 0x234;
      expect(nw.walk(gpt.cr3, vaHi(va), vaLo(va) + off, ACCESS_READ, true)).toBe(WALK_OK);
      expect(nw.pa).toBe(HOST_BASE + gpa + off);
      expect(nw.gpa).toBe(gpa + off);
      expect(nw.refCount).toBe(c.refs);
      expect(refsOf(nw)).toEqual(expectedRefs(vm, gpt, va, gpa + off));
    });
  }

  it('the guest half reads exactly the entries the native walker reads', () => {
    const { vm, gpt, nw } = makeVm(4);
    const va = 0x4000_1000n;
    gpt.map(va, 3 * MiB, 4096, { w: true });
    const native = new PageWalker(vm.guestMem);
    expect(native.walk(gpt.cr3, 0, 0x4000_1008, ACCESS_WRITE, false)).toBe(WALK_OK);
    expect(nw.walk(gpt.cr3, 0, 0x4000_1008, ACCESS_WRITE, false)).toBe(WALK_OK);
    expect(Array.from(nw.guestEntryGpas.subarray(0, nw.guestRefCount))).toEqual(Array.from(native.refs.subarray(0, native.refCount)));
    expect(nw.rights).toBe(native.rights);
  });
});

describe('guest faults vs EPT violations vs EPT misconfigurations', () => {
  it('a guest fault carries the guest error code, as the guest walker defines it', () => {
    const { vm, gpt, nw } = makeVm(4);
    gpt.map(0x4000_0000n, 3 * MiB, 4096, { w: false, u: false });
    const native = new PageWalker(vm.guestMem);
    for (const [va, access, user] of [
      [0x4000_0000, ACCESS_WRITE, true],
      [0x4000_0000, ACCESS_WRITE, false],
      [0x4000_0000, ACCESS_READ, true],
      [0x5000_0000, ACCESS_READ, false],
      [0x4000_1000, ACCESS_EXEC, true],
    ] as const) {
      const st = native.walk(gpt.cr3, 0, va, access, user);
      expect(st).toBe(WALK_PF);
      expect(nw.walk(gpt.cr3, 0, va, access, user)).toBe(WALK_PF);
      expect(nw.errorCode).toBe(native.errorCode);
    }
    nw.walk(gpt.cr3, 0, 0x4000_0000, ACCESS_WRITE, true);
    expect(nw.errorCode).toBe(PFEC_P | PFEC_W | PFEC_U);
  });

  it('EPT violation on the final address: bit 8 set, rights of the EPT entries in bits 3-5', () => {
    const { vm, gpt, nw } = makeVm(4);
    gpt.map(0x4000_0000n, 3 * MiB, 4096, { w: true, u: true });
    vm.ept.protect(3 * MiB, { r: true, x: true });
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_WRITE, true)).toBe(NESTED_EPT_VIOLATION);
    expect(nw.faultGpa).toBe(3 * MiB + 0x10);
    expect(nw.exitQualification).toBe(EQ_WRITE | EQ_READABLE | EQ_EXECUTABLE | EQ_GLA_VALID | EQ_FINAL_TRANSLATION);
    expect(nw.refCount).toBe(24);
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_READ, true)).toBe(WALK_OK);
  });

  it('EPT violation on a guest paging-structure access: bit 8 clear, the walk stops there', () => {
    const { vm, gpt, nw } = makeVm(4);
    gpt.map(0x4000_0000n, 3 * MiB, 4096, { w: true, u: true });
    const ptFrame = gpt.entryAddress(0x4000_0000n, 1) & ~0xfff;
    vm.ept.unmap(ptFrame);
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_READ, true)).toBe(NESTED_EPT_VIOLATION);
    expect(nw.faultGpa).toBe(gpt.entryAddress(0x4000_0000n, 1));
    expect(nw.exitQualification).toBe(EQ_READ | EQ_GLA_VALID);
    expect(nw.refCount).toBe(3 * 5 + 4); // three guest levels done, then the failing EPT walk
    // A guest write does not matter: reads of guest paging structures are data reads.
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_WRITE, true)).toBe(NESTED_EPT_VIOLATION);
    expect(nw.exitQualification).toBe(EQ_READ | EQ_GLA_VALID);
  });

  it('with EPT A/D on, guest paging-structure accesses are EPT writes (bits 0 and 1 both set)', () => {
    const { vm, gpt, nw } = makeVm(4, 4096, true);
    gpt.map(0x4000_0000n, 3 * MiB, 4096, { w: true, u: true });
    const ptFrame = gpt.entryAddress(0x4000_0000n, 1) & ~0xfff;
    vm.ept.protect(ptFrame, { r: true });
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_READ, true)).toBe(NESTED_EPT_VIOLATION);
    expect(nw.exitQualification).toBe(EQ_READ | EQ_WRITE | EQ_READABLE | EQ_GLA_VALID);
    // The final access is an ordinary read: fine on a read-only page.
    vm.ept.protect(ptFrame, { r: true, w: true });
    vm.ept.protect(3 * MiB, { r: true });
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_READ, true)).toBe(WALK_OK);
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_WRITE, true)).toBe(NESTED_EPT_VIOLATION);
    expect(nw.exitQualification).toBe(EQ_WRITE | EQ_READABLE | EQ_GLA_VALID | EQ_FINAL_TRANSLATION);
    // EPT A set in the entries used, D in the leaf of the guest table page (written as such).
    expect(vm.host.readLo(vm.ept.leafEntryAddress(ptFrame)) & 0x300).toBe(0x300);
  });

  it('EPT misconfiguration (write without read) on the final translation', () => {
    const { vm, gpt, nw } = makeVm(4);
    gpt.map(0x4000_0000n, 3 * MiB, 4096, { w: true, u: true });
    const ea = vm.ept.leafEntryAddress(3 * MiB);
    vm.host.write64(ea, (HOST_BASE + 3 * MiB) | 0b010 | (6 << 3), 0);
    expect(nw.walk(gpt.cr3, 0, 0x4000_0010, ACCESS_READ, true)).toBe(NESTED_EPT_MISCONFIG);
    expect(nw.misconfig).toBe(MISCONFIG_WRITE_WITHOUT_READ);
    expect(nw.faultGpa).toBe(3 * MiB + 0x10);
  });
});
