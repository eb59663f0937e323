/**
 * getField and setField against a bit-by-bit reading of RFC bit numbering (bit 0 is the most
 * significant bit of the first byte), for every placement a layout allows: 1 to 32 bits wide,
 * starting at any bit, spanning 1 to 4 bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineLayout, getField, setField, type Field } from '../../src/net/fields.js';

/** The field bits [bit, bit + width) of bytes[off…] as a number, one bit at a time. */
function readBits(bytes: Uint8Array, off: number, bit: number, width: number): number {
  let v = 0;
  for (let b = bit; b < bit + width; b++) v = v * 2 + ((bytes[off + (b >> 3)]! >> (7 - (b & 7))) & 1);
  return v;
}

/** A layout with one field `x` at [bit, bit + width) and filler around it; its x field. */
function fieldAt(bit: number, width: number, length: number): Field {
  const spec: Record<string, { bit: number; width: number }> = { x: { bit, width } };
  // Filler in pieces that end at byte boundaries (a layout field spans at most 4 bytes).
  const fill = (from: number, to: number): void => {
    for (let b = from; b < to; b = Math.min(to, (Math.floor(b / 8) + 1) * 8)) spec[`pad${b}`] = { bit: b, width: Math.min(to, (Math.floor(b / 8) + 1) * 8) - b };
  };
  fill(0, bit);
  fill(bit + width, length * 8);
  return defineLayout('fieldtest', length, spec).f['x']!;
}

/** Placements a layout accepts: the field's bytes are at most 4. */
const placement = fc
  .record({ bit: fc.integer({ min: 0, max: 63 }), width: fc.integer({ min: 1, max: 32 }), extra: fc.integer({ min: 0, max: 3 }) })
  .filter(({ bit, width }) => Math.floor((bit + width - 1) / 8) - Math.floor(bit / 8) < 4);

describe('getField / setField', () => {
  it('read the same value as a bit-by-bit reading, at any offset', () => {
    fc.assert(
      fc.property(placement, fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 4 }), ({ bit, width, extra }, bytes, off) => {
        const length = Math.ceil((bit + width) / 8) + extra;
        const f = fieldAt(bit, width, length);
        expect(getField(bytes, off, f)).toBe(readBits(bytes, off, bit, width));
      }),
      { numRuns: 2000 },
    );
  });

  it('write a value that reads back, leaving every other bit as it was', () => {
    fc.assert(
      fc.property(placement, fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.double({ min: 0, max: 1, noNaN: true }), ({ bit, width, extra }, bytes, r) => {
        const length = Math.ceil((bit + width) / 8) + extra;
        const f = fieldAt(bit, width, length);
        const value = Math.min(Math.floor(r * 2 ** width), 2 ** width - 1);
        const before = bytes.slice();
        setField(bytes, 2, f, value);
        expect(getField(bytes, 2, f)).toBe(value);
        expect(readBits(bytes, 2, bit, width)).toBe(value);
        const changedOutside: number[] = [];
        for (let b = 0; b < 16 * 8; b++) {
          const inField = b >= 16 + bit && b < 16 + bit + width;
          if (!inField && ((bytes[b >> 3]! ^ before[b >> 3]!) >> (7 - (b & 7))) & 1) changedOutside.push(b);
        }
        expect(changedOutside).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the edge values of a full 32-bit word and of a 1-bit flag', () => {
    const word = fieldAt(0, 32, 4);
    expect(getField(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0, word)).toBe(0xffffffff);
    expect(getField(Uint8Array.of(0x80, 0, 0, 1), 0, word)).toBe(0x80000001);
    const flag = fieldAt(7, 1, 1);
    expect(getField(Uint8Array.of(0xfe), 0, flag)).toBe(0);
    expect(getField(Uint8Array.of(0x01), 0, flag)).toBe(1);
  });
});
