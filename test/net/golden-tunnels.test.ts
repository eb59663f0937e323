/**
 * Golden frames of the tunnel and access-link layers (fixtures/vectors/golden-tunnels.json, made
 * by scapy with scripts/make-golden-tunnels.py): encoding the layers gives scapy's bytes, and
 * decoding those bytes gives back every field the layers list, the same kinds in the same order
 * (`raw` payload included) and the bytes again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToHex, decodeFrame, encodeFrame, hexToBytes, type Layer } from '../../src/net/index.js';
import { ROOT } from '../helpers/cli.js';

const GOLDEN = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'vectors', 'golden-tunnels.json'), 'utf8')) as {
  vectors: { name: string; layers: Layer[]; hex: string }[];
};

describe('golden tunnel frames (scapy)', () => {
  it('covers every new layer kind', () => {
    const kinds = new Set(GOLDEN.vectors.flatMap((v) => v.layers.map((l) => l.layer)));
    for (const k of ['ppp', 'pppoe', 'pppoed', 'erspan', 'gtpu', 'rarp', 'vxlangpe', 'nsh', 'gre']) expect(kinds).toContain(k);
  });

  it.each(GOLDEN.vectors.map((v) => [v.name, v] as const))('%s: encode gives the bytes', (_name, v) => {
    expect(bytesToHex(encodeFrame(v.layers))).toBe(v.hex);
  });

  it.each(GOLDEN.vectors.map((v) => [v.name, v] as const))('%s: decode gives the fields', (_name, v) => {
    const d = decodeFrame(hexToBytes(v.hex)!);
    expect(d.error).toBeUndefined();
    expect(d.layers.map((l) => l.layer)).toEqual(v.layers.map((l) => l.layer));
    v.layers.forEach((l, i) => expect(d.layers[i], `layer ${i}`).toMatchObject(l));
    expect(bytesToHex(encodeFrame(d.layers))).toBe(v.hex);
  });
});
