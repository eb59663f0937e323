/** The public fast path and the zero-copy view agree byte for byte / field for field with the general codecs. */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  decodeFrame,
  encodeFrame,
  encodeVxlanFrame,
  FrameView,
  IPV4,
  parseIpv4,
  parseMac,
  UDP,
  VXLAN,
  vxlanFrameLayers,
  vxlanFrameLength,
  type Layer,
  type VxlanFrameParams,
} from '../../src/net/index.js';

const GOLDEN = JSON.parse(readFileSync(new URL('../../../shared/vectors/golden.json', import.meta.url), 'utf8')) as { vectors: { name: string; hex: string; layers: Layer[] }[] };

function params(payload: Uint8Array): VxlanFrameParams {
  return {
    outerDstMac: parseMac('02:00:00:00:00:01')!,
    outerSrcMac: parseMac('02:00:00:00:00:02')!,
    outerSrcIp: parseIpv4('192.0.2.1'),
    outerDstIp: parseIpv4('192.0.2.2'),
    outerId: 1,
    outerTtl: 64,
    outerDf: true,
    sport: 49153,
    outerUdpChecksum: false,
    vni: 5001,
    innerDstMac: parseMac('02:00:00:00:01:01')!,
    innerSrcMac: parseMac('02:00:00:00:01:02')!,
    innerSrcIp: parseIpv4('10.0.0.1'),
    innerDstIp: parseIpv4('10.0.0.2'),
    innerId: 2,
    innerTtl: 64,
    innerSport: 1024,
    innerDport: 5000,
    payload,
    payloadStart: 0,
    payloadEnd: payload.length,
  };
}

describe('encodeVxlanFrame (fast path)', () => {
  it('writes the golden vxlan_ipv4_udp_csum0 frame byte for byte', () => {
    const payload = Uint8Array.from({ length: 16 }, (_, i) => i);
    const buf = new Uint8Array(vxlanFrameLength(16)).fill(0xee); // a dirty reused buffer
    const end = encodeVxlanFrame(buf, 0, params(payload));
    expect(end).toBe(vxlanFrameLength(16));
    expect(bytesToHex(buf)).toBe(GOLDEN.vectors.find((v) => v.name === 'vxlan_ipv4_udp_csum0')!.hex);
  });

  it('the bench frame is 156 bytes', () => {
    expect(vxlanFrameLength(64)).toBe(156);
  });

  it('equals encodeFrame of the same layers for random values (outer checksum on or off, any offset)', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const u16 = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(
        fc.record({
          outerSrcIp: u32,
          outerDstIp: u32,
          innerSrcIp: u32,
          innerDstIp: u32,
          outerId: u16,
          innerId: u16,
          outerTtl: fc.integer({ min: 0, max: 255 }),
          innerTtl: fc.integer({ min: 0, max: 255 }),
          outerDf: fc.boolean(),
          outerUdpChecksum: fc.boolean(),
          sport: u16,
          innerSport: u16,
          innerDport: u16,
          vni: fc.integer({ min: 0, max: 0xffffff }),
        }),
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 0, max: 7 }),
        (vary, payload, at) => {
          const p = { ...params(payload), ...vary };
          const buf = new Uint8Array(at + vxlanFrameLength(payload.length)).fill(0xa5);
          encodeVxlanFrame(buf, at, p);
          expect(bytesToHex(buf.subarray(at))).toBe(bytesToHex(encodeFrame(vxlanFrameLayers(p))));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FrameView (zero-copy decode)', () => {
  it('finds the same layers as decodeFrame and reads fields from the layout tables', () => {
    const payload = Uint8Array.from({ length: 64 }, (_, i) => i);
    const p = { ...params(payload), vni: 0xabcdef, sport: 50000, innerId: 777 };
    const frame = new Uint8Array(156);
    encodeVxlanFrame(frame, 0, p);
    const view = new FrameView();
    expect(view.scan(frame)).toBe(8);
    const d = decodeFrame(frame);
    expect(Array.from({ length: view.count }, (_, i) => view.kind(i))).toEqual(d.layers.map((l) => l.layer));
    expect(view.field(view.find('vxlan'), VXLAN.f.vni)).toBe(0xabcdef);
    expect(view.field(view.find('udp'), UDP.f.sport)).toBe(50000);
    expect(view.field(view.find('ipv4', 1), IPV4.f.id)).toBe(777);
    expect(view.start(7)).toBe(92);
    expect(view.length(7)).toBe(64);
    expect(view.error).toBeUndefined();
    expect(view.layer(3)).toEqual(d.layers[3]);
  });

  it('reports damage like decodeFrame', () => {
    const frame = encodeFrame(vxlanFrameLayers(params(new Uint8Array(8)))).subarray(0, 60);
    const view = new FrameView();
    view.scan(frame);
    expect(view.error?.message).toBe(decodeFrame(frame).error?.message);
    expect(view.kind(view.count - 1)).toBe('raw');
  });
});
