/**
 * TLB view: a trace of accesses by two processes stepped through a small set-associative TLB,
 * twice side by side: without PCIDs (every CR3 write drops the non-global entries) and with
 * PCIDs (each process keeps its tagged entries across the switch). The core's Mmu does the
 * work; the page reads its TLB arrays to draw them.
 */
import * as vk from 'virtkit';
import { h, hex } from './dom.js';

const MiB = 0x100000;

/** Two processes: the same user addresses on different frames, and one global kernel page both map. */
function buildProcesses(mem: vk.PhysicalMemory): { A: number; B: number } {
  const alloc = new vk.FrameAllocator(mem, 1 * MiB, 2 * MiB);
  const cr3 = (frameBase: number): number => {
    const pt = new vk.PageTableBuilder(mem, { allocator: alloc });
    for (let i = 0; i < 16; i++) pt.map(0x400000n + BigInt(i * 4096), frameBase + i * 4096, 4096, { u: true, w: true });
    pt.map(0xffffffff81000000n, 0x300000, 4096, { g: true });
    return pt.cr3;
  };
  return { A: cr3(0x200000), B: cr3(0x280000) };
}

export const DEFAULT_TRACE = `# one access per line: VA [r|w|x] (upper-half VAs at CPL 0);
# "switch A" / "switch B" writes CR3; "invlpg VA" drops a page
0x400000
0x401000
0x402000
0x400008
0xffffffff81000000   # kernel page, global
switch B
0x400000
0x401000
0xffffffff81000000
switch A
0x400000
0x401000
0x402000
0xffffffff81000000`;

interface Step {
  line: number;
  text: string;
  /** The process running when the step is made. */
  proc: 'A' | 'B';
  switchTo?: 'A' | 'B';
  /** INVLPG of this address (the current process's entry for it, and a global one). */
  invlpg?: bigint;
  va?: bigint;
  access?: number;
}

function parseTrace(text: string): { steps: Step[]; error?: string } {
  const steps: Step[] = [];
  const lines = text.split('\n');
  let proc: 'A' | 'B' = 'A';
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.replace(/#.*/, '').trim();
    if (t === '') continue;
    const sw = /^switch\s+([AB])$/i.exec(t);
    if (sw) {
      steps.push({ line: i + 1, text: t, proc, switchTo: sw[1]!.toUpperCase() as 'A' | 'B' });
      proc = sw[1]!.toUpperCase() as 'A' | 'B';
      continue;
    }
    const inv = /^invlpg\s+(0x[0-9a-f_]+|\d+)$/i.exec(t);
    if (inv) {
      steps.push({ line: i + 1, text: t, proc, invlpg: BigInt(inv[1]!.replace(/_/g, '')) });
      continue;
    }
    const m = /^(0x[0-9a-f_]+|\d+)(?:\s+([rwx]))?$/i.exec(t);
    if (!m) return { steps, error: `line ${i + 1}: '${t}' is not "VA [r|w|x]", "switch A|B" or "invlpg VA"` };
    steps.push({ line: i + 1, text: t, proc, va: BigInt(m[1]!.replace(/_/g, '')), access: m[2] === 'w' ? vk.ACCESS_WRITE : m[2] === 'x' ? vk.ACCESS_EXEC : vk.ACCESS_READ });
  }
  return { steps };
}

interface Side {
  name: string;
  pcid: boolean;
  mmu: vk.Mmu;
  results: ('hit' | 'miss' | 'fault' | 'switch' | 'invlpg')[];
  /** Entry index touched by the last step (hit or filled), or -1. */
  touched: number;
  el: HTMLElement;
}

const PCID_OF = { A: 1, B: 2 } as const;

/** Entry i of the TLB, read through its exported entry layout (tlb.ts), or undefined when invalid. */
function entryOf(tlb: vk.Tlb, i: number): { vpn: number; size: number; pcid: number; global: boolean } | undefined {
  if (!tlb.valid(i)) return undefined;
  const e = i * vk.ENTRY_INTS;
  const tagHi = tlb.ent[e + vk.E_TAG_HI]!;
  const ctx = tlb.ent[e + vk.E_CTX]!;
  return { vpn: (tagHi >>> 2) * 4294967296 + (tlb.ent[e + vk.E_TAG_LO]! >>> 0), size: tagHi & 3, pcid: ctx & 0xfff, global: (ctx & vk.GLOBAL_CTX) !== 0 };
}

export function mountTlb(root: HTMLElement): void {
  const traceBox = h('textarea', { id: 'tlb-trace', rows: 18, spellcheck: 'false' });
  traceBox.value = DEFAULT_TRACE;
  const geom = h(
    'select',
    { id: 'tlb-geometry' },
    h('option', { value: '4x2' }, '4 sets × 2 ways (8 entries)'),
    h('option', { value: '2x4' }, '2 sets × 4 ways (8 entries)'),
    h('option', { value: '8x1' }, '8 sets × 1 way (direct-mapped)'),
    h('option', { value: '1x8' }, '1 set × 8 ways (fully associative)'),
  );
  const policySel = h('select', { id: 'tlb-policy', title: 'replacement policy' }, h('option', { value: 'lru' }, 'LRU'), h('option', { value: 'fifo' }, 'FIFO'), h('option', { value: 'random' }, 'random (xorshift32, seed 1)'));
  const errorBox = h('div', { class: 'error', id: 'tlb-error', hidden: true });
  const stepsEl = h('ol', { id: 'tlb-steps', class: 'steps' });
  const sidesEl = h('div', { class: 'tlb-sides' });
  const stepBtn = h('button', { type: 'button', id: 'tlb-step' }, 'Step');
  const runBtn = h('button', { type: 'button', id: 'tlb-run' }, 'Run to end');
  const resetBtn = h('button', { type: 'button', id: 'tlb-reset' }, 'Reset');

  root.append(
    h(
      'div',
      { class: 'tlbv' },
      h('div', { class: 'col' }, h('h2', {}, 'Trace'), traceBox, h('div', { class: 'controls' }, geom, policySel), h('div', { class: 'row' }, stepBtn, runBtn, resetBtn), errorBox),
      h('div', { class: 'col' }, h('h2', {}, 'Steps'), h('div', { class: 'steps-head' }, h('span', {}, 'process: access'), h('span', {}, 'no PCID'), h('span', {}, 'PCID')), stepsEl),
      h('div', { class: 'col wide' }, sidesEl),
    ),
    h(
      'p',
      { class: 'note' },
      'Both processes map the same user addresses (0x400000…) to different frames, and the kernel page 0xffffffff81000000 as global. Without PCIDs a CR3 write flushes every non-global entry; with PCIDs (A = 1, B = 2, CR3 written with the no-flush bit) entries are tagged and survive the switch. Global entries survive either way.',
    ),
  );

  let steps: Step[] = [];
  let pos = 0;
  let current: 'A' | 'B' = 'A';
  let sides: Side[] = [];
  let procs = { A: 0, B: 0 };

  function reset(): void {
    const parsed = parseTrace(traceBox.value);
    errorBox.hidden = !parsed.error;
    errorBox.textContent = parsed.error ?? '';
    steps = parsed.steps;
    pos = 0;
    current = 'A';
    const [sets, ways] = geom.value.split('x').map(Number) as [number, number];
    const mem = new vk.PhysicalMemory(2 * MiB);
    procs = buildProcesses(mem);
    sides = [false, true].map((pcid) => {
      const mmu = new vk.Mmu(new vk.PageWalker(mem), vk.simpleGeometry(sets, ways), { pcide: pcid, pge: true, policy: policySel.value as vk.Policy, seed: 1 });
      mmu.movCr3(procs.A, pcid ? PCID_OF.A : 0);
      return { name: pcid ? 'with PCIDs' : 'without PCIDs', pcid, mmu, results: [], touched: -1, el: h('div', { class: 'side', 'data-pcid': String(pcid) }) };
    });
    sidesEl.replaceChildren(...sides.map((s) => s.el));
    render();
  }

  function step(): boolean {
    const s = steps[pos];
    if (!s) return false;
    for (const side of sides) {
      side.touched = -1;
      if (s.switchTo) {
        side.mmu.movCr3(procs[s.switchTo], side.pcid ? PCID_OF[s.switchTo] : 0, side.pcid);
        side.results.push('switch');
        continue;
      }
      if (s.invlpg !== undefined) {
        side.mmu.invlpg(vk.vaHi(s.invlpg), vk.vaLo(s.invlpg));
        side.results.push('invlpg');
        continue;
      }
      const va = s.va!;
      // Upper-half addresses are the kernel's: accessed at CPL 0 (as during a system call).
      const user = vk.vaHi(va) >>> 31 === 0;
      const st = side.mmu.translate(vk.vaHi(va), vk.vaLo(va), s.access!, user);
      side.results.push(st !== vk.WALK_OK ? 'fault' : side.mmu.hit ? 'hit' : 'miss');
      if (st === vk.WALK_OK) side.touched = findTouched(side.mmu.tlb, va);
    }
    if (s.switchTo) current = s.switchTo;
    pos++;
    return true;
  }

  /** The entry now holding va for the current context (the one hit or just filled). */
  function findTouched(tlb: vk.Tlb, va: bigint): number {
    const vpn = Number(BigInt.asUintN(57, va) >> 12n);
    for (let i = 0; i < tlb.size; i++) {
      const e = entryOf(tlb, i);
      if (e && e.size === 0 && e.vpn === vpn && (e.global || e.pcid === tlb.pcid)) return i;
    }
    return -1;
  }

  function render(): void {
    stepsEl.replaceChildren(
      ...steps.map((s, i) =>
        h(
          'li',
          { class: i === pos - 1 ? 'cur' : i < pos ? 'done' : '', 'data-step': i },
          h('span', { class: 'st' }, s.va === undefined ? s.text : `${s.proc}: ${s.text}`),
          ...sides.map((side) => {
            const r = side.results[i];
            return h('span', { class: `res ${r ?? ''}`, title: side.name }, r === undefined ? '' : r === 'switch' ? (side.pcid ? 'keep' : 'flush') : r === 'invlpg' ? 'drop' : r);
          }),
        ),
      ),
    );
    stepsEl.querySelector('.cur')?.scrollIntoView({ block: 'nearest' });
    for (const side of sides) renderSide(side);
  }

  function renderSide(side: Side): void {
    const tlb = side.mmu.tlb;
    const sets = tlb.arrSets[0]!;
    const ways = tlb.arrWays[0]!;
    const hits = side.results.filter((r) => r === 'hit').length;
    const misses = side.results.filter((r) => r === 'miss').length;
    const last = side.results[pos - 1];
    const rows: HTMLElement[] = [h('tr', {}, h('th', {}, 'set'), ...Array.from({ length: ways }, (_, w) => h('th', {}, `way ${w}`)))];
    for (let s = 0; s < sets; s++) {
      const cells: HTMLElement[] = [];
      for (let w = 0; w < ways; w++) {
        const i = tlb.arrBase[0]! + s * ways + w;
        const e = entryOf(tlb, i);
        if (!e) {
          cells.push(h('td', { class: 'tlbe empty' }, '—'));
          continue;
        }
        const tag = e.global ? 'global' : `PCID ${e.pcid}`;
        const cls = i === side.touched ? (last === 'hit' ? 'tlbe hit' : 'tlbe fill') : 'tlbe';
        cells.push(h('td', { class: cls, 'data-entry': i }, h('div', { class: 'mono' }, `VPN ${hex(e.vpn)}`), h('div', { class: 'mono' }, `→ ${hex(tlb.frameOf(i))}`), h('div', { class: 'tag' }, tag)));
      }
      rows.push(h('tr', {}, h('th', {}, String(s)), ...cells));
    }
    side.el.replaceChildren(
      h('h2', {}, side.name, h('small', {}, side.pcid ? ' CR4.PCIDE = 1' : ' CR4.PCIDE = 0')),
      h(
        'div',
        { class: 'counters', 'data-hits': hits, 'data-misses': misses },
        h('span', { class: 'hit' }, `${hits} hits`),
        h('span', { class: 'miss' }, `${misses} misses (page walks)`),
        h('span', {}, `process ${current}, CR3 ${hex(side.mmu.cr3)}${side.pcid ? `, PCID ${side.mmu.pcid}` : ''}`),
      ),
      h('table', { class: 'grid tlbgrid' }, rows),
    );
  }

  stepBtn.addEventListener('click', () => {
    step();
    render();
  });
  runBtn.addEventListener('click', () => {
    while (step());
    render();
  });
  resetBtn.addEventListener('click', reset);
  traceBox.addEventListener('change', reset);
  geom.addEventListener('change', reset);
  policySel.addEventListener('change', reset);
  reset();
}
