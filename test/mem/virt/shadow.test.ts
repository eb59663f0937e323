import { describe, expect, it } from 'vitest';
import { FrameAllocator, PhysicalMemory } from '../../../src/mem/phys.js';
import { PageTableBuilder } from '../../../src/mem/builder.js';
import { SMALL64 } from '../../../src/mem/tlb-presets.js';
import { ACCESS_READ, ACCESS_WRITE, PFEC_P, PFEC_U, PFEC_W, WALK_OK, WALK_PF } from '../../../src/mem/walker.js';
import { ShadowPaging } from '../../../src/mem/virt/shadow.js';
import { NESTED_EPT_VIOLATION } from '../../../src/mem/virt/nested.js';
import { EQ_FINAL_TRANSLATION } from '../../../src/mem/virt/ept.js';
import { Vm } from '../../../src/mem/virt/vm.js';

const MiB = 1 << 20;
/** Guest RAM: guest-physical 0..4 MiB at host 2..6 MiB; guest tables in its first MiB. */
const HOST_BASE = 2 * MiB;

function setup(): { host: PhysicalMemory; vm: Vm; gpt: PageTableBuilder; sh: ShadowPaging } {
  const host = new PhysicalMemory(8 * MiB);
  const vm = new Vm(host, { hostBase: HOST_BASE, ramSize: 4 * MiB, guestTablesEnd: 1 * MiB, eptAllocator: new FrameAllocator(host, 6 * MiB, 7 * MiB) });
  const gpt = new PageTableBuilder(vm.guestMem, { allocator: vm.guestTableAllocator });
  const sh = new ShadowPaging(vm, { allocator: new FrameAllocator(host, 7 * MiB, 8 * MiB), tlb: SMALL64 });
  sh.setGuestCr3(gpt.cr3);
  return { host, vm, gpt, sh };
}

describe('shadow paging', () => {
  it('every guest page-table write traps, including the tables the write links', () => {
    const { sh, gpt } = setup();
    expect(sh.exits.cr3).toBe(1);
    // First page into an empty root: PML4E, PDPTE, PDE, PTE — each table is linked (and so
    // write-protected) before the builder writes into it.
    gpt.map(0x4000_0000n, 2 * MiB, 4096, { w: true, u: true });
    expect(sh.exits.ptWrite).toBe(4);
    gpt.map(0x4000_1000n, 2 * MiB + 4096, 4096, { w: true, u: true });
    expect(sh.exits.ptWrite).toBe(5);
    expect(sh.exits.hiddenPf).toBe(0);
  });

  it('fills lazily on hidden faults and translates like the guest tables say', () => {
    const { sh, gpt } = setup();
    gpt.map(0x4000_0000n, 2 * MiB, 4096, { w: true, u: true });
    expect(sh.translate(0, 0x4000_0123, ACCESS_READ, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 2 * MiB + 0x123);
    expect(sh.exits.hiddenPf).toBe(1);
    // The second access hits the real TLB: no exit, no walk.
    const walks = sh.hw.walks;
    expect(sh.translate(0, 0x4000_0456, ACCESS_READ, true)).toBe(WALK_OK);
    expect(sh.exits.hiddenPf).toBe(1);
    expect(sh.hw.walks).toBe(walks);
    expect(sh.mmu!.hit).toBe(1);
    expect(sh.tableBytes).toBe(4 * 4096);
  });

  it('injects the faults the guest must see, with the guest error code', () => {
    const { sh, gpt } = setup();
    gpt.map(0x4000_0000n, 2 * MiB, 4096, { w: false, u: true });
    expect(sh.translate(0, 0x4000_0000, ACCESS_WRITE, true)).toBe(WALK_PF);
    expect(sh.errorCode).toBe(PFEC_P | PFEC_W | PFEC_U);
    expect(sh.exits.guestPf).toBe(1);
    expect(sh.translate(0, 0x5000_0000, ACCESS_READ, false)).toBe(WALK_PF);
    expect(sh.errorCode).toBe(0);
    expect(sh.exits.guestPf).toBe(2);
    expect(sh.exits.hiddenPf).toBe(0);
  });

  it('a guest write to its page table traps, the shadow follows it, no stale translation survives in the TLB', () => {
    const { sh, gpt, host } = setup();
    gpt.map(0x4000_0000n, 2 * MiB, 4096, { w: true, u: true });
    expect(sh.translate(0, 0x4000_0010, ACCESS_WRITE, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 2 * MiB + 0x10);
    expect(sh.translate(0, 0x4000_0010, ACCESS_WRITE, true)).toBe(WALK_OK);
    expect(sh.mmu!.hit).toBe(1); // cached in the real TLB
    const traps = sh.exits.ptWrite;
    // The guest remaps the page and does NOT issue INVLPG: the trap alone must drop it.
    gpt.unmap(0x4000_0000n);
    gpt.map(0x4000_0000n, 3 * MiB, 4096, { w: true, u: true });
    expect(sh.exits.ptWrite).toBe(traps + 2);
    // Straight to the hardware: the real TLB and the shadow table no longer know the old frame.
    expect(sh.mmu!.translate(0, 0x4000_0010, ACCESS_READ, true)).toBe(WALK_PF);
    expect(sh.translate(0, 0x4000_0010, ACCESS_WRITE, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 3 * MiB + 0x10);
    // Write-protect it in the guest: the next write is the guest's own #PF.
    gpt.protect(0x4000_0000n, { w: false, u: true });
    expect(sh.translate(0, 0x4000_0010, ACCESS_WRITE, true)).toBe(WALK_PF);
    expect(sh.errorCode).toBe(PFEC_P | PFEC_W | PFEC_U);
    void host;
  });

  it('shadow entries mapping a guest page table are read-only: a store through them traps', () => {
    const { sh, gpt } = setup();
    const ptFrame = gpt.cr3; // the guest maps its own root table
    gpt.map(0x7000_0000n, ptFrame, 4096, { w: true });
    expect(sh.translate(0, 0x7000_0008, ACCESS_READ, false)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + ptFrame + 8);
    const traps = sh.exits.ptWrite;
    expect(sh.translate(0, 0x7000_0008, ACCESS_WRITE, false)).toBe(WALK_OK);
    expect(sh.trapped).toBe(1);
    expect(sh.exits.ptWrite).toBe(traps + 1);
    // A frame that becomes a page table later gets write-protected then.
    gpt.map(0x7000_1000n, 2 * MiB, 4096, { w: true });
    expect(sh.translate(0, 0x7000_1000, ACCESS_WRITE, false)).toBe(WALK_OK);
    expect(sh.trapped).toBe(0);
    gpt.map(0x80_0000_0000n, 2 * MiB + 0x80000, 4096, { w: true }); // links new tables
    const newTable = gpt.entryAddress(0x80_0000_0000n, 3) & ~0xfff;
    gpt.map(0x7000_2000n, newTable, 4096, { w: true });
    expect(sh.translate(0, 0x7000_2000, ACCESS_WRITE, false)).toBe(WALK_OK);
    expect(sh.trapped).toBe(1);
  });

  it('a guest store through its own mapping of a page table traps once and the shadow follows it', () => {
    const { sh, gpt } = setup();
    gpt.map(0x4000_0000n, 2 * MiB, 4096, { w: true, u: true });
    const pteGpa = gpt.entryAddress(0x4000_0000n, 1);
    gpt.map(0x7000_0000n, pteGpa & ~0xfff, 4096, { w: true }); // the kernel's window on the PT
    expect(sh.translate(0, 0x4000_0000, ACCESS_READ, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 2 * MiB);
    const traps = sh.exits.ptWrite;
    // The kernel rewrites the PTE through that window: guest frame 3 MiB, P | RW | US.
    expect(sh.store64(0, 0x7000_0000 + (pteGpa & 0xfff), (3 * MiB) | 7, 0, false)).toBe(WALK_OK);
    expect(sh.exits.ptWrite).toBe(traps + 1);
    expect(sh.vm.guestMem.readLo(pteGpa)).toBe((3 * MiB) | 7);
    expect(sh.translate(0, 0x4000_0000, ACCESS_READ, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 3 * MiB);
    // An ordinary store through the shadow lands in host memory without an exit.
    expect(sh.store64(0, 0x4000_0008, 0x1234, 0x5678, true)).toBe(WALK_OK);
    expect(sh.vm.host.read64(HOST_BASE + 3 * MiB + 8)).toBe(0x5678_0000_1234n);
    expect(sh.exits.ptWrite).toBe(traps + 1);
  });

  it('CR3 writes and INVLPG trap; each guest root keeps its own shadow', () => {
    const { sh, gpt, vm } = setup();
    gpt.map(0x4000_0000n, 2 * MiB, 4096, { w: true, u: true });
    const other = new PageTableBuilder(vm.guestMem, { allocator: vm.guestTableAllocator });
    other.map(0x4000_0000n, 3 * MiB, 4096, { w: true, u: true });
    expect(sh.translate(0, 0x4000_0000, ACCESS_READ, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 2 * MiB);
    sh.setGuestCr3(other.cr3);
    expect(sh.translate(0, 0x4000_0000, ACCESS_READ, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 3 * MiB);
    sh.setGuestCr3(gpt.cr3);
    expect(sh.translate(0, 0x4000_0000, ACCESS_READ, true)).toBe(WALK_OK);
    expect(sh.pa).toBe(HOST_BASE + 2 * MiB);
    sh.invlpg(0x4000_0000n);
    expect(sh.exits).toMatchObject({ cr3: 3, invlpg: 1 });
    expect(sh.mmu!.translate(0, 0x4000_0000, ACCESS_READ, true)).toBe(WALK_PF);
  });

  it('an unbacked guest-physical address is a host fault, reported like an EPT violation', () => {
    const { sh, gpt } = setup();
    gpt.map(0x4000_0000n, 0x1_0000_0000, 4096, { w: true, u: true });
    expect(sh.translate(0, 0x4000_0000, ACCESS_READ, true)).toBe(NESTED_EPT_VIOLATION);
    expect(sh.faultGpa).toBe(0x1_0000_0000);
    expect(sh.exitQualification & EQ_FINAL_TRANSLATION).toBe(EQ_FINAL_TRANSLATION);
    expect(sh.exits.hostFault).toBe(1);
  });
});
