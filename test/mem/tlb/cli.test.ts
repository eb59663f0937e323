/**
 * `virtkit tlb`: the hand-worked fixture trace, traces against the reference model, bad lines
 * (exit 2, FILE:LINE on one line), and the context-switch figures against counts computed
 * independently from the documented workload.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { runCli, ROOT } from '../../helpers/cli.js';
import { XorShift32, type TlbGeometry } from '../../../src/mem/tlb.js';
import { simulateSwitches, USER_PAGES, HOT_PAGES, KERNEL_PAGES } from '../../../src/mem/tlb-switch.js';
import { RefTlb } from './reference.js';

const FIXTURE = join(ROOT, 'fixtures', 'tlb', 'small.trace');
const dir = mkdtempSync(join(tmpdir(), 'virtkit-tlb-'));
function traceFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('virtkit tlb sim', () => {
  it('the fixture trace, worked by hand in its comments: LRU 4 hits, FIFO 5', async () => {
    const lru = await runCli(['tlb', 'sim', FIXTURE, '--sets', '2', '--ways', '2', '--json']);
    expect(lru.code).toBe(0);
    expect(JSON.parse(lru.stdout)).toEqual({ accesses: 13, hits: 4, misses: 9, hitRate: 4 / 13 });
    const fifo = await runCli(['tlb', 'sim', FIXTURE, '--sets', '2', '--ways', '2', '--policy', 'fifo', '--json']);
    expect(JSON.parse(fifo.stdout)).toMatchObject({ hits: 5, misses: 8 });
    expect(fifo.stderr).toBe('');
  });

  it('a fully associative TLB as large as the trace\'s pages misses once per (PCID, page)', async () => {
    const lines = ['access 0x7fff00001000 3', 'access 0x7fff00001fff', 'access 0xffff800000002000', 'access 0xffff800000002008 0', 'access 0x7fff00001000 0', 'access 0x7fff00001000'];
    const r = await runCli(['tlb', 'sim', traceFile('fa.trace', lines.join('\n') + '\n'), '--sets', '1', '--ways', '64', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ accesses: 6, hits: 2, misses: 4 });
  });

  it('2M pages: one entry covers 512 4K pages', async () => {
    const r = await runCli(['tlb', 'sim', traceFile('2m.trace', 'access 0x200000\naccess 0x3ff000\naccess 0x400000\n'), '--sets', '4', '--ways', '1', '--page', '2M', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ hits: 1, misses: 2 });
  });

  it('random traces give the reference model\'s counts (every policy, sets not a power of two too)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            { weight: 8, arbitrary: fc.tuple(fc.constant('access'), fc.integer({ min: 0, max: 40 }), fc.option(fc.integer({ min: 0, max: 3 }))) },
            { weight: 1, arbitrary: fc.tuple(fc.constant('invlpg'), fc.integer({ min: 0, max: 40 }), fc.option(fc.integer({ min: 0, max: 3 }))) },
            { weight: 1, arbitrary: fc.tuple(fc.constant('flush'), fc.integer({ min: -1, max: 3 }), fc.constant(null)) },
          ),
          { minLength: 1, maxLength: 150, size: 'max' },
        ),
        fc.constantFrom([4, 2], [3, 2], [1, 8], [8, 1], [5, 3]),
        fc.constantFrom('lru', 'fifo', 'random'),
        async (ops, [sets, ways], policy) => {
          const geometry: TlbGeometry = { name: 'g', l1: [{ name: 'a', entries: sets! * ways!, ways: ways!, pageShifts: [12] }], l2: [] };
          const ref = new RefTlb(geometry, policy as 'lru', 1);
          let hits = 0;
          let accesses = 0;
          const text: string[] = [];
          for (const [op, a, pcidOpt] of ops) {
            const pcid = pcidOpt as number | null;
            // Pages spread so several collide in a set; some in the upper half.
            const va = a % 5 === 4 ? 0xffff800000000000n + BigInt(a) * 4096n : BigInt(a) * 4096n + 0x10n;
            if (op === 'access') {
              text.push(`access 0x${va.toString(16)}${pcid === null ? '' : ' ' + pcid}`);
              if (pcid !== null) ref.pcid = pcid;
              accesses++;
              if (ref.lookup(va)) hits++;
              else ref.fill(va, 12, 0, 0, false);
            } else if (op === 'invlpg') {
              text.push(`invlpg ${va}${pcid === null ? '' : ' ' + pcid}`);
              ref.invalidatePage(va, pcid ?? ref.pcid, false);
            } else {
              text.push(a < 0 ? 'flush all' : `flush ${a}`);
              if (a < 0) ref.flushAll();
              else ref.flushPcid(a);
            }
          }
          const r = await runCli(['tlb', 'sim', traceFile('rand.trace', text.join('\n')), '--sets', String(sets), '--ways', String(ways), '--policy', policy, '--json']);
          expect(r.code).toBe(0);
          expect(JSON.parse(r.stdout)).toMatchObject({ accesses, hits, misses: accesses - hits });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a bad line exits 2 with FILE:LINE on one line of stderr', async () => {
    const cases: [string, string][] = [
      ['access 0x1000\n\n# comment\nacess 0x2000\n', ":4: unknown operation 'acess'"],
      ['access zz\n', ":1: VA 'zz' is not a number"],
      ['access 0x1000 4096\n', ':1: PCID 4096 is out of range 0..4095'],
      ['access 0x0100000000000000\n', ':1: VA 0x0100000000000000 is not canonical'],
      ['access\n', ':1: access needs VA'],
      ['flush\n', ":1: flush needs a PCID or 'all'"],
      ['invlpg 0x1000 1 2\n', ":1: unexpected '2' after invlpg"],
    ];
    for (const [text, msg] of cases) {
      const p = traceFile('bad.trace', text);
      const r = await runCli(['tlb', 'sim', p, '--sets', '2', '--ways', '2', '--json']);
      expect(r.code, text).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(p + msg);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('bad options exit 2', async () => {
    for (const argv of [
      ['tlb', 'sim', FIXTURE, '--ways', '2'],
      ['tlb', 'sim', FIXTURE, '--sets', '0', '--ways', '2'],
      ['tlb', 'sim', FIXTURE, '--sets', '2', '--ways', '2', '--policy', 'mru'],
      ['tlb', 'sim', FIXTURE, '--sets', '2', '--ways', '2', '--page', '4M'],
      ['tlb', 'sim', join(dir, 'missing.trace'), '--sets', '2', '--ways', '2'],
      ['tlb', 'switch', '--procs', '4'],
      ['tlb', 'switch', '--procs', '4096', '--quantum', '10'],
      ['tlb', 'switch', '--procs', '2', '--quantum', '10', '--tlb', 'pentium'],
      ['tlb', 'frobnicate'],
    ]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('--help documents the trace format and the switch workload', async () => {
    const r = await runCli(['tlb', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('invlpg VA [PCID]');
    expect(r.stdout).toContain('xorshift32');
  });
});

describe('virtkit tlb switch', () => {
  it('--json: flush vs PCID figures, reproducible', async () => {
    const a = await runCli(['tlb', 'switch', '--procs', '4', '--quantum', '100', '--accesses', '20000', '--json']);
    const b = await runCli(['tlb', 'switch', '--procs', '4', '--quantum', '100', '--accesses', '20000', '--json']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const r = JSON.parse(a.stdout);
    expect(r).toMatchObject({ procs: 4, quantum: 100, accesses: 20000, tlb: 'skylake' });
    expect(r.flush.switches).toBe(199);
    expect(r.pcid.walks).toBeLessThan(r.flush.walks);
    expect(r.flush.hits + r.flush.walks).toBe(20000);
  });

  it('walk counts equal an independent count from the documented workload (a TLB too big to evict)', () => {
    const big: TlbGeometry = { name: 'huge', l1: [{ name: 'fa', entries: 8192, ways: 8192, pageShifts: [12] }], l2: [] };
    const procs = 3;
    const quantum = 50;
    const accesses = 3000;
    const r = simulateSwitches({ procs, quantum, accesses, seed: 9, geometry: big });
    // Regenerate the workload exactly as documented in tlb-switch.ts / --help.
    const rng = new XorShift32(9);
    const perQuantum = new Set<string>();
    const perProc = new Set<string>();
    const kernel = new Set<number>();
    let flushWalks = 0;
    let pcidWalks = 0;
    for (let n = 0; n < accesses; n++) {
      if (n % quantum === 0) perQuantum.clear();
      const proc = Math.floor(n / quantum) % procs;
      const x = rng.next();
      rng.next(); // the offset
      if (x % 8 === 0) {
        const k = (x >>> 3) % KERNEL_PAGES;
        if (!kernel.has(k)) {
          kernel.add(k);
          flushWalks++; // global: survives every CR3 write
          pcidWalks++;
        }
      } else {
        const page = (x >>> 3) % 10 < 8 ? (x >>> 8) % HOT_PAGES : (x >>> 8) % USER_PAGES;
        const key = `${proc}:${page}`;
        if (!perQuantum.has(key)) {
          perQuantum.add(key);
          flushWalks++;
        }
        if (!perProc.has(key)) {
          perProc.add(key);
          pcidWalks++;
        }
      }
    }
    expect(r.flush.walks).toBe(flushWalks);
    expect(r.pcid.walks).toBe(pcidWalks);
    expect(r.flush.hits).toBe(accesses - flushWalks);
  });
});
