/**
 * Page walk view: a small address space built in the page with the core's PageTableBuilder, a
 * virtual address split into its table indices and offset, every entry the walker reads with its
 * physical address and decoded bits, faults explained by their error-code bits; 4 or 5 levels;
 * and the same tables as a guest's under EPT, the 2D walk's references laid out as a grid.
 */
import * as vk from 'virtkit';
import { h, hex, hex64 } from './dom.js';

export interface MappingSpec {
  va: string;
  pa: number;
  size: vk.PageSize;
  flags: vk.PageFlags;
  note: string;
}

/** Everything needed to rebuild the image elsewhere (the tests do, with the Node build). */
export interface WalkImage {
  levels: 4 | 5;
  memSize: number;
  tablesAt: number;
  tablesEnd: number;
  mappings: MappingSpec[];
}

const MiB = 0x100000;
const GiB = 0x40000000;

export const DEFAULT_MAPPINGS: readonly MappingSpec[] = [
  { va: '0x400000', pa: 0x200000, size: 4096, flags: { u: true }, note: 'user code (read-only, executable)' },
  { va: '0x601000', pa: 0x201000, size: 4096, flags: { u: true, w: true, nx: true }, note: 'user data' },
  { va: '0x800000', pa: 0x400000, size: 0x200000, flags: { u: true, w: true, nx: true }, note: 'user heap, one 2 MiB page' },
  { va: '0x7ffffffde000', pa: 0x202000, size: 4096, flags: { u: true, w: true, nx: true }, note: 'user stack' },
  { va: '0xffffffff81000000', pa: 0x300000, size: 4096, flags: { g: true }, note: 'kernel text (supervisor, global)' },
  { va: '0xffff888000000000', pa: 0, size: GiB, flags: { w: true, nx: true, g: true }, note: 'kernel direct map, one 1 GiB page' },
];

interface Probe {
  label: string;
  va: string;
  access: number;
  user: boolean;
}

const PROBES: readonly Probe[] = [
  { label: 'user reads code', va: '0x400123', access: vk.ACCESS_READ, user: true },
  { label: 'user writes code', va: '0x400123', access: vk.ACCESS_WRITE, user: true },
  { label: 'user executes data', va: '0x601008', access: vk.ACCESS_EXEC, user: true },
  { label: 'user reads unmapped', va: '0x602000', access: vk.ACCESS_READ, user: true },
  { label: 'user reads kernel', va: '0xffffffff81000040', access: vk.ACCESS_READ, user: true },
  { label: '2 MiB page', va: '0x8abcde', access: vk.ACCESS_WRITE, user: true },
  { label: '1 GiB page', va: '0xffff888012345678', access: vk.ACCESS_READ, user: false },
  { label: 'not canonical', va: '0x0000900000000000', access: vk.ACCESS_READ, user: true },
  { label: 'a 57-bit address', va: '0x00ab000000400000', access: vk.ACCESS_READ, user: true },
];

const LEVEL_NAMES = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E', 'PML5E'];
const TABLE_NAMES = ['', 'PT', 'PD', 'PDPT', 'PML4', 'PML5'];
const ACCESS_NAMES = ['read', 'write', 'execute'];

export function parseVa(text: string): bigint | undefined {
  const t = text.trim().replace(/[_\s]/g, '');
  if (!/^(0x[0-9a-f]{1,16}|\d{1,20})$/i.test(t)) return undefined;
  const v = BigInt(t);
  return v < 1n << 64n ? v : undefined;
}

/** Build the image: tables from tablesAt, mappings in order (errors say which mapping). */
export function buildImage(img: WalkImage): { mem: vk.PhysicalMemory; pt: vk.PageTableBuilder; errors: string[] } {
  const mem = new vk.PhysicalMemory(img.memSize);
  const pt = new vk.PageTableBuilder(mem, { levels: img.levels, tablesAt: img.tablesAt, tablesEnd: img.tablesEnd });
  const errors: string[] = [];
  for (const m of img.mappings) {
    try {
      pt.map(BigInt(m.va), m.pa, m.size, m.flags);
    } catch (e) {
      if (!(e instanceof vk.VirtkitError)) throw e;
      errors.push(`${m.va}: ${e.message}`);
    }
  }
  return { mem, pt, errors };
}

/** The page-fault error code, bit by bit (SDM Vol. 3A, 4.7). */
export function explainErrorCode(code: number): string[] {
  return [
    code & vk.PFEC_P ? 'P = 1: a protection violation (the page was present)' : 'P = 0: the page, or a table on the way, was not present',
    code & vk.PFEC_W ? 'W/R = 1: the access was a write' : 'W/R = 0: the access was a read (or an instruction fetch)',
    code & vk.PFEC_U ? 'U/S = 1: the access was made in user mode (CPL 3)' : 'U/S = 0: the access was made in supervisor mode',
    ...(code & vk.PFEC_RSVD ? ['RSVD = 1: a reserved bit was set in an entry'] : []),
    ...(code & vk.PFEC_I ? ['I/D = 1: an instruction fetch (NX/XD set, or SMEP)'] : []),
    ...(code & vk.PFEC_PK ? ['PK = 1: the protection key forbade it'] : []),
  ];
}

function flagList(e: vk.DecodedEntry): HTMLElement {
  const bits: [string, boolean, string][] = [
    ['P', e.p, 'present'],
    ['RW', e.w, 'writable'],
    ['US', e.u, 'user'],
    ['PWT', e.pwt, 'write-through'],
    ['PCD', e.pcd, 'cache disable'],
    ['A', e.a, 'accessed'],
    ...(e.kind === 'page' ? ([['D', e.d, 'dirty']] as [string, boolean, string][]) : []),
    ...(e.level > 1 ? ([['PS', e.ps, 'page size']] as [string, boolean, string][]) : []),
    ...(e.kind === 'page' ? ([['G', e.g, 'global']] as [string, boolean, string][]) : []),
    ['XD', e.nx, 'execute disable'],
  ];
  return h('span', { class: 'flags' }, ...bits.map(([n, on, what]) => h('span', { class: on ? 'on' : 'off', title: what }, n)));
}

export function mountPageWalk(root: HTMLElement): void {
  const image: WalkImage = { levels: 4, memSize: 4 * MiB, tablesAt: 1 * MiB, tablesEnd: 2 * MiB, mappings: DEFAULT_MAPPINGS.map((m) => ({ ...m, flags: { ...m.flags } })) };

  const levelSel = h('select', { id: 'pw-levels' }, h('option', { value: 4 }, '4-level (48-bit VA)'), h('option', { value: 5 }, '5-level (57-bit VA)'));
  const vaInput = h('input', { id: 'pw-va', type: 'text', value: '0x400123', spellcheck: 'false' });
  const accessSel = h('select', { id: 'pw-access' }, ...ACCESS_NAMES.map((n, i) => h('option', { value: i }, n)));
  const userSel = h('select', { id: 'pw-mode' }, h('option', { value: 'user' }, 'user (CPL 3)'), h('option', { value: 'supervisor' }, 'supervisor (CPL 0)'));
  const smep = h('input', { type: 'checkbox', id: 'pw-smep' });
  const smap = h('input', { type: 'checkbox', id: 'pw-smap' });
  const mapTable = h('table', { id: 'pw-mappings', class: 'grid' });
  const mapError = h('div', { class: 'error', id: 'pw-map-error', hidden: true });
  const split = h('div', { id: 'pw-split', class: 'split' });
  const entries = h('table', { id: 'pw-entries', class: 'grid' });
  const result = h('div', { id: 'walk-result', class: 'result' });
  const eptLevelSel = h('select', { id: 'ept-levels' }, h('option', { value: 4 }, '4-level EPT'), h('option', { value: 5 }, '5-level EPT'));
  const nested = h('div', { id: 'ept-grid' });
  const nestedResult = h('div', { id: 'ept-result', class: 'result' });

  const add = {
    va: h('input', { type: 'text', placeholder: 'VA, e.g. 0x603000', spellcheck: 'false', id: 'pw-add-va' }),
    pa: h('input', { type: 'text', placeholder: 'PA, e.g. 0x203000', spellcheck: 'false', id: 'pw-add-pa' }),
    size: h('select', { id: 'pw-add-size' }, h('option', { value: 4096 }, '4 KiB'), h('option', { value: 0x200000 }, '2 MiB'), h('option', { value: GiB }, '1 GiB')),
    w: h('input', { type: 'checkbox', checked: true }),
    u: h('input', { type: 'checkbox', checked: true }),
    nx: h('input', { type: 'checkbox', checked: true }),
    g: h('input', { type: 'checkbox' }),
  };

  root.append(
    h(
      'div',
      { class: 'pw' },
      h(
        'div',
        { class: 'col' },
        h('h2', {}, 'Address space ', h('small', {}, `${image.memSize / MiB} MiB of physical memory, page tables from ${hex(image.tablesAt)}`)),
        mapTable,
        h(
          'div',
          { class: 'row add' },
          add.va,
          add.pa,
          add.size,
          h('label', {}, add.w, 'W'),
          h('label', {}, add.u, 'U'),
          h('label', {}, add.nx, 'NX'),
          h('label', {}, add.g, 'G'),
          h('button', { type: 'button', id: 'pw-add', onclick: addMapping }, 'Map'),
        ),
        mapError,
        h('h2', {}, 'Try'),
        h('div', { class: 'picker probes' }, ...PROBES.map((p) => h('button', { type: 'button', onclick: () => probe(p) }, p.label))),
      ),
      h(
        'div',
        { class: 'col wide' },
        h(
          'div',
          { class: 'controls' },
          h('label', {}, 'Paging ', levelSel),
          h('label', {}, 'VA ', vaInput),
          h('label', {}, 'Access ', accessSel),
          h('label', {}, 'Mode ', userSel),
          h('label', { title: 'CR4.SMEP: supervisor may not execute user pages' }, smep, 'SMEP'),
          h('label', { title: 'CR4.SMAP: supervisor may not read/write user pages' }, smap, 'SMAP'),
        ),
        split,
        entries,
        result,
        h('h2', {}, 'Nested paging: the same tables in a guest, under EPT ', eptLevelSel),
        h(
          'p',
          { class: 'note' },
          'The tables above now live in guest-physical memory (guest RAM: 16 MiB at host 0x1000000, mapped by the EPT with 4 KiB pages; the EPT tables are host frames from 0x800000). Every guest entry is read at a guest-physical address the EPT must translate first, and so is the final address: (n+1)(m+1) − 1 references for a cold walk.',
        ),
        nested,
        nestedResult,
      ),
    ),
  );

  function addMapping(): void {
    const va = parseVa(add.va.value);
    const pa = parseVa(add.pa.value);
    if (va === undefined || pa === undefined) {
      mapError.hidden = false;
      mapError.textContent = 'VA and PA are numbers (0x… hex or decimal)';
      return;
    }
    image.mappings.push({
      va: '0x' + va.toString(16),
      pa: Number(pa),
      size: Number(add.size.value) as vk.PageSize,
      flags: { w: add.w.checked, u: add.u.checked, nx: add.nx.checked, g: add.g.checked },
      note: 'added',
    });
    render();
  }

  function probe(p: Probe): void {
    vaInput.value = p.va;
    accessSel.value = String(p.access);
    userSel.value = p.user ? 'user' : 'supervisor';
    render();
  }

  function renderMappings(errors: string[]): void {
    mapTable.dataset.image = JSON.stringify(image);
    mapTable.replaceChildren(
      h('tr', {}, ...['virtual address', 'physical', 'size', 'flags', 'what', ''].map((t) => h('th', {}, t))),
      ...image.mappings.map((m, i) =>
        h(
          'tr',
          {},
          h('td', { class: 'mono' }, vk.formatVa(BigInt(m.va))),
          h('td', { class: 'mono' }, hex(m.pa)),
          h('td', {}, vk.sizeName(m.size)),
          h('td', { class: 'mono' }, `${m.flags.w ? 'W' : '-'}${m.flags.u ? 'U' : 'S'}${m.flags.nx ? '-' : 'X'}${m.flags.g ? 'G' : ''}`),
          h('td', {}, m.note),
          h('td', {}, h('button', { type: 'button', class: 'small', title: 'remove', onclick: () => (image.mappings.splice(i, 1), render()) }, '×')),
        ),
      ),
    );
    mapError.hidden = errors.length === 0;
    mapError.textContent = errors.join('; ');
  }

  function renderSplit(va: bigint, levels: 4 | 5, leafLevel: number): void {
    const bits = BigInt.asUintN(64, va).toString(2).padStart(64, '0');
    const top = levels === 5 ? 57 : 48;
    const offBits = leafLevel === 3 ? 30 : leafLevel === 2 ? 21 : 12;
    const parts: { name: string; hi: number; lo: number; level: number }[] = [{ name: 'sign extension', hi: 63, lo: top, level: 0 }];
    for (let l = levels; l >= 1; l--) {
      const lo = 12 + 9 * (l - 1);
      if (lo < offBits) break;
      parts.push({ name: `${TABLE_NAMES[l]} index`, hi: lo + 8, lo, level: l });
    }
    parts.push({ name: offBits === 12 ? 'page offset' : `offset in the ${offBits === 21 ? '2 MiB' : '1 GiB'} page`, hi: offBits - 1, lo: 0, level: -1 });
    split.replaceChildren(
      ...parts.map((p) => {
        const b = bits.slice(63 - p.hi, 64 - p.lo);
        const value = BigInt('0b' + b);
        return h(
          'div',
          { class: `part lv${p.level}`, 'data-level': p.level, style: `flex-grow:${p.hi - p.lo + 1}` },
          h('div', { class: 'pname' }, p.name),
          h('div', { class: 'prange' }, `bits ${p.hi}:${p.lo}`),
          h('div', { class: 'pbits' }, b.replace(/(\d{4})(?=\d)/g, '$1 ')),
          h('div', { class: 'pval', 'data-index': String(value) }, p.level > 0 ? `${value}` : hex(Number(value))),
        );
      }),
    );
  }

  function render(): void {
    image.levels = Number(levelSel.value) as 4 | 5;
    const { mem, pt, errors } = buildImage(image);
    renderMappings(errors);
    const va = parseVa(vaInput.value);
    if (va === undefined) {
      result.className = 'result bad';
      result.textContent = 'the virtual address is a number (0x… hex or decimal), at most 64 bits';
      entries.replaceChildren();
      split.replaceChildren();
      return;
    }
    const access = Number(accessSel.value);
    const user = userSel.value === 'user';
    const walker = new vk.PageWalker(mem, { levels: image.levels, smep: smep.checked, smap: smap.checked });
    const st = walker.walk(pt.cr3, vk.vaHi(va), vk.vaLo(va), access, user);
    renderSplit(va, image.levels, st === vk.WALK_OK ? (walker.pageShift === 30 ? 3 : walker.pageShift === 21 ? 2 : 1) : 1);

    entries.replaceChildren(
      h('tr', {}, ...['read', 'entry', 'table at', 'index', 'entry address', 'value', 'bits', 'points to'].map((t) => h('th', {}, t))),
      ...Array.from({ length: walker.refCount }, (_, i) => {
        const level = image.levels - i;
        const ea = walker.refs[i]!;
        const lo = mem.readLo(ea);
        const hi = mem.readHi(ea);
        const e = vk.decodeEntry(lo, hi, level);
        const index = vk.tableIndex(vk.vaHi(va), vk.vaLo(va), level);
        const to = !e.p ? 'not present: the walk stops' : e.kind === 'table' ? `${TABLE_NAMES[level - 1]} at ${hex(e.frame)}` : `${vk.sizeName(e.pageSize)} page at ${hex(e.frame)}`;
        return h(
          'tr',
          { class: `entry lv${level}`, 'data-level': level, 'data-ea': ea, 'data-lo': lo >>> 0, 'data-hi': hi >>> 0 },
          h('td', {}, String(i + 1)),
          h('td', {}, LEVEL_NAMES[level]!),
          h('td', { class: 'mono' }, hex(ea - index * 8)),
          h('td', { class: 'num' }, String(index)),
          h('td', { class: 'mono' }, hex(ea)),
          h('td', { class: 'mono' }, hex64(lo, hi)),
          h('td', {}, flagList(e)),
          h('td', {}, to),
        );
      }),
    );

    result.dataset.status = String(st);
    delete result.dataset.pa;
    delete result.dataset.errorCode;
    if (st === vk.WALK_OK) {
      result.className = 'result ok';
      result.dataset.pa = String(walker.pa);
      const r = walker.rights;
      result.replaceChildren(
        h('b', {}, `${vk.formatVa(va)} → physical ${hex(walker.pa)}`),
        ` · ${vk.sizeName(2 ** walker.pageShift)} page at ${hex(walker.frame)} · ${walker.refCount} entries read · effective rights: ${r & vk.RIGHT_W ? 'writable' : 'read-only'}, ${r & vk.RIGHT_U ? 'user' : 'supervisor only'}, ${r & vk.RIGHT_NX ? 'no execute' : 'executable'}`,
      );
    } else if (st === vk.WALK_PF) {
      result.className = 'result bad';
      result.dataset.errorCode = String(walker.errorCode);
      result.replaceChildren(
        h('b', {}, `#PF (page fault) on a ${ACCESS_NAMES[access]} of ${vk.formatVa(va)} in ${user ? 'user' : 'supervisor'} mode: error code ${hex(walker.errorCode)}`),
        h('ul', {}, ...explainErrorCode(walker.errorCode).map((t) => h('li', {}, t))),
        `CR2 would hold ${vk.formatVa(va)}; the faulting entry is the ${LEVEL_NAMES[walker.leafLevel]} at ${hex(walker.leafEntryPa)}.`,
      );
    } else {
      result.className = 'result bad';
      result.replaceChildren(
        h('b', {}, `#GP: ${vk.formatVa(va)} is not canonical`),
        ` — with ${image.levels}-level paging bits 63:${image.levels === 5 ? 56 : 47} must all equal bit ${image.levels === 5 ? 56 : 47}; the processor faults before reading any entry.`,
      );
    }
    renderNested(va, access, user);
  }

  const vms = new Map<number, { host: vk.PhysicalMemory; vm: vk.Vm }>();

  function renderNested(va: bigint, access: number, user: boolean): void {
    const eptLevels = Number(eptLevelSel.value) as 4 | 5;
    // Host memory: EPT tables from 8 MiB, the guest's 16 MiB of RAM at 16 MiB.
    const setup = { hostSize: 32 * MiB, hostBase: 16 * MiB, ramSize: 16 * MiB, eptAt: 8 * MiB, eptEnd: 16 * MiB, eptLevels };
    nested.dataset.setup = JSON.stringify(setup);
    // The VM (its EPT maps 4096 pages) is built once per EPT depth; each render rebuilds only the
    // guest's tables, in a cleared table area (walks change nothing: no A/D updates).
    let cached = vms.get(eptLevels);
    if (!cached) {
      const h0 = new vk.PhysicalMemory(setup.hostSize);
      cached = { host: h0, vm: new vk.Vm(h0, { hostBase: setup.hostBase, ramSize: setup.ramSize, eptAllocator: new vk.FrameAllocator(h0, setup.eptAt, setup.eptEnd), eptLevels }) };
      vms.set(eptLevels, cached);
    }
    const { host, vm } = cached;
    vm.guestMem.u8.fill(0, image.tablesAt, image.tablesEnd);
    const gpt = new vk.PageTableBuilder(vm.guestMem, { levels: image.levels, allocator: new vk.FrameAllocator(vm.guestMem, image.tablesAt, image.tablesEnd) });
    for (const m of image.mappings) {
      try {
        gpt.map(BigInt(m.va), m.pa, m.size, m.flags);
      } catch {
        // reported with the native image above
      }
    }
    const nw = new vk.NestedWalker(host, vm.eptWalker, { levels: image.levels, smep: smep.checked, smap: smap.checked });
    const st = nw.walk(gpt.cr3, vk.vaHi(va), vk.vaLo(va), access, user);
    const cols = eptLevels + 1;
    const rows = image.levels + 1;
    const cells: (HTMLElement | null)[][] = Array.from({ length: rows }, () => new Array<HTMLElement | null>(cols).fill(null));
    // EPT references go in the row of the guest entry they lead to; once the guest walk has
    // reached its leaf (a translation, or a fault in the final translation), in the last row:
    // a large page leaves the rows of the levels it skips empty.
    const finalPhase = st === vk.WALK_OK || (st === vk.NESTED_EPT_VIOLATION && (nw.exitQualification & vk.EQ_FINAL_TRANSLATION) !== 0);
    let r = 0;
    let c = 0;
    let guestSeen = 0;
    for (let i = 0; i < nw.refCount; i++) {
      const kind = nw.refKinds[i]!;
      if (kind === vk.REF_GUEST) c = cols - 1;
      else if (finalPhase && guestSeen === nw.guestRefCount) r = rows - 1;
      const lvl = kind === vk.REF_GUEST ? image.levels - r : eptLevels - c;
      const name = kind === vk.REF_GUEST ? `guest ${LEVEL_NAMES[lvl]}` : `EPT ${LEVEL_NAMES[lvl]}`;
      if (r < rows && c < cols) {
        cells[r]![c] = h('td', { class: kind === vk.REF_GUEST ? 'ref guest' : 'ref ept', 'data-ref': i, 'data-hpa': nw.refs[i]!, 'data-kind': kind }, h('div', { class: 'n' }, String(i + 1)), h('div', {}, name), h('div', { class: 'mono' }, hex(nw.refs[i]!)));
      }
      if (kind === vk.REF_GUEST) {
        r++;
        c = 0;
        guestSeen++;
      } else c++;
    }
    const rowHead = (ri: number): string => {
      if (ri < nw.guestRefCount) return `guest ${TABLE_NAMES[image.levels - ri]} entry at GPA ${hex(nw.guestEntryGpas[ri]!)}`;
      if (ri === rows - 1) return st === vk.WALK_OK || nw.gpa ? `final GPA ${hex(nw.gpa)}` : 'final GPA';
      return `guest ${TABLE_NAMES[image.levels - ri]}`;
    };
    nested.replaceChildren(
      h(
        'table',
        { class: 'grid2d', 'data-refs': nw.refCount },
        h('tr', {}, h('th', {}, 'translating'), ...Array.from({ length: cols - 1 }, (_, j) => h('th', {}, `EPT ${TABLE_NAMES[eptLevels - j]}`)), h('th', {}, 'guest entry')),
        ...cells.map((row, ri) => h('tr', {}, h('th', { class: 'rowhead' }, rowHead(ri)), ...row.map((cell) => cell ?? h('td', { class: 'empty' }, '')))),
      ),
    );
    nestedResult.dataset.refs = String(nw.refCount);
    if (st === vk.WALK_OK) {
      nestedResult.className = 'result ok';
      nestedResult.textContent = `${vk.formatVa(va)} → guest-physical ${hex(nw.gpa)} → host-physical ${hex(nw.pa)}: ${nw.refCount} memory references for one TLB miss (${nw.guestRefCount} of them guest entries; the native walk above read ${nw.guestRefCount}).`;
    } else if (st === vk.NESTED_EPT_VIOLATION) {
      nestedResult.className = 'result bad';
      nestedResult.textContent = `EPT violation (a VM exit to the hypervisor) at guest-physical ${hex(nw.faultGpa)} after ${nw.refCount} references: ${vk.describeExitQualification(nw.exitQualification).join(', ')}. Guest RAM is 16 MiB; addresses beyond it have no EPT mapping.`;
    } else if (st === vk.NESTED_EPT_MISCONFIG) {
      nestedResult.className = 'result bad';
      nestedResult.textContent = `EPT misconfiguration at guest-physical ${hex(nw.faultGpa)}: ${vk.MISCONFIG_TEXT[nw.misconfig]}`;
    } else if (st === vk.WALK_PF) {
      nestedResult.className = 'result bad';
      nestedResult.textContent = `The guest's own #PF (error code ${hex(nw.errorCode)}), delivered to the guest without a VM exit, after ${nw.refCount} references.`;
    } else {
      nestedResult.className = 'result bad';
      nestedResult.textContent = '#GP in the guest: not canonical; no reference made.';
    }
  }

  for (const el of [levelSel, accessSel, userSel, smep, smap, eptLevelSel]) el.addEventListener('change', render);
  vaInput.addEventListener('input', render);
  render();
}
