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

describe('deep frames', () => {
  it('a 2000-label MPLS stack decodes label by label (the layer table grows)', () => {
    const labels: Layer[] = Array.from({ length: 2000 }, (_, i) => ({ layer: 'mpls', label: 16 + i, ttl: 1 }));
    const layers: Layer[] = [{ layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' }, ...labels, { layer: 'raw', hex: '00112233' }];
    const bytes = encodeFrame(layers);
    const d = decodeFrame(bytes);
    expect(d.error).toBeUndefined();
    expect(d.layers).toHaveLength(2002);
    expect(d.layers[2000]).toMatchObject({ layer: 'mpls', label: 2015, s: 1 });
    expect(d.layers[1]).toMatchObject({ label: 16, s: 0 });
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

  it('40 nested IPv4-in-IPv4 packets, each followed by a padding byte, give the padding back in order', () => {
    // Packet k (0 = outermost) holds its header, the inner headers, UDP + 1 byte (9), and the
    // padding byte after each inner packet: len = 20·(40−k) + 9 + (39−k).
    const ips: Layer[] = Array.from({ length: 40 }, (_, k) => ({ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', len: 20 * (40 - k) + 9 + (39 - k) }));
    const padding: Layer[] = Array.from({ length: 40 }, () => ({ layer: 'raw', hex: 'ff' }));
    const layers: Layer[] = [{ layer: 'ether', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' }, ...ips, { layer: 'udp', sport: 1, dport: 2, len: 9 }, { layer: 'raw', hex: 'aa' }, ...padding];
    const bytes = encodeFrame(layers);
    const d = decodeFrame(bytes);
    expect(d.error).toBeUndefined();
    expect(d.layers.map((l) => l.layer)).toEqual(layers.map((l) => l.layer));
    expect(d.layers.slice(-41).map((l) => l.hex)).toEqual(['aa', ...padding.map(() => 'ff')]);
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

});
