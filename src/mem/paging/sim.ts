/**
 * The fast demand-paging simulator: page numbers only, no page tables, no TLB. M frames, a trace
 * of reads and writes, one replacement policy (policy.ts, the same objects the full system in
 * pager.ts uses). Counts faults (the page was not resident), evictions (a fault with every frame
 * in use) and writebacks (an evicted page had been written since it was loaded — the D bit).
 */
import { VirtkitError } from '../../errors.js';
import { createPolicy, type PolicyName, type ReplacementPolicy } from './policy.js';
import { NEVER, nextUses, type PageTrace } from './trace.js';

export interface PagingStats {
  accesses: number;
  faults: number;
  evictions: number;
  writebacks: number;
  /** faults / accesses (0 for an empty trace). */
  faultRate: number;
}

export class SimError extends VirtkitError {
  override name = 'SimError';
}

/** Largest frame count the simulator accepts (the arrays it allocates are O(frames)). */
export const MAX_FRAMES = 1 << 24;

// nextUses() is O(length); a curve runs OPT once per frame count on the same trace.
const futureCache = new WeakMap<PageTrace, Int32Array>();
function futureOf(trace: PageTrace): Int32Array {
  let f = futureCache.get(trace);
  if (!f) {
    f = nextUses(trace.pages, trace.pageCount);
    futureCache.set(trace, f);
  }
  return f;
}

export function checkFrames(frames: number): void {
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES) {
    throw new SimError(`frames must be an integer 1..${MAX_FRAMES}, got ${frames}`);
  }
}

/** Run `trace` through `frames` frames under `policy` (a name or a policy object, reset here). */
export function simulate(trace: PageTrace, frames: number, policy: PolicyName | ReplacementPolicy): PagingStats {
  checkFrames(frames);
  const pol = typeof policy === 'string' ? createPolicy(policy) : policy;
  pol.reset(frames);
  const future = pol.needsFuture ? futureOf(trace) : null;
  const pages = trace.pages;
  const writes = trace.writes;
  const n = trace.length;
  const slotOfPage = new Int32Array(trace.pageCount).fill(-1);
  const pageInSlot = new Int32Array(frames);
  const dirty = new Uint8Array(frames);
  let used = 0;
  let faults = 0;
  let evictions = 0;
  let writebacks = 0;
  for (let t = 0; t < n; t++) {
    const page = pages[t]!;
    const w = writes[t]!;
    const nu = future === null ? NEVER : future[t]!;
    let slot = slotOfPage[page]!;
    if (slot >= 0) {
      pol.accessed(slot, t, nu);
      if (w) dirty[slot] = 1;
      continue;
    }
    faults++;
    if (used < frames) {
      slot = used++;
    } else {
      slot = pol.victim();
      evictions++;
      if (dirty[slot]) writebacks++;
      slotOfPage[pageInSlot[slot]!] = -1;
    }
    pageInSlot[slot] = page;
    slotOfPage[page] = slot;
    dirty[slot] = w;
    pol.loaded(slot, t, nu);
  }
  return { accesses: n, faults, evictions, writebacks, faultRate: n === 0 ? 0 : faults / n };
}

export interface CurveSeries {
  policy: PolicyName;
  /** faults[i] for frames[i]. */
  faults: number[];
}

export interface Anomaly {
  policy: PolicyName;
  /** Going from `frames` to `moreFrames` frames raised the faults from `faults` to `moreFaults`. */
  frames: number;
  moreFrames: number;
  faults: number;
  moreFaults: number;
}

export interface FaultCurve {
  frames: number[];
  series: CurveSeries[];
  /** Every step of the frame list (ascending) where a policy faults more with more frames. */
  anomalies: Anomaly[];
}

/** Faults of each policy for each frame count (ascending, distinct). */
export function faultCurve(trace: PageTrace, policies: readonly PolicyName[], frames: readonly number[]): FaultCurve {
  for (let i = 0; i < frames.length; i++) {
    checkFrames(frames[i]!);
    if (i > 0 && frames[i]! <= frames[i - 1]!) throw new SimError('frame counts must be ascending and distinct');
  }
  const series: CurveSeries[] = [];
  const anomalies: Anomaly[] = [];
  for (const name of policies) {
    const pol = createPolicy(name);
    // With at least as many frames as distinct pages nothing is ever evicted: the faults are
    // the cold ones whatever the count, so a count past pageCount is simulated once, at
    // pageCount (a 16M-frame count on a 4-page trace would otherwise allocate 16M frames).
    const byCount = new Map<number, number>();
    const faults = frames.map((m) => {
      const effective = Math.max(1, Math.min(m, trace.pageCount));
      let f = byCount.get(effective);
      if (f === undefined) {
        f = simulate(trace, effective, pol).faults;
        byCount.set(effective, f);
      }
      return f;
    });
    series.push({ policy: name, faults });
    for (let i = 1; i < frames.length; i++) {
      if (faults[i]! > faults[i - 1]!) {
        anomalies.push({ policy: name, frames: frames[i - 1]!, moreFrames: frames[i]!, faults: faults[i - 1]!, moreFaults: faults[i]! });
      }
    }
  }
  return { frames: [...frames], series, anomalies };
}
