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
  it('equals an independent line-by-line BigInt parser on random texts (fast path and slow path)', () => {
    const fragment = fc.constantFrom(
      'r 0x1000', 'w 0x1fff', 'R 0X2a000', 'W\t4096', 'r 0', 'w 0x0', 'r 0x000', 'r 0x', 'r 0x12g', 'r 12abc',
      'r 0xfffffffffffff000', 'w 0x10000000000000000', 'r 18446744073709551615', 'r 18446744073709551616',
      'r 123456789012345678', '  r   0x3000  ', 'r 0x4000 # c', 'r 0x5000#c', '# only a comment', '', '   ',
      '\r', 'r 0x6000\r', 'rw 0x1', 'r', 'x 1', 'r 1 2', '\rfoo', 'r\t\t7', 'w 00012',
    );
    const textArb = fc.tuple(fc.array(fragment, { maxLength: 12 }), fc.boolean()).map(([lines, nl]) => lines.join('\n') + (nl ? '\n' : ''));
    const reference = (text: string): { pages: number[]; writes: number[] } | { line: number } => {
      const pages: number[] = [];
      const writes: number[] = [];
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const body = lines[i]!.split('#')[0]!.trim();
        if (body === '') continue;
        const m = /^([rwRW])[ \t]+(0[xX][0-9a-fA-F]+|[0-9]+)$/.exec(body);
        if (!m) return { line: i + 1 };
        const v = BigInt(m[2]!);
        if (v >= 1n << 64n) return { line: i + 1 };
        pages.push(Number(v >> 12n));
        writes.push(m[1]!.toLowerCase() === 'w' ? 1 : 0);
      }
      return { pages, writes };
    };
    fc.assert(
      fc.property(textArb, (text) => {
        const want = reference(text);
        let got: { pages: number[]; writes: number[] } | { line: number };
        try {
          const t = parseTrace(text);
          got = { pages: [...t.pages].map((id) => t.pageNumbers[id]!), writes: [...t.writes] };
        } catch (e) {
          if (!(e instanceof TraceError)) throw e;
          got = { line: e.line };
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 400 },
    );
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
  it('every policy equals its reference on larger memories too (up to 40 frames, 60 pages)', () => {
    const big = fc.integer({ min: 1, max: 60 }).chain((pages) => fc.array(accessArb(pages), { minLength: 50, maxLength: 400 }));
    fc.assert(
      fc.property(big, fc.integer({ min: 1, max: 40 }), (trace, frames) => {
        for (const policy of POLICY_NAMES) expect(fastStats(trace, frames, policy)).toEqual(REFERENCES[policy](trace, frames));
      }),
      { numRuns: 60 },
    );
  });
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
