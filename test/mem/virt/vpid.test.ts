import { describe, expect, it } from 'vitest';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder } from '../../../src/mem/builder.js';
import { Mmu } from '../../../src/mem/mmu.js';
import { SMALL64 } from '../../../src/mem/tlb-presets.js';
import { ACCESS_READ, WALK_OK } from '../../../src/mem/walker.js';
import { NestedWalker } from '../../../src/mem/virt/nested.js';
import { Vm } from '../../../src/mem/virt/vm.js';

const MiB = 1 << 20;

/** Two VMs (RAM at host 2 MiB and 6 MiB) whose guests map the same virtual page to guest-physical 1 MiB. */
function twoVms(): { vms: Vm[]; roots: number[]; mmu: Mmu; walker: NestedWalker } {
  const host = new PhysicalMemory(16 * MiB);
  const vms = [
    new Vm(host, { hostBase: 2 * MiB, ramSize: 2 * MiB, eptAllocator: new FrameAllocator(host, 12 * MiB, 13 * MiB) }),
    new Vm(host, { hostBase: 6 * MiB, ramSize: 2 * MiB, eptAllocator: new FrameAllocator(host, 13 * MiB, 14 * MiB) }),
  ];
  const roots = vms.map((vm) => {
    const pt = new PageTableBuilder(vm.guestMem, { allocator: vm.guestTableAllocator });
    pt.map(0x4000_0000n, MiB, 4096, { w: true, u: true });
    return pt.cr3;
  });
  const walker = new NestedWalker(host, vms[0]!.eptWalker);
  return { vms, roots, mmu: new Mmu(walker, SMALL64), walker };
}

function enter(t: ReturnType<typeof twoVms>, k: number, vpid: number): void {
  t.walker.ept = t.vms[k]!.eptWalker;
  t.mmu.cr3 = t.roots[k]!;
  t.mmu.setVpid(vpid);
}

describe('VPID-tagged TLB across VMs', () => {
  it('each VM keeps its own translations under its VPID and never sees the other’s', () => {
    const t = twoVms();
    enter(t, 0, 1);
    expect(t.mmu.translate(0, 0x4000_0010, ACCESS_READ, true)).toBe(WALK_OK);
    expect(t.mmu.pa).toBe(3 * MiB + 0x10);
    enter(t, 1, 2);
    expect(t.mmu.translate(0, 0x4000_0010, ACCESS_READ, true)).toBe(WALK_OK);
    expect(t.mmu.hit).toBe(0);
    expect(t.mmu.pa).toBe(7 * MiB + 0x10);
    enter(t, 0, 1);
    expect(t.mmu.translate(0, 0x4000_0010, ACCESS_READ, true)).toBe(WALK_OK);
    expect(t.mmu.hit).toBe(1); // still cached under VPID 1
    expect(t.mmu.pa).toBe(3 * MiB + 0x10);
    t.mmu.flushVpid(1); // INVVPID single-context: VM 2's entries stay
    enter(t, 1, 2);
    expect(t.mmu.translate(0, 0x4000_0010, ACCESS_READ, true)).toBe(WALK_OK);
    expect(t.mmu.hit).toBe(1);
    expect(t.mmu.pa).toBe(7 * MiB + 0x10);
  });

  it('without a tag, a VM switch must flush: otherwise VM 2 would be handed VM 1’s frame', () => {
    const t = twoVms();
    enter(t, 0, 0);
    t.mmu.translate(0, 0x4000_0010, ACCESS_READ, true);
    enter(t, 1, 0);
    t.mmu.translate(0, 0x4000_0010, ACCESS_READ, true);
    expect(t.mmu.pa).toBe(3 * MiB + 0x10); // the stale, wrong translation
    t.mmu.tlb.flushAll();
    t.mmu.translate(0, 0x4000_0010, ACCESS_READ, true);
    expect(t.mmu.pa).toBe(7 * MiB + 0x10);
  });
});
