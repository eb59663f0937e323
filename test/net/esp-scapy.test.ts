/**
 * ESP frames made by an independent implementation — scapy 2.5's SecurityAssociation with
 * python3-cryptography (scripts/esp-scapy-fixtures.py wrote fixtures/esp/scapy-esp.json) —
 * must come out of virtkit's encoder byte for byte from the same layers and SA (IVs derived by
 * virtkit where the layers give none), and decode back to those layers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { bytesToHex, decodeFrame, encodeFrame, hexToBytes, type Layer } from '../../src/net/index.js';
import type { SecurityAssociation } from '../../src/net/esp/sa.js';

const FIXTURES = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'esp', 'scapy-esp.json'), 'utf8')) as {
  vectors: { name: string; layers: Layer[]; sa: SecurityAssociation[]; hex: string }[];
};

describe('ESP frames made by scapy 2.5 (fixtures/esp/scapy-esp.json)', () => {
  it('has the 12 frames', () => expect(FIXTURES.vectors).toHaveLength(12));
  for (const v of FIXTURES.vectors) {
    it(`${v.name}: encodes byte for byte`, () => {
      expect(bytesToHex(encodeFrame(v.layers, { sa: v.sa }))).toBe(v.hex);
    });
    it(`${v.name}: decodes to the layers and back`, () => {
      const d = decodeFrame(hexToBytes(v.hex)!, { sa: v.sa });
      expect(d.error).toBeUndefined();
      expect(d.layers).toHaveLength(v.layers.length);
      v.layers.forEach((l, i) => expect(d.layers[i], `layer ${i}`).toMatchObject(l));
      expect(bytesToHex(encodeFrame(d.layers, { sa: v.sa }))).toBe(v.hex);
    });
  }
});
