import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, decodeFrame, type Layer } from '../../src/net/index.js';
import { internetChecksum } from '../../src/bytes/checksum.js';
import { fragmentFrame } from '../../src/net/fragment.js';

/**
 * Reassembly written independently of fragment.ts, straight from the RFCs' receiver rules:
 * read offset / MF (IPv4 bytes 6..7) or the Fragment header (IPv6), place each payload at
 * offset · 8, and check the pieces tile the datagram exactly.
 */
function reassembleIpv4(frames: Uint8Array[], linkLen: number): { header0: Uint8Array; payload: Uint8Array } {
  const pieces: { off: number; data: Uint8Array; mf: boolean }[] = [];
  for (const f of frames) {
    const ip = f.subarray(linkLen);
    const ihl = (ip[0]! & 15) * 4;
    const total = (ip[2]! << 8) | ip[3]!;
    const ff = (ip[6]! << 8) | ip[7]!;
    expect(internetChecksum(ip, 0, ihl)).toBe(0);
    pieces.push({ off: (ff & 0x1fff) * 8, data: ip.subarray(ihl, total), mf: (ff & 0x2000) !== 0 });
  }
  return { header0: frames[0]!.subarray(linkLen, linkLen + 20), payload: tile(pieces) };
}

function reassembleIpv6(frames: Uint8Array[], linkLen: number): Uint8Array {
  const pieces: { off: number; data: Uint8Array; mf: boolean }[] = [];
  for (const f of frames) {
    const ip = f.subarray(linkLen);
    expect(ip[6]).toBe(44);
    const plen = (ip[4]! << 8) | ip[5]!;
    const fh = ip.subarray(40, 48);
    const w = (fh[2]! << 8) | fh[3]!;
    pieces.push({ off: (w >> 3) * 8, data: ip.subarray(48, 40 + plen), mf: (w & 1) === 1 });
  }
  return tile(pieces);
}

function tile(pieces: { off: number; data: Uint8Array; mf: boolean }[]): Uint8Array {
  pieces.sort((a, b) => a.off - b.off);
  let next = 0;
  for (const [i, p] of pieces.entries()) {
    expect(p.off).toBe(next); // no gap, no overlap
    expect(p.mf).toBe(i < pieces.length - 1);
    if (i < pieces.length - 1) expect(p.data.length % 8).toBe(0);
    next += p.data.length;
  }
  const out = new Uint8Array(next);
  for (const p of pieces) out.set(p.data, p.off);
  return out;
}

function frame(ip: 'ipv4' | 'ipv6', payload: number[], tagged: boolean): Layer[] {
  return [
    { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
    ...(tagged ? [{ layer: 'dot1q', vid: 42 }] : []),
    ip === 'ipv4'
      ? { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', id: 0xbeef }
      : { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' },
    { layer: 'udp', sport: 7, dport: 9 },
    { layer: 'raw', hex: payload.map((b) => b.toString(16).padStart(2, '0')).join('') },
  ];
}

describe('fragmentFrame: fragments tile the original datagram (independent reassembly)', () => {
  it('IPv4, any MTU 68..1500, any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 68, max: 1500 }), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 4000 }), fc.boolean(), (mtu, payload, tagged) => {
        const bytes = encodeFrame(frame('ipv4', payload, tagged));
        const link = tagged ? 18 : 14;
        const frags = fragmentFrame(bytes, { mtu });
        for (const f of frags) expect(f.length - link).toBeLessThanOrEqual(mtu);
        if (bytes.length - link <= mtu) {
          expect(frags).toEqual([bytes]);
          return;
        }
        const { header0, payload: joined } = reassembleIpv4(frags, link);
        expect(Array.from(joined)).toEqual(Array.from(bytes.subarray(link + 20)));
        expect((header0[4]! << 8) | header0[5]!).toBe(0xbeef);
        for (const f of frags) expect(Array.from(f.subarray(0, link))).toEqual(Array.from(bytes.subarray(0, link)));
      }),
      { numRuns: 150 },
    );
  });

  it('IPv6, any MTU 1280..2000, any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1280, max: 2000 }), fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 0, max: 0xffffffff }), (mtu, n, id) => {
        const payload = Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
        const bytes = encodeFrame(frame('ipv6', payload, false));
        const frags = fragmentFrame(bytes, { mtu, identification: id });
        for (const f of frags) expect(f.length - 14).toBeLessThanOrEqual(mtu);
        if (bytes.length - 14 <= mtu) {
          expect(frags).toEqual([bytes]);
          return;
        }
        for (const f of frags) expect(((f[58]! << 24) | (f[59]! << 16) | (f[60]! << 8) | f[61]!) >>> 0).toBe(id);
        expect(Array.from(reassembleIpv6(frags, 14))).toEqual(Array.from(bytes.subarray(54)));
        // Every fragment decodes without error.
        for (const f of frags) expect(decodeFrame(f).error).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});
