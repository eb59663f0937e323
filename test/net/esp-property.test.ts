/**
 * Property tests over ESP: for every suite, mode and payload length, decode(encode(layers))
 * gives the layers back and rebuilds the same bytes; flipping any one byte of an authenticated
 * ESP packet is an ICV error for that frame, which still rebuilds byte for byte; the padding is
 * always the minimal 1, 2, 3, … for the suite's block.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, decodeFrame, encodeFrame, type Layer } from '../../src/net/index.js';
import { SaTable, type SecurityAssociation } from '../../src/net/esp/sa.js';
import { CIPHER_SUITES, minimalPadLength } from '../../src/net/esp/suites.js';

const SAS: SecurityAssociation[] = [
  { spi: 0x01000001, cipher: 'aes-gcm-128', key: '11'.repeat(20) },
  { spi: 0x01000002, cipher: 'aes-gcm-256', key: '22'.repeat(36) },
  { spi: 0x01000003, cipher: 'aes-cbc-128', key: '33'.repeat(16), auth: 'hmac-sha256-128', authKey: '44'.repeat(32) },
  { spi: 0x01000004, cipher: 'aes-cbc-256', key: '55'.repeat(32), auth: 'hmac-sha1-96', authKey: '66'.repeat(20) },
  { spi: 0x01000005, cipher: 'aes-cbc-128', key: '77'.repeat(16), auth: 'none' },
  { spi: 0x01000006, cipher: 'null', auth: 'hmac-sha256-128', authKey: '88'.repeat(16) },
  { spi: 0x01000007, cipher: 'aes-gcm-128-icv8', key: '99'.repeat(20) },
  // Extended sequence numbers: the high-order halves are authenticated, not sent.
  { spi: 0x01000008, cipher: 'aes-gcm-256-icv12', key: 'aa'.repeat(36), esn: 0xfffffffe },
  { spi: 0x01000009, cipher: 'aes-cbc-128', key: 'bb'.repeat(16), auth: 'hmac-sha1-96', authKey: 'cc'.repeat(20), esn: 1 },
];
// SPIs with two non-zero bytes: one flipped byte can never make the 4 zero bytes that mark IKE on UDP 4500.
const TABLE = new SaTable(SAS);

const arbFrame = fc.record({
  sa: fc.constantFrom(...SAS),
  seq: fc.nat({ max: 0xffffffff }),
  mode: fc.constantFrom('tunnel4', 'tunnel6', 'transport', 'natt'),
  payload: fc.uint8Array({ minLength: 1, maxLength: 300 }), // an empty raw layer decodes to no layer
});

function layers(f: fc.infer<typeof arbFrame>): Layer[] {
  const esp: Layer = { layer: 'esp', spi: f.sa.spi, seq: f.seq };
  const data: Layer = { layer: 'raw', hex: bytesToHex(f.payload) };
  const eth: Layer = { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' };
  const ip4: Layer = { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' };
  switch (f.mode) {
    case 'tunnel4':
      return [eth, ip4, esp, { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'udp', sport: 1, dport: 2 }, data];
    case 'tunnel6':
      return [eth, { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' }, esp, { layer: 'ipv6', src: 'fd00::1', dst: 'fd00::2' }, { layer: 'udp', sport: 1, dport: 2 }, data];
    case 'transport':
      return [eth, ip4, esp, { layer: 'udp', sport: 3, dport: 4 }, data];
    default:
      return [eth, ip4, { layer: 'udp', sport: 4500, dport: 4500, chksum: 0 }, esp, { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'udp', sport: 1, dport: 2 }, data];
  }
}

describe('ESP properties', () => {
  it('decode(encode(x)) gives the layers back, minimal padding, and rebuilds the same bytes', () => {
    fc.assert(
      fc.property(arbFrame, (f) => {
        const ls = layers(f);
        const bytes = encodeFrame(ls, { sa: TABLE });
        const d = decodeFrame(bytes, { sa: TABLE });
        expect(d.error).toBeUndefined();
        expect(d.layers.map((l) => l.layer)).toEqual(ls.map((l) => l.layer));
        const espAt = ls.findIndex((l) => l.layer === 'esp');
        const esp = d.layers[espAt]!;
        expect(esp['pad']).toBeUndefined();
        const payload = ls.slice(espAt + 1);
        const transportIp = f.mode === 'transport' ? [ls[1]!] : [];
        const plainLength = encodeFrame([...transportIp, ...payload]).length - (f.mode === 'transport' ? 20 : 0);
        expect(esp['padlen']).toBe(minimalPadLength(plainLength, CIPHER_SUITES[f.sa.cipher].align));
        expect(d.layers[d.layers.length - 1]).toEqual({ layer: 'raw', hex: bytesToHex(f.payload) });
        expect(bytesToHex(encodeFrame(d.layers, { sa: TABLE }))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 120, seed: 13 },
    );
  });

  it('one flipped byte of an authenticated ESP packet: an ICV error, and the frame still rebuilds', () => {
    fc.assert(
      fc.property(arbFrame, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, where, flip) => {
        if (CIPHER_SUITES[f.sa.cipher].mode !== 'gcm' && (f.sa.auth ?? 'none') === 'none') return;
        const ls = layers(f);
        const bytes = encodeFrame(ls, { sa: TABLE });
        const espStart = 14 + (f.mode === 'tunnel6' ? 40 : 20) + (f.mode === 'natt' ? 8 : 0);
        const at = espStart + (where % (bytes.length - espStart));
        const bad = bytes.slice();
        bad[at]! ^= flip;
        const d = decodeFrame(bad, { sa: TABLE });
        // A flipped SPI may name another SA, whose checks fail in their own way (ICV, block size).
        expect(d.error?.message).toMatch(at < espStart + 4 ? /^esp at byte \d+: / : /ICV check failed/);
        expect(bytesToHex(encodeFrame(d.layers, { sa: TABLE }))).toBe(bytesToHex(bad));
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});
