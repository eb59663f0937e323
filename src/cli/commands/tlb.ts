/**
 * `virtkit tlb sim|switch|presets`: a set-associative TLB over a trace file, context switches
 * with and without PCIDs, and the core geometries built in.
 */
import { FileError } from '../../node/file-error.js';
import { linePieces } from '../../node/spec-file.js';
import { UsageError } from '../../errors.js';
import { flagBool, flagString, ownEntry, parseArgs, parseBigNumber, parseNumber } from '../args.js';
import type { Command } from '../command.js';
import { Tlb, simpleGeometry, sizeIndexOfShift, type PageShift, type Policy, type TlbGeometry } from '../../mem/tlb.js';
import { PRESETS } from '../../mem/tlb-presets.js';
import { simulateSwitches, USER_PAGES, HOT_PAGES, KERNEL_PAGES } from '../../mem/tlb-switch.js';

const help = `usage: virtkit tlb sim TRACE --sets S --ways W [--policy lru|fifo|random] [--page 4K|2M|1G]
                      [--seed N] [--json]
       virtkit tlb switch --procs N --quantum Q [--accesses A] [--seed N] [--tlb PRESET] [--json]
       virtkit tlb presets [--json]

sim      Runs a trace through one set-associative TLB of S sets x W ways (1 way: direct-mapped;
         1 set: fully associative) holding one page size (default 4K). VPN = VA >> page shift,
         set = VPN mod S, tag = PCID and VPN. Every access hits or fills (there is no page table:
         this is a pure TLB simulation). --policy lru (default), fifo, or random (xorshift32
         seeded with --seed, default 1). Prints {"accesses", "hits", "misses", "hitRate"}.
         Trace: one operation a line, numbers hex (0x...) or decimal, '#' starts a comment:
           access VA [PCID]   translate VA for PCID (default: the PCID of the last access, at first 0)
           invlpg VA [PCID]   drop the entry for VA's page tagged PCID (default: current)
           flush PCID         drop every non-global entry tagged PCID
           flush all          drop every entry, global ones too
         VAs are 64-bit and must be canonical for 57-bit addresses (bits 63:56 all equal).
         A bad line exits with status 2 naming FILE:LINE.

switch   N processes take turns on one core, Q accesses each, round-robin, A accesses in all
         (default 200000), twice: with a flush at every switch (CR4.PCIDE = 0, MOV to CR3 drops
         all non-global entries) and with PCID tags (PCID i+1 per process, CR3 written with the
         no-flush bit once a PCID has run). Real 4-level page tables and walks. The workload:
         process p has ${USER_PAGES} user pages of its own (at 0x400000 + p x ${USER_PAGES} pages); all share
         ${KERNEL_PAGES} global kernel pages at 0xffff800000000000 (G = 1, CR4.PGE = 1). Each access is a
         read: 1 in 8 to a kernel page at CPL 0, else a user page at CPL 3, 80 % from the first
         ${HOT_PAGES} pages of the process and 20 % from all ${USER_PAGES}, at a random offset; all draws from
         one xorshift32 seeded with --seed (default 1), so a run is reproducible. --tlb picks the
         core (default skylake; see 'virtkit tlb presets'). Prints, for "flush" and "pcid":
         {"hitRate", "hits", "walks", "switches"}.

presets  The TLB geometries built in, with their arrays.
`;

const SHIFT_OF_PAGE: Record<string, PageShift> = { '4K': 12, '2M': 21, '1G': 30 };

export interface SimResult {
  accesses: number;
  hits: number;
  misses: number;
  hitRate: number;
}

/**
 * A trace run fed in runs of whole lines (`feed(text, firstLine)`), so a trace file of any size
 * streams through: the TLB and the current PCID carry over from one run to the next.
 */
export class TraceRun {
  private readonly tlb: Tlb;
  private readonly size: number;
  private current = 0;
  private accesses = 0;
  private hits = 0;

  constructor(
    private readonly name: string,
    geometry: TlbGeometry,
    policy: Policy,
    seed: number,
  ) {
    this.tlb = new Tlb(geometry, { policy, seed });
    this.size = sizeIndexOfShift(geometry.l1[0]!.pageShifts[0]!);
  }

  result(): SimResult {
    const { accesses, hits } = this;
    return { accesses, hits, misses: accesses - hits, hitRate: accesses ? hits / accesses : 0 };
  }

  feed(text: string, firstLine: number): void {
    const { tlb, size, name } = this;
    let { current, accesses, hits } = this;
    const lines = text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    for (let ln = 0; ln < lines.length; ln++) {
      const where = `${name}:${firstLine + ln}`;
      const hash = lines[ln]!.indexOf('#');
      const body = (hash >= 0 ? lines[ln]!.slice(0, hash) : lines[ln]!).trim();
      if (body === '') continue;
      const words = body.split(/\s+/);
      const op = words[0]!;
      const num = (w: string | undefined, what: string): bigint => {
        if (w === undefined) throw new UsageError(`${where}: ${op} needs ${what}`);
        try {
          return parseBigNumber(w, what);
        } catch {
          throw new UsageError(`${where}: ${what} '${w}' is not a number (decimal or 0x hex)`);
        }
      };
      const pcidArg = (w: string | undefined): number => {
        if (w === undefined) return current;
        const v = num(w, 'PCID');
        if (v > 0xfffn) throw new UsageError(`${where}: PCID ${w} is out of range 0..4095`);
        return Number(v);
      };
      const vaArg = (w: string | undefined): [number, number] => {
        const v = num(w, 'VA');
        if (v >= 1n << 64n) throw new UsageError(`${where}: VA ${w} does not fit in 64 bits`);
        const top = v >> 56n;
        if (top !== 0n && top !== 0xffn) throw new UsageError(`${where}: VA ${w} is not canonical (bits 63:56 must all equal)`);
        return [Number(v >> 32n), Number(v & 0xffffffffn)];
      };
      const arity = (max: number): void => {
        if (words.length > max) throw new UsageError(`${where}: unexpected '${words[max]}' after ${op}`);
      };
      switch (op) {
        case 'access': {
          arity(3);
          const [hi, lo] = vaArg(words[1]);
          current = pcidArg(words[2]);
          tlb.setContext(current, 0);
          accesses++;
          if (tlb.lookup(hi, lo) >= 0) hits++;
          else {
            tlb.recordMiss(size);
            tlb.fill(hi, lo, size, 0, 0, false);
          }
          break;
        }
        case 'invlpg': {
          arity(3);
          const [hi, lo] = vaArg(words[1]);
          tlb.invalidatePage(hi, lo, pcidArg(words[2]), false);
          break;
        }
        case 'flush': {
          arity(2);
          if (words[1] === 'all') tlb.flushAll();
          else if (words[1] === undefined) throw new UsageError(`${where}: flush needs a PCID or 'all'`);
          else tlb.flushPcid(pcidArg(words[1]));
          break;
        }
        default:
          throw new UsageError(`${where}: unknown operation '${op}' (valid: access, invlpg, flush)`);
      }
    }
    this.current = current;
    this.accesses = accesses;
    this.hits = hits;
  }
}

function pct(x: number): string {
  return (100 * x).toFixed(2) + '%';
}

async function sim(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const p = parseArgs(argv, { sets: 'string', ways: 'string', policy: 'string', page: 'string', seed: 'string', json: 'bool' });
  if (p.positional.length !== 1) throw new UsageError('tlb sim: expected one TRACE file');
  const file = p.positional[0]!;
  const setsText = flagString(p, 'sets');
  const waysText = flagString(p, 'ways');
  if (setsText === undefined) throw new UsageError('tlb sim: --sets is required');
  if (waysText === undefined) throw new UsageError('tlb sim: --ways is required');
  const sets = parseNumber(setsText, '--sets', 1, 1 << 20);
  const ways = parseNumber(waysText, '--ways', 1, 1 << 10);
  if (sets * ways > 1 << 24) throw new UsageError(`tlb sim: ${sets} x ${ways} entries is more than 16M`);
  const policy = (flagString(p, 'policy') ?? 'lru') as Policy;
  if (policy !== 'lru' && policy !== 'fifo' && policy !== 'random') throw new UsageError(`--policy: '${policy}' is not lru, fifo or random`);
  const pageText = (flagString(p, 'page') ?? '4K').toUpperCase();
  const shift = ownEntry(SHIFT_OF_PAGE, pageText);
  if (shift === undefined) throw new UsageError(`--page: '${pageText}' is not 4K, 2M or 1G`);
  const seed = parseNumber(flagString(p, 'seed') ?? '1', '--seed', 0, 0xffffffff);
  // The trace streams through in runs of whole lines: a trace of any size, in bounded memory.
  const run = new TraceRun(file, simpleGeometry(sets, ways, shift), policy, seed);
  try {
    for await (const piece of linePieces(file)) run.feed(piece.text, piece.firstLine);
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(`${file}: cannot read (${e.reason})`);
    throw e;
  }
  const r = run.result();
  if (flagBool(p, 'json')) io.stdout(JSON.stringify(r) + '\n');
  else io.stdout(`${sets} sets x ${ways} ways, ${pageText} pages, ${policy}: ${r.accesses} accesses, ${r.hits} hits, ${r.misses} misses, hit rate ${pct(r.hitRate)}\n`);
  return 0;
}

function preset(name: string): TlbGeometry {
  const g = ownEntry(PRESETS, name);
  if (!g) throw new UsageError(`--tlb: unknown TLB '${name}' (valid: ${Object.keys(PRESETS).join(', ')})`);
  return g;
}

async function sw(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const p = parseArgs(argv, { procs: 'string', quantum: 'string', accesses: 'string', seed: 'string', tlb: 'string', json: 'bool' });
  if (p.positional.length) throw new UsageError(`tlb switch: unexpected argument '${p.positional[0]}'`);
  const procsText = flagString(p, 'procs');
  const quantumText = flagString(p, 'quantum');
  if (procsText === undefined) throw new UsageError('tlb switch: --procs is required');
  if (quantumText === undefined) throw new UsageError('tlb switch: --quantum is required');
  const procs = parseNumber(procsText, '--procs', 1, 4095);
  const quantum = parseNumber(quantumText, '--quantum', 1, 1e9);
  const accesses = parseNumber(flagString(p, 'accesses') ?? '200000', '--accesses', 1, 50_000_000);
  const seed = parseNumber(flagString(p, 'seed') ?? '1', '--seed', 0, 0xffffffff);
  const r = simulateSwitches({ procs, quantum, accesses, seed, geometry: preset(flagString(p, 'tlb') ?? 'skylake') });
  if (flagBool(p, 'json')) {
    io.stdout(JSON.stringify(r) + '\n');
    return 0;
  }
  io.stdout(`${procs} processes, quantum ${quantum}, ${accesses} accesses, ${r.tlb} TLB, ${r.flush.switches} switches\n`);
  io.stdout(`  ${'mode'.padEnd(22)} ${'hit rate'.padStart(9)} ${'walks'.padStart(9)}\n`);
  io.stdout(`  ${'flush at every switch'.padEnd(22)} ${pct(r.flush.hitRate).padStart(9)} ${String(r.flush.walks).padStart(9)}\n`);
  io.stdout(`  ${'PCID tags'.padEnd(22)} ${pct(r.pcid.hitRate).padStart(9)} ${String(r.pcid.walks).padStart(9)}\n`);
  return 0;
}

async function presets(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const p = parseArgs(argv, { json: 'bool' });
  if (p.positional.length) throw new UsageError(`tlb presets: unexpected argument '${p.positional[0]}'`);
  const names = { 12: '4K', 21: '2M', 30: '1G' } as const;
  const list = Object.entries(PRESETS).map(([name, g]) => ({
    name,
    l1: g.l1.map((a) => ({ name: a.name, entries: a.entries, ways: a.ways, pages: a.pageShifts.map((s) => names[s]) })),
    l2: g.l2.map((a) => ({ name: a.name, entries: a.entries, ways: a.ways, pages: a.pageShifts.map((s) => names[s]) })),
  }));
  if (flagBool(p, 'json')) {
    io.stdout(JSON.stringify({ presets: list }) + '\n');
    return 0;
  }
  for (const g of list) {
    io.stdout(`${g.name}\n`);
    for (const arrs of [g.l1, g.l2]) {
      for (const a of arrs) io.stdout(`  ${a.name.padEnd(17)} ${String(a.entries).padStart(5)} entries ${String(a.ways).padStart(3)}-way  ${a.pages.join('+')}\n`);
    }
  }
  return 0;
}

export const command: Command = {
  summary: 'TLB simulation: traces through a set-associative TLB, context switches with/without PCIDs',
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'sim':
        return sim(rest, io);
      case 'switch':
        return sw(rest, io);
      case 'presets':
        return presets(rest, io);
      case undefined:
        throw new UsageError('tlb: expected a subcommand: sim, switch or presets');
      default:
        throw new UsageError(`tlb: unknown subcommand '${sub}' (valid: sim, switch, presets)`);
    }
  },
};
