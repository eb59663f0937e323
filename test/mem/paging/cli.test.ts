import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, ROOT } from '../../helpers/cli.js';
import { REFERENCES } from './reference.js';

const BELADY = join(ROOT, 'fixtures', 'paging', 'belady.trace');
const BELADY_X8 = join(ROOT, 'fixtures', 'paging', 'belady-x8.trace');
const LOOP = join(ROOT, 'fixtures', 'paging', 'loop.trace');
const dir = mkdtempSync(join(tmpdir(), 'virtkit-paging-'));
function traceFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('virtkit paging sim', () => {
  const figures: [string, number, number][] = [
    ['fifo', 3, 9],
    ['fifo', 4, 10],
    ['lru', 3, 10],
    ['lru', 4, 8],
    ['opt', 3, 7],
    ['opt', 4, 6],
  ];
  for (const [policy, frames, faults] of figures) {
    it(`textbook trace, ${policy}, ${frames} frames: ${faults} faults (--json keys of cli.md)`, async () => {
      const r = await runCli(['paging', 'sim', BELADY, '--frames', String(frames), '--policy', policy, '--json']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ accesses: 12, faults, evictions: faults - frames, writebacks: 0, faultRate: faults / 12 });
    });
  }
  it('counts writebacks of dirty victims only', async () => {
    // 2 frames, fifo: w1 r2 (fill) | r3 evicts 1 (dirty: writeback) | w2 hit | r4 evicts 2 (dirty) |
    // r1 evicts 3 (clean) → 5 faults, 3 evictions, 2 writebacks.
    const f = traceFile('wb.trace', 'w 0x1000\nr 0x2000\nr 0x3000\nw 0x2fff\nr 0x4000\nr 4096\n');
    const r = await runCli(['paging', 'sim', f, '--frames', '2', '--policy', 'fifo', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ accesses: 6, faults: 5, evictions: 3, writebacks: 2, faultRate: 5 / 6 });
  });
  it('prints a readable summary without --json', async () => {
    const r = await runCli(['paging', 'sim', BELADY, '--frames', '3', '--policy', 'clock']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/faults\s+9 \(75\.00%\)/);
  });
  it('exits 2 with the line number for a bad line', async () => {
    const f = traceFile('bad.trace', '# ok\nr 0x1000\nq 0x2000\n');
    const r = await runCli(['paging', 'sim', f, '--frames', '2', '--policy', 'lru']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('bad.trace: line 3:');
  });
  for (const [argv, re] of [
    [['--frames', '0', '--policy', 'fifo'], /--frames: 0 is out of range/],
    [['--policy', 'fifo'], /--frames M is required/],
    [['--frames', '3'], /--policy is required/],
    [['--frames', '3', '--policy', 'random'], /unknown policy 'random'/],
    [['--frames', 'x', '--policy', 'lru'], /--frames: 'x' is not a number/],
  ] as const) {
    it(`rejects ${argv.join(' ')} with status 2 and one line`, async () => {
      const r = await runCli(['paging', 'sim', BELADY, ...argv]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    });
  }
  it('rejects a missing file and a missing subcommand', async () => {
    expect((await runCli(['paging', 'sim', join(dir, 'nope'), '--frames', '1', '--policy', 'lru'])).stderr).toMatch(/cannot read .*ENOENT/);
    expect((await runCli(['paging'])).code).toBe(2);
    expect((await runCli(['paging', 'frob'])).stderr).toMatch(/unknown subcommand 'frob'/);
  });
  it('has --help', async () => {
    const r = await runCli(['paging', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/paging sim TRACE --frames M --policy fifo\|lru\|clock\|opt/);
  });
});

describe('virtkit paging curve', () => {
  it('--json gives the faults per frame count and the anomaly', async () => {
    const r = await runCli(['paging', 'curve', BELADY, '--policy', 'fifo,lru,opt', '--frames', '1..6', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      frames: [1, 2, 3, 4, 5, 6],
      series: [
        { policy: 'fifo', faults: [12, 12, 9, 10, 5, 5] },
        { policy: 'lru', faults: [12, 12, 10, 8, 5, 5] },
        { policy: 'opt', faults: [12, 9, 7, 6, 5, 5] },
      ],
      anomalies: [{ policy: 'fifo', frames: 3, moreFrames: 4, faults: 9, moreFaults: 10 }],
    });
  });
  it('the widened textbook trace shows the anomaly at 31 → 32 frames (72 → 80 faults) in 1..64', async () => {
    const r = await runCli(['paging', 'curve', BELADY_X8, '--policy', 'fifo', '--frames', '1..64', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.frames).toHaveLength(64);
    expect(j.series[0].faults[23]).toBe(72); // 24 frames = 3 blocks
    expect(j.series[0].faults[31]).toBe(80); // 32 frames = 4 blocks
    expect(j.anomalies).toEqual([{ policy: 'fifo', frames: 31, moreFrames: 32, faults: 72, moreFaults: 80 }]);
  });
  it('writes an SVG chart: one line per policy, axis labels, legend, the anomaly ringed', async () => {
    const out = join(dir, 'curve.svg');
    const r = await runCli(['paging', 'curve', BELADY, '--policy', 'fifo,lru', '--frames', '1..6', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+4\s+10\*\s+8\s*$/m);
    expect(r.stdout).toMatch(/Belady's anomaly: fifo makes 10 faults with 4 frames but 9 with 3/);
    const svg = readFileSync(out, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path data-policy="[a-z]+" d="M/g)).toHaveLength(2); // one line per policy
    expect(svg).toContain('>physical frames (M)</text>');
    expect(svg).toContain('>page faults</text>');
    expect(svg).toContain('>fifo</text>');
    expect(svg).toContain('>lru</text>');
    expect(svg).toMatch(/<circle [^>]*r="9"[^>]*><title>Belady's anomaly \(fifo\): 3→4 frames, 9→10 faults<\/title>/);
    // The fifo line passes through (3, 9) and (4, 10): the points are where the axes put them.
    const fifo = /<path data-policy="fifo" d="([^"]*)"/.exec(svg)![1]!;
    const pts = fifo.split(/[ML]/).filter(Boolean).map((p) => p.trim().split(' ').map(Number));
    expect(pts).toHaveLength(6);
    expect(pts[3]![1]!).toBeLessThan(pts[2]![1]!); // 10 faults is drawn higher than 9
    expect(pts[2]![0]!).toBeLessThan(pts[3]![0]!);
  });
  it('the loop fixture: every policy as its slow reference computes it, frames 1..10 by default', async () => {
    const r = await runCli(['paging', 'curve', LOOP, '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.frames).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const accesses = [0, 1, 2, 3].flatMap((pass) => [0, 1, 2, 3, 4, 5, 6, 7, 8].map((p) => ({ page: p, write: pass === 0 })));
    for (const s of j.series as { policy: keyof typeof REFERENCES; faults: number[] }[]) {
      expect(s.faults).toEqual(j.frames.map((m: number) => REFERENCES[s.policy](accesses, m).faults));
    }
    expect(j.series.find((s: { policy: string }) => s.policy === 'lru').faults.slice(0, 8)).toEqual(new Array(8).fill(36));
  });
  it('the SVG is balanced markup (every element closed, in order)', async () => {
    const out = join(dir, 'x8.svg');
    await runCli(['paging', 'curve', BELADY_X8, '--frames', '1..64', '-o', out]);
    const svg = readFileSync(out, 'utf8');
    const stack: string[] = [];
    for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (m[3] === '/') continue;
      if (m[1] === '/') expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]!);
    }
    expect(stack).toEqual([]);
    expect(svg).not.toMatch(/NaN|undefined/);
    // Five anomaly steps (fifo and clock share one): four notes are listed under the chart.
    expect(svg.match(/>◯ Belady's anomaly/g)).toHaveLength(4);
  });
  it('the committed example chart (fixtures/paging/belady-x8.svg) is what the tool draws today', async () => {
    const out = join(dir, 'belady-x8.svg');
    await runCli(['paging', 'curve', BELADY_X8, '--frames', '1..64', '-o', out]);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(ROOT, 'fixtures', 'paging', 'belady-x8.svg'), 'utf8'));
  });
  it('rejects an empty frame range and a repeated policy', async () => {
    expect((await runCli(['paging', 'curve', BELADY, '--frames', '5..2'])).stderr).toMatch(/empty range/);
    expect((await runCli(['paging', 'curve', BELADY, '--frames', '0..2'])).code).toBe(2);
    expect((await runCli(['paging', 'curve', BELADY, '--policy', 'lru,lru'])).stderr).toMatch(/twice/);
  });
});
