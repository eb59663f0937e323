/**
 * The second-round golden frames (golden-ext.json: bytes made by scapy 2.5 and checked in
 * Wireshark 4.0): TCP, ICMPv6, IPv6 extension headers. The encoder must reproduce every byte
 * from the layers; the decoder must give back every listed field, and its layers rebuild the
 * bytes. ESP frames (those with `sa`) need the ESP layer and its security associations.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GOLDEN_EXT_PATH } from '../helpers/golden.js';
import { bytesToHex, decodeFrame, encodeFrame, hexToBytes, type Layer } from '../../src/net/index.js';
import { tcpFlags } from '../../src/net/tcp.js';

interface Vector {
  name: string;
  layers: Layer[];
  hex: string;
  sa?: unknown[];
}

const GOLDEN = JSON.parse(readFileSync(GOLDEN_EXT_PATH, 'utf8')) as { vectors: Vector[] };
const PLAIN = GOLDEN.vectors.filter((v) => !v.sa);

/**
 * The listed layers as the decoder gives them (layers.md): TCP flags come out as a number, and
 * options as found in the bytes, with the padding the encoder added (TCP: zero bytes to 4;
 * Hop-by-Hop/Destination: one final Pad1 or PadN to 8 with the 2-byte header).
 */
function expectedDecode(layers: Layer[], decoded: Layer[]): Layer[] {
  return layers.map((l, i) => {
    const out: Layer = { ...l };
    if (l.layer === 'tcp' && typeof l.flags === 'string') out.flags = tcpFlags(l.flags);
    const got = decoded[i]?.options;
    if ((l.layer === 'tcp' || l.layer === 'ipv6hbh' || l.layer === 'ipv6dest') && typeof l.options === 'string' && typeof got === 'string') {
      const unit = l.layer === 'tcp' ? 4 : 8;
      const header = l.layer === 'tcp' ? 0 : 2;
      const padded = Math.ceil((header + l.options.length / 2) / unit) * unit - header;
      expect(got.startsWith(l.options), `layer ${i} options start with the given ones`).toBe(true);
      expect(got.length / 2, `layer ${i} options padded`).toBe(padded);
      const pad = got.slice(l.options.length);
      if (l.layer === 'tcp') expect(pad).toMatch(/^(00)*$/);
      else expect(pad === '' || pad === '00' || pad === '01' + (pad.length / 2 - 2).toString(16).padStart(2, '0') + '00'.repeat(pad.length / 2 - 2)).toBe(true);
      out.options = got;
    }
    return out;
  });
}

describe('golden-ext frames (TCP, ICMPv6, IPv6 extension headers)', () => {
  it('has 53 vectors, 38 without ESP', () => {
    expect(GOLDEN.vectors).toHaveLength(53);
    expect(PLAIN).toHaveLength(38);
  });

  for (const v of PLAIN) {
    it(`${v.name}: encodes byte for byte`, () => {
      expect(bytesToHex(encodeFrame(v.layers))).toBe(v.hex);
    });

    it(`${v.name}: decodes every listed field and rebuilds the bytes`, () => {
      const d = decodeFrame(hexToBytes(v.hex)!);
      expect(d.error).toBeUndefined();
      const want = expectedDecode(v.layers, d.layers);
      expect(d.layers.map((l) => l.layer)).toEqual(want.map((l) => l.layer));
      want.forEach((l, i) => expect(d.layers[i], `layer ${i}`).toMatchObject(l));
      expect(bytesToHex(encodeFrame(d.layers))).toBe(v.hex);
    });
  }
});
