/**
 * `virtkit paging sim|curve` — the demand-paging simulator over a trace of `r ADDR` / `w ADDR`
 * lines (4 KiB pages), issue #8.
 */
import { FileError, writeOutputFile } from '../../node/safe-output.js';
import { linePieces } from '../../node/spec-file.js';
import { basename } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseArgs, flagBool, flagString, parseNumber } from '../args.js';
import type { Command } from '../command.js';
import { parseTrace, TraceError, type PageTrace } from '../../mem/paging/trace.js';
import { simulate, faultCurve, MAX_FRAMES } from '../../mem/paging/sim.js';
import { POLICY_NAMES, isPolicyName, type PolicyName } from '../../mem/paging/policy.js';
import { curveSvg } from '../../mem/paging/chart.js';
import { runOnSystem } from '../../mem/paging/system.js';

const help = `usage: virtkit paging sim TRACE --frames M --policy fifo|lru|clock|opt [--system] [--json]
       virtkit paging curve TRACE [--policy P[,P…]] [--frames A..B] [-o OUT.svg] [--json]

Demand paging: M physical frames under the pages a trace touches, with a swap device behind
them. TRACE has one access a line, 'r ADDR' or 'w ADDR' (4 KiB pages, ADDR hex 0x… or
decimal), '#' starts a comment.

sim    counts page faults, evictions (faults with every frame in use) and writebacks (evicted
       pages written since they were loaded); --json prints
       {"accesses", "faults", "evictions", "writebacks", "faultRate"}.
       --system runs the trace on the full system instead — 4-level page tables, a
       Skylake-sized TLB, the page-fault handler and a swap device — and adds "swapReads",
       "swapWrites", "zeroFills", "translations", "walks", "tlbHitRate" and "tableFrames".
       Its counts equal the simulator's.
curve  faults for every frame count in A..B (default 1..min(64, pages + 1)) for each policy
       (default: all four), as a table; -o writes an SVG line chart for a browser. Steps where
       more frames give more faults (Belady's anomaly) are marked '*' and ringed in the chart.
       --json prints {"frames": [...], "series": [{"policy", "faults": [...]}],
       "anomalies": [{"policy", "frames", "moreFrames", "faults", "moreFaults"}]}.

Policies: fifo evicts the page loaded earliest; lru the page accessed least recently; opt
(Belady) the page next used farthest in the future, pages never used again going first,
earliest-loaded among them; clock (second chance) sweeps a ring of frames from frame 0,
clearing referenced bits until it finds a frame not referenced since the last sweep.
`;

/**
 * The trace file, read in runs of whole lines (a trace of any size: the text is never held
 * whole; the parsed trace costs 5 bytes an access). Each run is parsed on its own and its dense
 * page ids renumbered into the file's.
 */
async function readTrace(path: string): Promise<PageTrace> {
  const ids = new Map<number, number>();
  const numbers: number[] = [];
  let pages = new Int32Array(1024);
  let writes = new Uint8Array(1024);
  let n = 0;
  try {
    for await (const piece of linePieces(path)) {
      let part: PageTrace;
      try {
        part = parseTrace(piece.text);
      } catch (e) {
        if (e instanceof TraceError) throw new UsageError(`${path}: line ${piece.firstLine + e.line - 1}: ${e.reason}`);
        throw e;
      }
      const remap = new Int32Array(part.pageCount);
      for (let i = 0; i < part.pageCount; i++) {
        const page = part.pageNumbers[i]!;
        let id = ids.get(page);
        if (id === undefined) {
          id = numbers.length;
          ids.set(page, id);
          numbers.push(page);
        }
        remap[i] = id;
      }
      if (n + part.length > pages.length) {
        let size = pages.length;
        while (size < n + part.length) size *= 2;
        const p2 = new Int32Array(size);
        p2.set(pages.subarray(0, n));
        pages = p2;
        const w2 = new Uint8Array(size);
        w2.set(writes.subarray(0, n));
        writes = w2;
      }
      for (let i = 0; i < part.length; i++) pages[n + i] = remap[part.pages[i]!]!;
      writes.set(part.writes, n);
      n += part.length;
    }
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(`cannot read ${path}: ${e.reason}`);
    throw e;
  }
  return { length: n, pages: pages.slice(0, n), writes: writes.slice(0, n), pageCount: numbers.length, pageNumbers: Float64Array.from(numbers) };
}

function policyOf(text: string): PolicyName {
  if (!isPolicyName(text)) throw new UsageError(`--policy: unknown policy '${text}' (valid: ${POLICY_NAMES.join(', ')})`);
  return text;
}

/** `A..B` or a single `N`. */
function frameRange(text: string): number[] {
  const m = /^\s*([^.]+)\.\.([^.]+)\s*$/.exec(text);
  const lo = parseNumber(m ? m[1]! : text, '--frames', 1, MAX_FRAMES);
  const hi = m ? parseNumber(m[2]!, '--frames', 1, MAX_FRAMES) : lo;
  if (hi < lo) throw new UsageError(`--frames: empty range ${text}`);
  if (hi - lo >= 4096) throw new UsageError(`--frames: ${text} has more than 4096 frame counts`);
  const out: number[] = [];
  for (let f = lo; f <= hi; f++) out.push(f);
  return out;
}

function oneTrace(positional: string[], sub: string): string {
  if (positional.length !== 1) throw new UsageError(`paging ${sub}: expected one TRACE file, got ${positional.length}`);
  return positional[0]!;
}

function pct(v: number): string {
  return (v * 100).toFixed(2) + '%';
}

export const command: Command = {
  summary: 'demand paging: simulate fifo/lru/clock/opt over a trace, fault curves',
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'sim') {
      const p = parseArgs(rest, { frames: 'string', policy: 'string', json: 'bool', system: 'bool' });
      const file = oneTrace(p.positional, 'sim');
      const framesText = flagString(p, 'frames');
      if (framesText === undefined) throw new UsageError('paging sim: --frames M is required');
      const frames = parseNumber(framesText, '--frames', 1, MAX_FRAMES);
      const policyText = flagString(p, 'policy');
      if (policyText === undefined) throw new UsageError(`paging sim: --policy is required (${POLICY_NAMES.join('|')})`);
      const policy = policyOf(policyText);
      const trace = await readTrace(file);
      if (flagBool(p, 'system')) {
        const s = runOnSystem(trace, frames, policy);
        if (flagBool(p, 'json')) {
          io.stdout(JSON.stringify(s) + '\n');
        } else {
          io.stdout(
            [
              `policy      ${policy}, ${frames} frame${frames === 1 ? '' : 's'}, full system (4-level tables, Skylake TLB)`,
              `accesses    ${s.accesses}`,
              `faults      ${s.faults} (${pct(s.faultRate)}): ${s.swapReads} read from swap, ${s.zeroFills} zero-filled`,
              `evictions   ${s.evictions}`,
              `writebacks  ${s.writebacks} (swap writes ${s.swapWrites})`,
              `tlb         ${s.translations} translations, ${s.walks} walks, hit rate ${pct(s.tlbHitRate)}`,
              `tables      ${s.tableFrames} page-table frames`,
            ].join('\n') + '\n',
          );
        }
        return 0;
      }
      const s = simulate(trace, frames, policy);
      if (flagBool(p, 'json')) {
        io.stdout(JSON.stringify({ accesses: s.accesses, faults: s.faults, evictions: s.evictions, writebacks: s.writebacks, faultRate: s.faultRate }) + '\n');
      } else {
        io.stdout(
          [
            `policy      ${policy}, ${frames} frame${frames === 1 ? '' : 's'}`,
            `accesses    ${s.accesses}`,
            `faults      ${s.faults} (${pct(s.faultRate)})`,
            `evictions   ${s.evictions}`,
            `writebacks  ${s.writebacks}`,
          ].join('\n') + '\n',
        );
      }
      return 0;
    }
    if (sub === 'curve') {
      const p = parseArgs(rest, { frames: 'string', policy: 'string', out: 'string', json: 'bool' }, { o: 'out' });
      const file = oneTrace(p.positional, 'curve');
      const policyText = flagString(p, 'policy');
      const policies = policyText === undefined ? [...POLICY_NAMES] : policyText.split(',').map((t) => policyOf(t.trim()));
      if (new Set(policies).size !== policies.length) throw new UsageError(`--policy: ${policyText} names a policy twice`);
      const trace = await readTrace(file);
      const framesText = flagString(p, 'frames');
      const frames = framesText === undefined ? frameRange(`1..${Math.max(1, Math.min(64, trace.pageCount + 1))}`) : frameRange(framesText);
      const curve = faultCurve(trace, policies, frames);
      const out = flagString(p, 'out');
      if (out !== undefined) {
        const svg = curveSvg(curve, {
          title: `Page faults by number of frames — ${basename(file)}`,
          subtitle: `${trace.length} accesses to ${trace.pageCount} distinct 4 KiB pages; ${policies.join(', ')}`,
        });
        await writeOutputFile(out, svg, { inputs: [file] });
      }
      if (flagBool(p, 'json')) {
        io.stdout(JSON.stringify({ frames: curve.frames, series: curve.series, anomalies: curve.anomalies }) + '\n');
        return 0;
      }
      const anomalous = new Set(curve.anomalies.map((a) => `${a.policy}:${a.moreFrames}`));
      const widths = policies.map((name) => Math.max(name.length, String(trace.length).length + 1));
      const lines = ['frames  ' + policies.map((name, i) => name.padStart(widths[i]!)).join('  ')];
      curve.frames.forEach((m, row) => {
        const cells = curve.series.map((s, i) => {
          const mark = anomalous.has(`${s.policy}:${m}`) ? '*' : ' ';
          return (String(s.faults[row]) + mark).padStart(widths[i]! + 1);
        });
        lines.push((String(m).padStart(6) + ' ' + cells.join(' ')).trimEnd());
      });
      for (const a of curve.anomalies) lines.push(`* Belady's anomaly: ${a.policy} makes ${a.moreFaults} faults with ${a.moreFrames} frames but ${a.faults} with ${a.frames}`);
      if (out !== undefined) lines.push(`chart written to ${out}`);
      io.stdout(lines.join('\n') + '\n');
      return 0;
    }
    if (sub === undefined) throw new UsageError('paging: expected a subcommand: sim or curve (see --help)');
    throw new UsageError(`paging: unknown subcommand '${sub}' (valid: sim, curve)`);
  },
};

