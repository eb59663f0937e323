/**
 * Slow, obviously-correct reference simulators, written independently of src/mem/paging: plain
 * arrays of page numbers, searched linearly; each policy written straight from the issue's
 * definition, with no shared code between them or with the fast simulator.
 */
export interface RefStats {
  faults: number;
  evictions: number;
  writebacks: number;
}

export type Access = { page: number; write: boolean };

/** fifo: frames kept in load order; evict the first. */
export function refFifo(trace: Access[], frames: number): RefStats {
  const resident: { page: number; dirty: boolean }[] = [];
  const s = { faults: 0, evictions: 0, writebacks: 0 };
  for (const a of trace) {
    const hit = resident.find((f) => f.page === a.page);
    if (hit) {
      hit.dirty ||= a.write;
      continue;
    }
    s.faults++;
    if (resident.length === frames) {
      const out = resident.shift()!;
      s.evictions++;
      if (out.dirty) s.writebacks++;
    }
    resident.push({ page: a.page, dirty: a.write });
  }
  return s;
}

/** lru: every access records its time; evict the page with the oldest last access. */
export function refLru(trace: Access[], frames: number): RefStats {
  const resident: { page: number; dirty: boolean; last: number }[] = [];
  const s = { faults: 0, evictions: 0, writebacks: 0 };
  trace.forEach((a, t) => {
    const hit = resident.find((f) => f.page === a.page);
    if (hit) {
      hit.dirty ||= a.write;
      hit.last = t;
      return;
    }
    s.faults++;
    if (resident.length === frames) {
      let oldest = 0;
      for (let i = 1; i < resident.length; i++) if (resident[i]!.last < resident[oldest]!.last) oldest = i;
      const [out] = resident.splice(oldest, 1);
      s.evictions++;
      if (out!.dirty) s.writebacks++;
    }
    resident.push({ page: a.page, dirty: a.write, last: t });
  });
  return s;
}

/** opt: look ahead in the trace for each resident page; farthest (or never) goes, ties by load time. */
export function refOpt(trace: Access[], frames: number): RefStats {
  const resident: { page: number; dirty: boolean; loaded: number }[] = [];
  const s = { faults: 0, evictions: 0, writebacks: 0 };
  trace.forEach((a, t) => {
    const hit = resident.find((f) => f.page === a.page);
    if (hit) {
      hit.dirty ||= a.write;
      return;
    }
    s.faults++;
    if (resident.length === frames) {
      const nextUse = (page: number) => {
        for (let u = t + 1; u < trace.length; u++) if (trace[u]!.page === page) return u;
        return Infinity;
      };
      let pick = 0;
      for (let i = 1; i < resident.length; i++) {
        const a1 = nextUse(resident[i]!.page);
        const b1 = nextUse(resident[pick]!.page);
        if (a1 > b1 || (a1 === Infinity && b1 === Infinity && resident[i]!.loaded < resident[pick]!.loaded)) pick = i;
      }
      const [out] = resident.splice(pick, 1);
      s.evictions++;
      if (out!.dirty) s.writebacks++;
    }
    resident.push({ page: a.page, dirty: a.write, loaded: t });
  });
  return s;
}

/**
 * clock: a fixed ring of `frames` positions; empty positions are filled in order from position 0
 * with the hand following each load; when full, the hand clears referenced frames until it
 * finds an unreferenced one, replaces it (referenced), and moves one past it.
 */
export function refClock(trace: Access[], frames: number): RefStats {
  const ring: ({ page: number; dirty: boolean; ref: boolean } | null)[] = new Array(frames).fill(null);
  let hand = 0;
  const s = { faults: 0, evictions: 0, writebacks: 0 };
  for (const a of trace) {
    const hit = ring.find((f) => f !== null && f.page === a.page);
    if (hit) {
      hit.ref = true;
      hit.dirty ||= a.write;
      continue;
    }
    s.faults++;
    const free = ring.indexOf(null);
    if (free >= 0) {
      ring[free] = { page: a.page, dirty: a.write, ref: true };
      hand = (free + 1) % frames;
      continue;
    }
    for (;;) {
      const f = ring[hand]!;
      if (f.ref) {
        f.ref = false;
        hand = (hand + 1) % frames;
        continue;
      }
      s.evictions++;
      if (f.dirty) s.writebacks++;
      ring[hand] = { page: a.page, dirty: a.write, ref: true };
      hand = (hand + 1) % frames;
      break;
    }
  }
  return s;
}

export const REFERENCES = { fifo: refFifo, lru: refLru, opt: refOpt, clock: refClock } as const;
