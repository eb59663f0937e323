/**
 * The MAC table (open addressing, backward-shift removal of expired entries, growth) against a
 * plain Map doing the same: any sequence of learns and lookups at growing times gives the same
 * answers and the same live entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MacTable } from '../../src/netsim/index.js';

const AGING = 1000;

describe('MacTable', () => {
  it('equals a Map-based reference for any sequence of learns and lookups (aging, moves, growth)', () => {
    const op = fc.record({
      learn: fc.boolean(),
      vlan: fc.integer({ min: 0, max: 3 }),
      // Few distinct MACs so that keys collide, move and expire often; one high byte varies too.
      mac: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0, 0x80, 0xff)),
      port: fc.integer({ min: 0, max: 47 }),
      dt: fc.integer({ min: 0, max: 300 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const table = new MacTable(AGING, 4);
        const ref = new Map<string, { port: number; seen: number }>();
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          const bytes = Uint8Array.of(0x02, o.mac[1], 0, 0, 0, o.mac[0]);
          const key = `${o.vlan}/${o.mac[0]}/${o.mac[1]}`;
          if (o.learn) {
            table.learn(o.vlan, bytes, 0, o.port, now);
            ref.set(key, { port: o.port, seen: now });
          } else {
            const e = ref.get(key);
            const want = e && now < e.seen + AGING ? e.port : -1;
            if (e && want < 0) ref.delete(key);
            expect(table.lookup(o.vlan, bytes, 0, now)).toBe(want);
          }
        }
        const live = [...ref].filter(([, e]) => now < e.seen + AGING).map(([k, e]) => `${k}=${e.port}`).sort();
        const got = table.entries(now).map((e) => `${e.vlan}/${e.mac[5]}/${e.mac[1]}=${e.port}`).sort();
        expect(got).toEqual(live);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every live entry reachable while expired ones are removed from the middle of probe runs', () => {
    const table = new MacTable(AGING, 16);
    const mac = (i: number) => Uint8Array.of(0x02, 0, 0, (i >> 16) & 255, (i >> 8) & 255, i & 255);
    for (let i = 0; i < 3000; i++) table.learn(i % 7, mac(i), 0, i % 48, (i % 2) * 600); // odd ones learnt later
    for (let i = 0; i < 3000; i += 2) expect(table.lookup(i % 7, mac(i), 0, 1100)).toBe(-1); // expired: removed
    for (let i = 1; i < 3000; i += 2) expect(table.lookup(i % 7, mac(i), 0, 1100)).toBe(i % 48);
    expect(table.size).toBe(1500);
    expect(table.entries(1100)).toHaveLength(1500);
  });

  it('a full table sweeps expired entries, then evicts the least recently seen entry of the port holding the most (OVS)', () => {
    const t = new MacTable(AGING, 4, 4);
    const m = (i: number) => Uint8Array.of(2, 0, 0, 0, 0, i);
    t.learn(1, m(1), 0, 7, 10); // port 7: MACs 1, 2, 3 (2 seen last)
    t.learn(1, m(2), 0, 7, 20);
    t.learn(1, m(3), 0, 7, 30);
    t.learn(1, m(4), 0, 9, 5); // port 9: MAC 4, the oldest of all
    t.learn(1, m(2), 0, 7, 40);
    t.learn(1, m(5), 0, 9, 50); // full: port 7 holds most; its least recently seen is MAC 1
    const at = (now: number) => t.entries(now).map((e) => e.mac[5]).sort();
    expect(at(60)).toEqual([2, 3, 4, 5]);
    t.learn(1, m(6), 0, 3, 1006); // MAC 4 (seen at 5) expired at 1005: swept, nothing evicted
    expect(at(1006)).toEqual([2, 3, 5, 6]);
  });
});
