/**
 * `virtkit pt build | walk | dump`: x86-64 page tables in a physical-memory image (cli.md,
 * "Page tables"). build turns a map file into an image; walk translates one address exactly as
 * the SDM defines it; dump lists every present leaf in virtual-address order.
 */
import { readFileSync } from 'node:fs';
import { writeOutputFile } from '../../node/safe-output.js';
import { UsageError, VirtkitError } from '../../errors.js';
import { PhysicalMemory } from '../../mem/phys.js';
import { BuilderError, MappingLimitError, PageTableBuilder, sizeName, walkMappings, type PageFlags, type PageSize, type TableLoop } from '../../mem/builder.js';
import { LO_A, LO_D, LO_G, LO_PAT_LARGE, LO_PCD, LO_PS, LO_PWT, LO_RW, LO_US } from '../../mem/pte.js';
import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PFEC_I, PFEC_P, PFEC_PK, PFEC_RSVD, PFEC_U, PFEC_W, PageWalker, RIGHT_NX, RIGHT_U, RIGHT_W, WALK_GP, WALK_OK,
} from '../../mem/walker.js';
import { formatVa, vaHi, vaLo } from '../../mem/va.js';
import { flagBool, flagString, hex, ownEntry, parseArgs, parseBigNumber, parseNumber } from '../args.js';
import type { Command, CommandIO } from '../command.js';

const HELP = `usage:
  virtkit pt build MAP.json -o MEM.bin [--json]
  virtkit pt walk MEM.bin --cr3 X --va Y [--levels 4|5] [--access r|w|x] [--user] [--wp]
                  [--nxe] [--smep] [--smap] [--maxphyaddr N] [--map MAP.json] [--json]
  virtkit pt dump MEM.bin --cr3 X [--levels 4|5] [--max-mappings N] [--json]

build   Build 4- or 5-level x86-64 page tables from a map file into a physical-memory image.
        Map file: {"levels": 4, "memBytes": "16M", "tablesAt": "0x100000", "nxe": true,
                   "maxPhyAddr": 52 (optional),
                   "mappings": [{"va": "0x400000", "pa": "0x200000", "size": "4K",
                                 "flags": ["w", "u"]}, ...]}
        size: 4K, 2M or 1G. flags: w (R/W), u (U/S), pwt, pcd, a, d, g, nx, pat.
        Tables are allocated 4 KiB at a time from tablesAt (default 1 MiB); the root is the
        first. Intermediate entries are present, writable and user: the leaf decides.
        Prints {"cr3", "levels", "tables", "bytes"}.
walk    One translation as Intel SDM Vol. 3A ch. 4 defines it: canonical check (#GP), reserved
        bits and access rights (#PF with its error code). Control bits are off unless given:
        --wp (CR0.WP), --nxe (EFER.NXE), --smep, --smap (CR4); EFLAGS.AC is 0; MAXPHYADDR 52
        unless --maxphyaddr. --user is a CPL-3 access. The image is only read.
        --map MAP.json takes cr3 (the root at tablesAt), levels, nxe and maxPhyAddr from the
        map the image was built from; flags given as well win.
        Prints {"va", "pa", "pageSize", "flags", "refs"} or {"va", "fault", "refs"}; flags are
        the effective rights over all levels (w, u, nx) and the leaf's pwt, pcd, pat, a, d, g.
        A fault is an answer: exit status 0.
dump    Every present leaf reachable from CR3, in virtual-address order, upper-half addresses
        sign-extended: {"mappings": [{"va", "pa", "size", "flags"}]} (the leaf's own flags).
        An entry pointing back at a table on its own path (a self-map or a loop) is not
        followed; it is listed under "loops": [{"va", "level", "entry", "table"}]. More than
        --max-mappings leaves (default 1048576; aliased tables multiply them) is an error.

Numbers: hex (0x...) or decimal, sizes with K/M/G suffixes.
`;

/** Map-file flag names → PageFlags keys. */
const MAP_FLAGS: Record<string, keyof PageFlags> = { w: 'w', u: 'u', pwt: 'pwt', pcd: 'pcd', a: 'a', d: 'd', g: 'g', nx: 'nx', pat: 'pat' };
const MAP_KEYS = new Set(['levels', 'memBytes', 'tablesAt', 'nxe', 'maxPhyAddr', 'mappings']);
const MAPPING_KEYS = new Set(['va', 'pa', 'size', 'flags']);
const SIZES: Record<string, PageSize> = { '4K': 4096, '2M': 0x200000, '1G': 0x40000000 };

export interface BuiltImage {
  mem: PhysicalMemory;
  builder: PageTableBuilder;
  levels: 4 | 5;
}

function numberField(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') return parseBigNumber(v, what);
  throw new UsageError(`${what}: expected a number or a "0x…" string, got ${JSON.stringify(v)}`);
}

/** Build the image a map file (already JSON-parsed) describes. Bad maps are UsageErrors naming the mapping. */
export function buildFromMap(map: unknown, source = 'map file'): BuiltImage {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new UsageError(`${source}: expected a JSON object`);
  const m = map as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!MAP_KEYS.has(k)) throw new UsageError(`${source}: unknown key '${k}' (valid: ${[...MAP_KEYS].join(', ')})`);
  const levels = m.levels ?? 4;
  if (levels !== 4 && levels !== 5) throw new UsageError(`${source}: levels must be 4 or 5, not ${JSON.stringify(levels)}`);
  const memBytes = numberField(m.memBytes ?? '16M', `${source}: memBytes`);
  if (memBytes <= 0n || memBytes % 4096n !== 0n || memBytes > 0x8000_0000n) throw new UsageError(`${source}: memBytes ${hex(memBytes)} must be a multiple of 4096 up to 2G`);
  const tablesAt = numberField(m.tablesAt ?? 0x100000, `${source}: tablesAt`);
  if (tablesAt % 4096n !== 0n || tablesAt >= memBytes) throw new UsageError(`${source}: tablesAt ${hex(tablesAt)} must be 4K-aligned and inside memBytes (${hex(memBytes)})`);
  const nxe = m.nxe ?? true;
  if (typeof nxe !== 'boolean') throw new UsageError(`${source}: nxe must be true or false`);
  const maxPhyAddr = m.maxPhyAddr ?? 52;
  if (typeof maxPhyAddr !== 'number' || !Number.isInteger(maxPhyAddr) || maxPhyAddr < 32 || maxPhyAddr > 52) throw new UsageError(`${source}: maxPhyAddr must be an integer 32..52`);
  if (!Array.isArray(m.mappings)) throw new UsageError(`${source}: "mappings" must be an array`);
  const mem = new PhysicalMemory(Number(memBytes));
  const builder = new PageTableBuilder(mem, { levels, tablesAt: Number(tablesAt), maxPhyAddr });
  m.mappings.forEach((raw: unknown, i: number) => {
    const rec = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
    const vaText = typeof rec.va === 'string' || typeof rec.va === 'number' ? String(rec.va) : '?';
    const where = `mapping ${i} (va ${vaText})`;
    try {
      if (rec !== raw) throw new UsageError('expected an object {va, pa, size, flags}');
      for (const k of Object.keys(rec)) if (!MAPPING_KEYS.has(k)) throw new UsageError(`unknown key '${k}' (valid: va, pa, size, flags)`);
      if (rec.va === undefined || rec.pa === undefined || rec.size === undefined) throw new UsageError('va, pa and size are required');
      const va = numberField(rec.va, 'va');
      if (va >= 1n << 64n) throw new UsageError(`va ${hex(va)} is wider than 64 bits`);
      const pa = numberField(rec.pa, 'pa');
      if (pa >= 1n << 52n) throw new UsageError(`pa ${hex(pa)} is beyond 52 bits`);
      const size = typeof rec.size === 'string' ? ownEntry(SIZES, rec.size.toUpperCase()) : ownEntry(SIZES, sizeName(Number(rec.size)));
      if (size === undefined) throw new UsageError(`size ${JSON.stringify(rec.size)} is not 4K, 2M or 1G`);
      const flags: PageFlags = {};
      const list = rec.flags ?? [];
      if (!Array.isArray(list)) throw new UsageError('flags must be an array of strings');
      for (const f of list) {
        const key = typeof f === 'string' ? ownEntry(MAP_FLAGS, f) : undefined;
        if (key === undefined) throw new UsageError(`unknown flag ${JSON.stringify(f)} (valid: ${Object.keys(MAP_FLAGS).join(', ')})`);
        (flags as Record<string, boolean>)[key] = true;
      }
      if (flags.nx && !nxe) throw new UsageError('flag nx needs "nxe": true (XD is a reserved bit when EFER.NXE = 0)');
      builder.map(va, Number(pa), size, flags);
    } catch (e) {
      if (e instanceof BuilderError) throw new UsageError(`${source}: ${where}: ${e.reason}`);
      if (e instanceof VirtkitError) throw new UsageError(`${source}: ${where}: ${e.message}`);
      throw e;
    }
  });
  return { mem, builder, levels };
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function readImage(path: string): PhysicalMemory {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (bytes.length === 0 || bytes.length % 4096 !== 0 || bytes.length > 0x8000_0000) throw new UsageError(`${path}: image size ${bytes.length} is not a non-zero multiple of 4096 up to 2G`);
  const mem = new PhysicalMemory(bytes.length);
  mem.u8.set(bytes);
  return mem;
}

function levelsFlag(p: ReturnType<typeof parseArgs>): 4 | 5 {
  const t = flagString(p, 'levels');
  if (t === undefined) return 4;
  if (t !== '4' && t !== '5') throw new UsageError(`--levels must be 4 or 5, not '${t}'`);
  return t === '4' ? 4 : 5;
}

function cr3Flag(p: ReturnType<typeof parseArgs>, mem: PhysicalMemory): number {
  const t = flagString(p, 'cr3');
  if (t === undefined) throw new UsageError('--cr3 is required');
  const v = parseBigNumber(t, '--cr3');
  if (v >= 1n << 52n) throw new UsageError(`--cr3 ${t} is beyond 52 bits`);
  const root = Number(v) - (Number(v) % 4096);
  if (root + 4096 > mem.size) throw new UsageError(`--cr3 ${t}: the root table at ${hex(root)} is outside the image (${hex(mem.size)} bytes)`);
  return Number(v);
}

/** Leaf flags in map-file vocabulary (what `pt build` would take to make this entry). */
export function leafFlagNames(lo: number, hi: number, level: number): string[] {
  const out: string[] = [];
  if (lo & LO_RW) out.push('w');
  if (lo & LO_US) out.push('u');
  if (lo & LO_PWT) out.push('pwt');
  if (lo & LO_PCD) out.push('pcd');
  if (lo & LO_A) out.push('a');
  if (lo & LO_D) out.push('d');
  if (lo & LO_G) out.push('g');
  if (hi >>> 31) out.push('nx');
  if (level === 1 ? lo & LO_PS : lo & LO_PAT_LARGE) out.push('pat');
  return out;
}

const PFEC_NAMES: [number, string][] = [[PFEC_P, 'P'], [PFEC_W, 'W'], [PFEC_U, 'U'], [PFEC_RSVD, 'RSVD'], [PFEC_I, 'I'], [PFEC_PK, 'PK']];

async function build(argv: string[], io: CommandIO): Promise<number> {
  const p = parseArgs(argv, { o: 'string', json: 'bool' }, { output: 'o' });
  if (p.positional.length !== 1) throw new UsageError('pt build takes one MAP.json (see --help)');
  const out = flagString(p, 'o');
  if (out === undefined) throw new UsageError('pt build needs -o MEM.bin');
  const mapPath = p.positional[0]!;
  const { mem, builder, levels } = buildFromMap(readJson(mapPath), mapPath);
  await writeOutputFile(out, mem.u8, { inputs: [mapPath] });
  const tables = builder.allocator.used;
  // With -o - the image is on stdout: the summary goes to stderr.
  const say = out === '-' ? io.stderr : io.stdout;
  if (flagBool(p, 'json')) say(JSON.stringify({ cr3: hex(builder.cr3), levels, tables, bytes: mem.size }) + '\n');
  else say(`wrote ${out}: ${mem.size} bytes, ${tables} page-table frames, cr3 ${hex(builder.cr3)} (${levels}-level paging)\n`);
  return 0;
}

/**
 * `--map MAP.json`: the settings the image was built with (the root table at tablesAt, levels,
 * nxe, maxPhyAddr) become the defaults of --cr3, --levels, --nxe and --maxphyaddr; flags given
 * on the command line win.
 */
function applyMapSettings(p: ReturnType<typeof parseArgs>, mapPath: string): void {
  const doc = readJson(mapPath);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${mapPath}: expected a JSON object`);
  const m = doc as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!MAP_KEYS.has(k)) throw new UsageError(`${mapPath}: unknown key '${k}' (valid: ${[...MAP_KEYS].join(', ')})`);
  const levels = m.levels ?? 4;
  if (levels !== 4 && levels !== 5) throw new UsageError(`${mapPath}: levels must be 4 or 5, not ${JSON.stringify(levels)}`);
  const tablesAt = numberField(m.tablesAt ?? 0x100000, `${mapPath}: tablesAt`);
  const nxe = m.nxe ?? true;
  if (typeof nxe !== 'boolean') throw new UsageError(`${mapPath}: nxe must be true or false`);
  const maxPhyAddr = m.maxPhyAddr ?? 52;
  if (typeof maxPhyAddr !== 'number' || !Number.isInteger(maxPhyAddr) || maxPhyAddr < 32 || maxPhyAddr > 52) throw new UsageError(`${mapPath}: maxPhyAddr must be an integer 32..52`);
  if (!p.flags.has('cr3')) p.flags.set('cr3', hex(tablesAt));
  if (!p.flags.has('levels')) p.flags.set('levels', String(levels));
  if (!p.flags.has('maxphyaddr')) p.flags.set('maxphyaddr', String(maxPhyAddr));
  if (nxe) p.flags.set('nxe', true);
}

async function walk(argv: string[], io: CommandIO): Promise<number> {
  const p = parseArgs(argv, {
    cr3: 'string', va: 'string', levels: 'string', access: 'string', user: 'bool', wp: 'bool', nxe: 'bool', smep: 'bool', smap: 'bool', maxphyaddr: 'string', json: 'bool', map: 'string',
  });
  if (p.positional.length !== 1) throw new UsageError('pt walk takes one MEM.bin (see --help)');
  const mapPath = flagString(p, 'map');
  if (mapPath !== undefined) applyMapSettings(p, mapPath);
  const mem = readImage(p.positional[0]!);
  const cr3 = cr3Flag(p, mem);
  const vaText = flagString(p, 'va');
  if (vaText === undefined) throw new UsageError('--va is required');
  const va = parseBigNumber(vaText, '--va');
  if (va >= 1n << 64n) throw new UsageError(`--va ${vaText} is wider than 64 bits`);
  const accessText = flagString(p, 'access') ?? 'r';
  const access = ownEntry({ r: ACCESS_READ, w: ACCESS_WRITE, x: ACCESS_EXEC }, accessText);
  if (access === undefined) throw new UsageError(`--access must be r, w or x, not '${accessText}'`);
  const maxPhyText = flagString(p, 'maxphyaddr');
  const maxPhyAddr = maxPhyText === undefined ? 52 : parseNumber(maxPhyText, '--maxphyaddr', 32, 52);
  const user = flagBool(p, 'user');
  const nxe = flagBool(p, 'nxe');
  const walker = new PageWalker(mem, {
    levels: levelsFlag(p), maxPhyAddr, nxe, wp: flagBool(p, 'wp'), smep: flagBool(p, 'smep'), smap: flagBool(p, 'smap'), ac: false, updateAD: false,
  });
  const st = walker.walk(cr3, vaHi(va), vaLo(va), access, user);
  const refs = Array.from(walker.refs.subarray(0, walker.refCount), (r) => hex(r));
  const vaHex = formatVa(va);
  let doc: Record<string, unknown>;
  let text: string;
  if (st === WALK_OK) {
    const flags: string[] = [];
    if (walker.rights & RIGHT_W) flags.push('w');
    if (walker.rights & RIGHT_U) flags.push('u');
    if (walker.rights & RIGHT_NX && nxe) flags.push('nx');
    const lo = walker.leafLo;
    if (lo & LO_PWT) flags.push('pwt');
    if (lo & LO_PCD) flags.push('pcd');
    if (walker.memType & 4) flags.push('pat');
    if (lo & LO_A) flags.push('a');
    if (lo & LO_D) flags.push('d');
    if (lo & LO_G) flags.push('g');
    const pageSize = sizeName(2 ** walker.pageShift);
    doc = { va: vaHex, pa: hex(walker.pa), pageSize, flags, refs };
    text = `va ${vaHex} -> pa ${hex(walker.pa)} (${pageSize} page, ${flags.join(' ') || 'read-only supervisor'})\n`;
  } else if (st === WALK_GP) {
    doc = { va: vaHex, fault: { exception: 'GP' }, refs };
    text = `va ${vaHex}: #GP (not canonical for ${walker.config.levels}-level paging; no entry read)\n`;
  } else {
    const code = walker.errorCode;
    const bits = PFEC_NAMES.filter(([b]) => code & b).map(([, n]) => n);
    doc = { va: vaHex, fault: { exception: 'PF', errorCode: code, bits }, refs };
    const cause = code & PFEC_RSVD ? 'reserved bit set' : code & PFEC_P ? 'protection violation' : 'not present';
    text = `va ${vaHex}: #PF error code ${hex(code)} (${bits.join(' ') || 'no bits'}: ${cause} at the level-${walker.leafLevel} entry ${hex(walker.leafEntryPa)})\n`;
  }
  if (flagBool(p, 'json')) io.stdout(JSON.stringify(doc) + '\n');
  else io.stdout(text + `entries read: ${refs.join(' ') || '(none)'}\n`);
  return 0;
}

async function dump(argv: string[], io: CommandIO): Promise<number> {
  const p = parseArgs(argv, { cr3: 'string', levels: 'string', json: 'bool', 'max-mappings': 'string' });
  if (p.positional.length !== 1) throw new UsageError('pt dump takes one MEM.bin (see --help)');
  const mem = readImage(p.positional[0]!);
  const cr3 = cr3Flag(p, mem);
  const levels = levelsFlag(p);
  const maxText = flagString(p, 'max-mappings');
  const limits = { maxLeaves: maxText === undefined ? 1 << 20 : parseNumber(maxText, '--max-mappings', 1, 1 << 26) };
  const json = flagBool(p, 'json');
  // A first pass counts (no output), so an image over the limits is one error line rather than
  // half a document; the second streams the rows in ~64 KiB pieces, waiting for a slow reader.
  try {
    for (const _ of walkMappings(mem, cr3, levels, limits)) void _;
  } catch (e) {
    if (e instanceof MappingLimitError) throw new UsageError(`${p.positional[0]}: ${e.message}; raise --max-mappings to list them anyway`);
    throw e;
  }
  let pending = json ? '{"mappings": [' : `${'va'.padEnd(18)}  ${'pa'.padEnd(15)}  size  flags\n`;
  let rows = 0;
  const loops: TableLoop[] = [];
  for (const m of walkMappings(mem, cr3, levels, limits)) {
    if ('loop' in m) {
      loops.push(m);
      continue;
    }
    const va = formatVa(m.va);
    const pa = hex(m.pa);
    const size = sizeName(m.size);
    const flags = leafFlagNames(m.lo, m.hi, m.level);
    if (json) pending += (rows > 0 ? ', ' : '') + JSON.stringify({ va, pa, size, flags });
    else pending += `${va.padStart(18)}  ${pa.padStart(15)}  ${size.padEnd(4)}  ${flags.join(' ')}\n`;
    rows++;
    if (pending.length >= 65536) {
      const wait = io.stdout(pending);
      pending = '';
      if (wait) await wait;
    }
  }
  const loopText = (l: TableLoop): string => `level-${l.level} entry ${hex(l.entryPa)} (va ${formatVa(l.va)}) points back at the table ${hex(l.table)} on its own path`;
  if (json) {
    pending += ']';
    // A loop is not followed (it would list the same tables forever); each one is reported.
    if (loops.length) pending += `, "loops": ${JSON.stringify(loops.map((l) => ({ va: formatVa(l.va), level: l.level, entry: hex(l.entryPa), table: hex(l.table) })))}`;
    pending += '}\n';
  } else {
    pending += `${rows} mapping${rows === 1 ? '' : 's'}\n`;
    for (const l of loops) pending += `loop: ${loopText(l)} (not followed)\n`;
  }
  await io.stdout(pending);
  return 0;
}

export const command: Command = {
  summary: 'x86-64 page tables: build an image from a map, walk one address, dump the mappings',
  help: HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'build') return build(rest, io);
    if (sub === 'walk') return walk(rest, io);
    if (sub === 'dump') return dump(rest, io);
    throw new UsageError(sub === undefined ? 'pt needs a subcommand: build, walk or dump' : `unknown pt subcommand '${sub}' (valid: build, walk, dump)`);
  },
};
