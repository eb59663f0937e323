/** The public fast path and the zero-copy view agree byte for byte / field for field with the general codecs. */
import { GOLDEN_PATH } from '../helpers/golden.js';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  decodeFrame,
  encodeArp,
  encodeEther,
  encodeFrame,
  encodeGeneve,
  encodeGeneveOption,
  encodeGre,
  encodeIcmp,
  encodeIpv4,
  encodeIpv6,
  encodeMpls,
  encodeUdp,
  encodeVlanTag,
  encodeVxlanFrame,
  formatIpv4,
  formatIpv6,
  formatMac,
  GRE_C,
  GRE_K,
  GRE_S,
  greChecksum,
  icmpChecksum,
  udpChecksumIpv4,
  udpChecksumIpv6,
  writerFor,
  ByteWriter,
  BufferTooSmallError,
  FrameView,
  IPV4,
  IPV4_FLAGS_SHIFT,
  parseIpv4,
  parseMac,
  UDP,
  VXLAN,
  vxlanFrameLayers,
  vxlanFrameLength,
  type Layer,
  type VxlanFrameParams,
} from '../../src/net/index.js';

const GOLDEN = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as { vectors: { name: string; hex: string; layers: Layer[] }[] };

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

  it('refuses out-of-range values instead of cutting them to fit', () => {
    const buf = new Uint8Array(200);
    expect(() => encodeVxlanFrame(buf, 0, { ...params(new Uint8Array(4)), vni: 2 ** 24 })).toThrow('layer 3 (vxlan): vni 16777216 is out of range 0..16777215');
    expect(() => encodeVxlanFrame(buf, 0, { ...params(new Uint8Array(4)), innerId: -1 })).toThrow('layer 5 (ipv4): id -1 is out of range 0..65535');
    expect(() => encodeVxlanFrame(new Uint8Array(50), 0, params(new Uint8Array(4)))).toThrow('needs 96 bytes, the buffer has 50 from the offset');
  });

  it('low-level encoders refuse a header that does not fit (BufferTooSmallError, not a RangeError)', () => {
    const w = new ByteWriter(new Uint8Array(30));
    expect(() => encodeIpv4(w, 12, 0, 20, 1, 0, 64, 17, 1, 2)).toThrow('needs 20 bytes, the buffer has 18 from the offset');
    expect(() => encodeUdp(w, -1, 1, 2, 8, 0)).toThrow(BufferTooSmallError);
    expect(() => udpChecksumIpv4(w, 20, 16, 1, 2)).toThrow(BufferTooSmallError);
    expect(writerFor(w.bytes)).toBe(writerFor(w.bytes)); // one long-lived writer per array
  });

  it('takes the payload from any range of a larger array (odd starts and lengths) and refuses a range outside it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 90 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 5 }), (all, a, b, at) => {
        const start = all.length === 0 ? 0 : a % (all.length + 1);
        const end = start + (all.length === 0 ? 0 : b % (all.length - start + 1));
        const p = { ...params(all), payloadStart: start, payloadEnd: end, innerId: a & 0xffff, vni: b & 0xffffff };
        const buf = new Uint8Array(at + vxlanFrameLength(end - start)).fill(0x3c);
        expect(encodeVxlanFrame(buf, at, p)).toBe(buf.length);
        const same = { ...params(all.slice(start, end)), innerId: a & 0xffff, vni: b & 0xffffff };
        expect(bytesToHex(buf.subarray(at))).toBe(bytesToHex(encodeFrame(vxlanFrameLayers(same))));
      }),
      { numRuns: 200 },
    );
    const buf = new Uint8Array(200);
    expect(() => encodeVxlanFrame(buf, 0, { ...params(new Uint8Array(8)), payloadStart: 4, payloadEnd: 9 })).toThrow(BufferTooSmallError);
    expect(() => encodeVxlanFrame(buf, 0, { ...params(new Uint8Array(8)), payloadStart: -1, payloadEnd: 4 })).toThrow(BufferTooSmallError);
    expect(() => encodeVxlanFrame(buf, 0, { ...params(new Uint8Array(8)), payloadStart: 5, payloadEnd: 4 })).toThrow(BufferTooSmallError);
    expect(() => encodeVxlanFrame(buf, 0, { ...params(new Uint8Array(8)), outerSrcMac: new Uint8Array(5) })).toThrow('layer 0 (ether)');
  });

  it('recomputes from the bytes given on every call: a payload or MAC changed in place changes the next frame', () => {
    const payload = Uint8Array.from({ length: 64 }, (_, i) => i);
    const p = params(payload);
    const buf = new Uint8Array(vxlanFrameLength(64));
    const w = writerFor(buf);
    for (let k = 0; k < 5; k++) {
      payload[(k * 13) % 64] ^= 0x5a;
      p.innerSrcMac[k % 6] ^= 0x11;
      p.outerDstMac[5 - (k % 6)] ^= 0x22;
      encodeVxlanFrame(w, 0, p);
      expect(bytesToHex(buf)).toBe(bytesToHex(encodeFrame(vxlanFrameLayers(p))));
    }
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

describe('per-header low-level encoders equal encodeFrame', () => {
  const u8 = fc.integer({ min: 0, max: 255 });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const mac6 = fc.uint8Array({ minLength: 6, maxLength: 6 });
  const addr16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

  it('ether / ipv4 (any tos, flags, fragment offset, ttl, protocol) / udp / data', () => {
    fc.assert(
      fc.property(
        fc.record({ tos: u8, id: u16, flags: fc.integer({ min: 0, max: 7 }), frag: fc.integer({ min: 0, max: 0x1fff }), ttl: u8, proto: u8, src: u32, dst: u32, sport: u16, dport: u16, chksum: u16 }),
        fc.uint8Array({ maxLength: 20 }),
        (v, data) => {
          const total = 14 + 20 + 8 + data.length;
          const buf = new Uint8Array(total).fill(0x99);
          const w = writerFor(buf);
          let o = encodeEther(w, 0, new Uint8Array(6).fill(7), new Uint8Array(6).fill(8), 0x0800);
          o = encodeIpv4(w, o, v.tos, 28 + data.length, v.id, (v.flags << IPV4_FLAGS_SHIFT) | v.frag, v.ttl, v.proto, v.src | 0, v.dst | 0);
          o = encodeUdp(w, o, v.sport, v.dport, 8 + data.length, v.chksum);
          buf.set(data, o);
          const layers: Layer[] = [
            { layer: 'ether', dst: '07:07:07:07:07:07', src: '08:08:08:08:08:08' },
            { layer: 'ipv4', tos: v.tos, id: v.id, flags: v.flags, frag: v.frag, ttl: v.ttl, proto: v.proto, src: formatIpv4(v.src), dst: formatIpv4(v.dst) },
            { layer: 'udp', sport: v.sport, dport: v.dport, chksum: v.chksum },
            { layer: 'raw', hex: bytesToHex(data) },
          ];
          expect(bytesToHex(buf)).toBe(bytesToHex(encodeFrame(layers)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ether + arp', () => {
    fc.assert(
      fc.property(mac6, mac6, u16, mac6, u32, mac6, u32, (dst, src, op, hwsrc, psrc, hwdst, pdst) => {
        const buf = new Uint8Array(42).fill(0x5a);
        const w = writerFor(buf);
        let o = encodeEther(w, 0, dst, src, 0x0806);
        o = encodeArp(w, o, op, hwsrc, psrc, hwdst, pdst);
        expect(o).toBe(42);
        const layers: Layer[] = [
          { layer: 'ether', dst: formatMac(dst), src: formatMac(src) },
          { layer: 'arp', op, hwsrc: formatMac(hwsrc), psrc: formatIpv4(psrc), hwdst: formatMac(hwdst), pdst: formatIpv4(pdst) },
        ];
        expect(bytesToHex(buf)).toBe(bytesToHex(encodeFrame(layers)));
      }),
      { numRuns: 100 },
    );
  });

  it('ether / ipv6 / gre (C, K, S any) / ipv4 / icmp / data, checksums patched innermost first', () => {
    fc.assert(
      fc.property(
        fc.record({ tc: u8, fl: fc.integer({ min: 0, max: 0xfffff }), hlim: u8, src6: addr16, dst6: addr16, present: fc.integer({ min: 0, max: 7 }), key: u32, seq: u32, id: u16, ttl: u8, src4: u32, dst4: u32, type: u8, code: u8, rest: u32 }),
        fc.uint8Array({ maxLength: 40 }),
        (v, data) => {
          const present = (v.present & 1 ? GRE_C : 0) | (v.present & 2 ? GRE_K : 0) | (v.present & 4 ? GRE_S : 0);
          const greLen = 4 + 4 * ((v.present & 1) + ((v.present >> 1) & 1) + ((v.present >> 2) & 1));
          const icmpLen = 8 + data.length;
          const total = 14 + 40 + greLen + 20 + icmpLen;
          const buf = new Uint8Array(total).fill(0xc3);
          const w = writerFor(buf);
          let o = encodeEther(w, 0, new Uint8Array(6).fill(2), new Uint8Array(6).fill(4), 0x86dd);
          o = encodeIpv6(w, o, v.tc, v.fl, greLen + 20 + icmpLen, 47, v.hlim, v.src6, v.dst6);
          const gre = o;
          o = encodeGre(w, o, present, 0x0800, v.key, v.seq);
          o = encodeIpv4(w, o, 0, 20 + icmpLen, v.id, 0, v.ttl, 1, v.src4, v.dst4);
          const icmp = o;
          o = encodeIcmp(w, o, v.type, v.code, v.rest);
          buf.set(data, o);
          icmpChecksum(w, icmp, total);
          if (present & GRE_C) greChecksum(w, gre, total);
          // The same frame as layers: ICMP type 0/8 and 3/4 split the rest-of-header into named fields.
          const rest: Record<string, number> =
            v.type === 0 || v.type === 8 ? { id: v.rest >>> 16, seq: v.rest & 0xffff } : v.type === 3 && v.code === 4 ? { unused: v.rest >>> 16, mtu: v.rest & 0xffff } : { unused: v.rest };
          const greLayer: Layer = { layer: 'gre' };
          if (present & GRE_C) greLayer.chksum = true;
          if (present & GRE_K) greLayer.key = v.key;
          if (present & GRE_S) greLayer.seq = v.seq;
          const layers: Layer[] = [
            { layer: 'ether', dst: '02:02:02:02:02:02', src: '04:04:04:04:04:04' },
            { layer: 'ipv6', tc: v.tc, fl: v.fl, hlim: v.hlim, src: formatIpv6(v.src6), dst: formatIpv6(v.dst6) },
            greLayer,
            { layer: 'ipv4', id: v.id, ttl: v.ttl, src: formatIpv4(v.src4), dst: formatIpv4(v.dst4) },
            { layer: 'icmp', type: v.type, code: v.code, ...rest },
            { layer: 'raw', hex: bytesToHex(data) },
          ];
          expect(bytesToHex(buf)).toBe(bytesToHex(encodeFrame(layers)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('ether / dot1q / ipv6 / udp / geneve + options / ether / mpls stack / ipv4 / udp / data', () => {
    fc.assert(
      fc.property(
        fc.record({ pcp: fc.integer({ min: 0, max: 7 }), dei: fc.integer({ min: 0, max: 1 }), vid: fc.integer({ min: 0, max: 4095 }), src6: addr16, dst6: addr16, sport: u16, vni: fc.integer({ min: 0, max: 0xffffff }), oam: fc.boolean(), critical: fc.boolean(), labels: fc.array(fc.integer({ min: 0, max: 0xfffff }), { minLength: 1, maxLength: 3 }), tc: fc.integer({ min: 0, max: 7 }), mttl: u8, src4: u32, dst4: u32 }),
        fc.array(fc.record({ cls: u16, type: u8, data: fc.integer({ min: 0, max: 3 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })) }), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 30 }),
        (v, opts, data) => {
          const optBytes = opts.reduce((n, x) => n + 4 + x.data.length, 0);
          const inner = 14 + 4 * v.labels.length + 20 + 8 + data.length;
          const udpLen = 8 + 8 + optBytes + inner;
          const total = 14 + 4 + 40 + udpLen;
          const buf = new Uint8Array(total).fill(0x77);
          const w = writerFor(buf);
          let o = encodeEther(w, 0, new Uint8Array(6).fill(1), new Uint8Array(6).fill(3), 0x8100);
          o = encodeVlanTag(w, o, v.pcp, v.dei, v.vid, 0x86dd);
          o = encodeIpv6(w, o, 0, 0, udpLen, 17, 64, v.src6, v.dst6);
          const outerUdp = o;
          o = encodeUdp(w, o, v.sport, 6081, udpLen, 0);
          o = encodeGeneve(w, o, v.vni, 0x6558, optBytes / 4, v.oam, v.critical);
          for (const x of opts) o = encodeGeneveOption(w, o, x.cls, x.type, x.data, 0, x.data.length);
          o = encodeEther(w, o, new Uint8Array(6).fill(5), new Uint8Array(6).fill(6), 0x8847);
          v.labels.forEach((label, k) => (o = encodeMpls(w, o, label, v.tc, k === v.labels.length - 1 ? 1 : 0, v.mttl)));
          o = encodeIpv4(w, o, 0, 28 + data.length, 1, 0, 64, 17, v.src4 | 0, v.dst4 | 0);
          const innerUdp = o;
          o = encodeUdp(w, o, 1000, 2000, 8 + data.length, 0);
          buf.set(data, o);
          udpChecksumIpv4(w, innerUdp, 8 + data.length, v.src4, v.dst4);
          udpChecksumIpv6(w, outerUdp, udpLen, v.src6, v.dst6);
          const layers: Layer[] = [
            { layer: 'ether', dst: '01:01:01:01:01:01', src: '03:03:03:03:03:03' },
            { layer: 'dot1q', pcp: v.pcp, dei: v.dei, vid: v.vid },
            { layer: 'ipv6', src: formatIpv6(v.src6), dst: formatIpv6(v.dst6) },
            { layer: 'udp', sport: v.sport, dport: 6081 },
            { layer: 'geneve', vni: v.vni, oam: v.oam, critical: v.critical, options: opts.map((x) => ({ class: x.cls, type: x.type, data: bytesToHex(x.data) })) },
            { layer: 'ether', dst: '05:05:05:05:05:05', src: '06:06:06:06:06:06' },
            ...v.labels.map((label) => ({ layer: 'mpls', label, tc: v.tc, ttl: v.mttl })),
            { layer: 'ipv4', src: formatIpv4(v.src4), dst: formatIpv4(v.dst4) },
            { layer: 'udp', sport: 1000, dport: 2000 },
            { layer: 'raw', hex: bytesToHex(data) },
          ];
          expect(bytesToHex(buf)).toBe(bytesToHex(encodeFrame(layers)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
