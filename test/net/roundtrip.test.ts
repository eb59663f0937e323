/**
 * Property tests: decode(encode(x)) gives back every field of x, for random non-zero values of
 * every layer kind; and any byte string — random, truncated, mutated — decodes without
 * throwing into layers that re-encode to exactly that byte string.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { bytesToHex, decodeFrame, encodeFrame, type Layer } from '../../src/net/index.js';
import { frame } from './arbitraries.js';

/** Every field of `want` (the encoder's input) as the decoder must give it back. */
function expectFields(got: Layer[], want: Layer[]): void {
  expect(got.map((l) => l.layer)).toEqual(want.map((l) => l.layer));
  want.forEach((w, i) => {
    const g = got[i]!;
    for (const [k, v] of Object.entries(w)) {
      if (w.layer === 'gre' && k === 'chksum' && v === true) {
        expect(typeof g.chksum, `layer ${i} gre chksum`).toBe('number');
      } else {
        expect(g[k], `layer ${i} (${w.layer}) ${k}`).toEqual(v);
      }
    }
  });
}

function roundTrips(bytes: Uint8Array): void {
  const d = decodeFrame(bytes);
  if (d.error) expect(d.error).toBeInstanceOf(DecodeError);
  expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
}

describe('round trip of random frames', () => {
  it('decode(encode(x)) gives back every field, and the decoded layers rebuild the bytes', () => {
    fc.assert(
      fc.property(frame, (layers) => {
        const bytes = encodeFrame(layers);
        const d = decodeFrame(bytes);
        expect(d.error).toBeUndefined();
        expectFields(d.layers, layers);
        expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('covers every layer kind', () => {
    const seen = new Set<string>();
    fc.sample(frame, { numRuns: 400, seed: 1 }).forEach((f) => f.forEach((l) => seen.add(l.layer)));
    expect([...seen].sort()).toEqual(['arp', 'dot1ad', 'dot1q', 'ether', 'geneve', 'gre', 'icmp', 'ipv4', 'ipv6', 'mpls', 'raw', 'udp', 'vxlan']);
  });
});

describe('any bytes decode into layers that rebuild them', () => {
  it('random byte strings', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), roundTrips), { numRuns: 500 });
  });

  it('truncated frames', () => {
    fc.assert(
      fc.property(frame, fc.nat(), (layers, cut) => {
        const bytes = encodeFrame(layers);
        roundTrips(bytes.subarray(0, cut % (bytes.length + 1)));
      }),
      { numRuns: 300 },
    );
  });

  it('frames with random bytes overwritten', () => {
    fc.assert(
      fc.property(frame, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (layers, edits) => {
        const bytes = encodeFrame(layers);
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        roundTrips(bytes);
      }),
      { numRuns: 400 },
    );
  });

  it('frames with Ethernet padding after a short IP packet', () => {
    fc.assert(
      fc.property(frame, fc.uint8Array({ minLength: 1, maxLength: 30 }), (layers, pad) => {
        const bytes = encodeFrame(layers);
        const padded = new Uint8Array(bytes.length + pad.length);
        padded.set(bytes);
        padded.set(pad, bytes.length);
        roundTrips(padded);
      }),
      { numRuns: 200 },
    );
  });

  it('never reads past a subarray: a frame cut from a larger buffer decodes as if alone', () => {
    fc.assert(
      fc.property(frame, fc.nat(), (layers, cut) => {
        const bytes = encodeFrame(layers);
        const n = cut % (bytes.length + 1);
        const alone = decodeFrame(bytes.slice(0, n));
        const view = decodeFrame(bytes.subarray(0, n));
        expect(view.layers).toEqual(alone.layers);
      }),
      { numRuns: 200 },
    );
  });
});
