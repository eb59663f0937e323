import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { simulate, faultCurve } from '../../../src/mem/paging/sim.js';
import { traceFromPages, parseTrace, nextUses, NEVER, TraceError } from '../../../src/mem/paging/trace.js';
import { POLICY_NAMES, type PolicyName } from '../../../src/mem/paging/policy.js';
import { REFERENCES, type Access } from './reference.js';

const TEXTBOOK = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

function fastStats(trace: Access[], frames: number, policy: PolicyName) {
  const t = traceFromPages(
    trace.map((a) => a.page),
    trace.map((a) => a.write),
  );
  const s = simulate(t, frames, policy);
  return { faults: s.faults, evictions: s.evictions, writebacks: s.writebacks };
}

describe('textbook reference string 1 2 3 4 1 2 5 1 2 3 4 5', () => {
  const trace = traceFromPages(TEXTBOOK);
  const cases: [PolicyName, number, number][] = [
    ['fifo', 3, 9],
    ['fifo', 4, 10], // Belady's anomaly: one more frame, one more fault
    ['lru', 3, 10],
    ['lru', 4, 8],
    ['opt', 3, 7],
    ['opt', 4, 6],
  ];
  for (const [policy, frames, faults] of cases) {
    it(`${policy} with ${frames} frames makes ${faults} faults`, () => {
      const s = simulate(trace, frames, policy);
      expect(s.faults).toBe(faults);
      expect(s.accesses).toBe(12);
      expect(s.evictions).toBe(faults - frames);
      expect(s.writebacks).toBe(0); // reads only
      expect(s.faultRate).toBe(faults / 12);
    });
  }
  it('the slow references agree on the same figures', () => {
    const acc = TEXTBOOK.map((page) => ({ page, write: false }));
    expect([REFERENCES.fifo(acc, 3).faults, REFERENCES.fifo(acc, 4).faults]).toEqual([9, 10]);
    expect([REFERENCES.lru(acc, 3).faults, REFERENCES.lru(acc, 4).faults]).toEqual([10, 8]);
    expect([REFERENCES.opt(acc, 3).faults, REFERENCES.opt(acc, 4).faults]).toEqual([7, 6]);
  });
  it('clock makes 9 and 10 faults (every referenced bit is set when memory fills, so it acts as fifo)', () => {
    expect(simulate(trace, 3, 'clock').faults).toBe(9);
    expect(simulate(trace, 4, 'clock').faults).toBe(10);
    const acc = TEXTBOOK.map((page) => ({ page, write: false }));
    expect([REFERENCES.clock(acc, 3).faults, REFERENCES.clock(acc, 4).faults]).toEqual([9, 10]);
  });
  it('the curve marks the anomaly for fifo only', () => {
    const c = faultCurve(trace, ['fifo', 'lru', 'opt'], [1, 2, 3, 4, 5, 6]);
    expect(c.series.map((s) => s.faults)).toEqual([
      [12, 12, 9, 10, 5, 5],
      [12, 12, 10, 8, 5, 5],
      [12, 9, 7, 6, 5, 5],
    ]);
    expect(c.anomalies).toEqual([{ policy: 'fifo', frames: 3, moreFrames: 4, faults: 9, moreFaults: 10 }]);
  });
});

describe('writebacks', () => {
  it('a victim is written back only if it was written since it was loaded', () => {
    // 1 frame: w1, r2 (evicts dirty 1: writeback), r1 (evicts clean 2), r2 (evicts 1, clean
    // now: it was reloaded from swap and not written since).
    const t = traceFromPages([1, 2, 1, 2], [1, 0, 0, 0]);
    expect(simulate(t, 1, 'fifo')).toEqual({ accesses: 4, faults: 4, evictions: 3, writebacks: 1, faultRate: 1 });
  });
});

describe('nextUses', () => {
  it('points at the next access to the same page, NEVER after the last', () => {
    const t = traceFromPages([7, 8, 7, 9, 8]);
    expect([...nextUses(t.pages, t.pageCount)]).toEqual([2, 4, NEVER, NEVER, NEVER]);
  });
});

describe('trace text', () => {
  it('parses r/w lines with hex and decimal addresses, comments and blank lines', () => {
    const t = parseTrace('# header\nr 0x1000\nw 4096  # same page\n\nR 0xfffffffffffff123\nw 8191\n');
    expect(t.length).toBe(4);
    expect([...t.writes]).toEqual([0, 1, 0, 1]);
    expect([...t.pages]).toEqual([0, 0, 1, 0]);
    expect([...t.pageNumbers]).toEqual([1, 0xfffffffffffff]);
  });
  it('names the first bad line', () => {
    for (const [text, line, re] of [
      ['r 0x1000\nx 0x2000\n', 2, /expected 'r ADDR'/],
      ['r 0x1000\n\n# c\nr zz\n', 4, /not a number/],
      ['w 0x10000000000000000\n', 1, /64 bits/],
      ['w 18446744073709551616\n', 1, /64 bits/],
      ['r\n', 1, /expected/],
      ['r 1 2\n', 1, /expected/],
    ] as const) {
      let err: unknown;
      try {
        parseTrace(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TraceError);
      expect((err as TraceError).line).toBe(line);
      expect((err as TraceError).message).toMatch(re);
    }
  });
  it('accepts the largest 64-bit decimal address', () => {
    expect([...parseTrace('r 18446744073709551615').pageNumbers]).toEqual([0xfffffffffffff]);
  });
});

const accessArb = (pages: number) => fc.record({ page: fc.integer({ min: 0, max: pages - 1 }), write: fc.boolean() });
const traceArb = fc.integer({ min: 1, max: 12 }).chain((pages) => fc.array(accessArb(pages), { minLength: 0, maxLength: 120 }));

describe('properties on random traces with reads and writes', () => {
  for (const policy of POLICY_NAMES) {
    it(`${policy}: the fast simulator equals the slow reference (faults, evictions, writebacks)`, () => {
      fc.assert(
        fc.property(traceArb, fc.integer({ min: 1, max: 10 }), (trace, frames) => {
          expect(fastStats(trace, frames, policy)).toEqual(REFERENCES[policy](trace, frames));
        }),
        { numRuns: 300 },
      );
    });
  }
  it('opt never faults more than any other policy', () => {
    fc.assert(
      fc.property(traceArb, fc.integer({ min: 1, max: 10 }), (trace, frames) => {
        const opt = fastStats(trace, frames, 'opt').faults;
        for (const p of ['fifo', 'lru', 'clock'] as const) expect(opt).toBeLessThanOrEqual(fastStats(trace, frames, p).faults);
      }),
      { numRuns: 300 },
    );
  });
  it('lru and opt never fault more with more frames (stack property)', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const p of ['lru', 'opt'] as const) {
          let prev = Infinity;
          for (let m = 1; m <= 13; m++) {
            const f = fastStats(trace, m, p).faults;
            expect(f).toBeLessThanOrEqual(prev);
            prev = f;
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
