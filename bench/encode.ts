/**
 * Packet codec benchmarks (`virtkit bench encode`).
 * - encode-vxlan-156B: the 156-byte frame Ether/IPv4(DF)/UDP(4789, checksum 0)/VXLAN/Ether/
 *   IPv4/UDP/64-byte payload through encodeVxlanFrame (the public fast path: one function
 *   writing big-endian 32-bit words at offsets from the layout tables). Every frame has its own
 *   VNI, outer source port and inner IPv4 id, so both IPv4 header checksums and the inner UDP
 *   checksum (pseudo-header + header + the 64 payload bytes as copied into this frame) are
 *   computed for every frame, as are all lengths; all 156 bytes are written into one reused
 *   buffer (through its long-lived ByteWriter). Every value is range-checked on every frame.
 * - encode-vxlan-156B-layers: the same frames through encodeFrameInto from JSON-style layer
 *   objects (validation, address parsing, auto fields): the general path, for comparison.
 * - decode-vxlan-156B: FrameView.scan of such frames (all the decoder's checks and dispatch:
 *   8 layers found and bounds-checked, lengths narrowed) plus reading the VNI, outer source
 *   port and inner IPv4 id from the bytes. No layer objects are built: zero-copy.
 * - decode-vxlan-156B-objects: decodeFrame into plain layer objects with every field (strings
 *   for addresses and hex): what `virtkit decode --json` does per frame.
 * - encode-esp-gcm128-1400B: ESP tunnel mode, AES-GCM-128 — Ether/IPv4/ESP carrying a 1400-byte
 *   inner IPv4/UDP packet (1470-byte frame) — through encodeFrameInto with the SA, a new
 *   sequence number (so a new derived IV) every frame: headers, checksums, padding, encryption
 *   and the 16-byte tag. Two cases split where its time goes:
 *   - encode-esp-null-1400B: the same frame with the NULL cipher and no ICV (all but the crypto);
 *   - gcm128-seal-1400B: @noble/ciphers AES-GCM alone on the same 1404 bytes (nonce, AAD, tag).
 */
import type { BenchCase } from './harness.js';
import {
  decodeFrame,
  encodeFrameInto,
  encodeVxlanFrame,
  FrameView,
  IPV4,
  parseIpv4,
  parseMac,
  UDP,
  VXLAN,
  vxlanFrameLayers,
  vxlanFrameLength,
  writerFor,
  type Layer,
  type VxlanFrameParams,
} from '../src/net/index.js';
import { SaTable } from '../src/net/esp/sa.js';
import { sealEsp } from '../src/net/esp/suites.js';

const BATCH = 1000;

function benchParams(): VxlanFrameParams {
  const payload = new Uint8Array(64);
  for (let i = 0; i < 64; i++) payload[i] = i;
  return {
    outerDstMac: parseMac('02:00:00:00:00:01')!,
    outerSrcMac: parseMac('02:00:00:00:00:02')!,
    outerSrcIp: parseIpv4('192.0.2.1'),
    outerDstIp: parseIpv4('192.0.2.2'),
    outerId: 1,
    outerTtl: 64,
    outerDf: true,
    sport: 49152,
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
    payloadEnd: 64,
  };
}

/** Per-frame variation: VNI, outer source port (flow hash range) and inner IPv4 id. */
function vary(p: VxlanFrameParams, n: number): void {
  p.vni = (5001 + n) & 0xffffff;
  p.sport = 49152 + (n & 0x3fff);
  p.innerId = n & 0xffff;
}

/**
 * The issues' 156-byte frame (outer Ether/IPv4(DF)/UDP(4789, checksum 0)/VXLAN, inner
 * Ether/IPv4/UDP/64-byte payload), variant n: the one definition the encode and pcap suites share.
 */
export function benchFrame156(n = 0): Uint8Array {
  const p = benchParams();
  vary(p, n);
  const f = new Uint8Array(vxlanFrameLength(64));
  encodeVxlanFrame(f, 0, p);
  if (f.length !== 156) throw new Error(`bench frame is ${f.length} bytes, expected 156`);
  return f;
}

export function cases(): BenchCase[] {
  const params = benchParams();
  const frameLen = vxlanFrameLength(64);
  const buf = new Uint8Array(frameLen);
  // The reused buffer's long-lived writer (its one DataView), made once.
  const out = writerFor(buf);
  let n = 0;

  // Layer lists for the general path, prebuilt so the timing is the encoder's, not JSON building.
  const layerRing: Layer[][] = [];
  // Encoded frames to decode, each with its own VNI / port / id.
  const frames: Uint8Array[] = [];
  const view = new FrameView();
  let sink = 0;
  const fillFrames = (): void => {
    for (let i = frames.length; i < 256; i++) frames.push(benchFrame156(i));
  };

  return [
    {
      name: 'encode-vxlan-156B',
      batch: BATCH,
      fn: () => {
        for (let i = 0; i < BATCH; i++) {
          vary(params, n++);
          encodeVxlanFrame(out, 0, params);
        }
      },
    },
    {
      name: 'encode-vxlan-156B-layers',
      batch: BATCH,
      setup: () => {
        for (let i = 0; i < 256; i++) {
          const p = benchParams();
          vary(p, i);
          layerRing.push(vxlanFrameLayers(p));
        }
      },
      fn: () => {
        for (let i = 0; i < BATCH; i++) encodeFrameInto(layerRing[(n++) & 255]!, buf, 0);
      },
    },
    {
      name: 'decode-vxlan-156B',
      batch: BATCH,
      setup: fillFrames,
      fn: () => {
        let acc = 0;
        for (let i = 0; i < BATCH; i++) {
          view.scan(frames[(n++) & 255]!);
          // Layers of this frame: 0 ether, 1 ipv4, 2 udp, 3 vxlan, 4 ether, 5 ipv4, 6 udp, 7 raw.
          acc += view.field(3, VXLAN.f.vni) + view.field(2, UDP.f.sport) + view.field(5, IPV4.f.id) + view.count;
        }
        sink += acc;
      },
    },
    ...espCases(),
    {
      name: 'decode-vxlan-156B-objects',
      batch: 100,
      setup: fillFrames,
      fn: () => {
        for (let i = 0; i < 100; i++) sink += decodeFrame(frames[(n++) & 255]!).layers.length;
      },
    },
  ];
}

const ESP_BATCH = 100;

/** The ESP tunnel cases: a 1400-byte inner packet, a new sequence number every frame. */
function espCases(): BenchCase[] {
  const sa = new SaTable([
    { spi: 0x1001, cipher: 'aes-gcm-128', key: '000102030405060708090a0b0c0d0e0fa0a1a2a3' },
    { spi: 0x1005, cipher: 'null', auth: 'none' },
  ]);
  const payload = '5a'.repeat(1400 - 28);
  const frame = (spi: number): Layer[] => [
    { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
    { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', flags: 'DF' },
    { layer: 'esp', spi, seq: 1 },
    { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
    { layer: 'udp', sport: 1024, dport: 5000 },
    { layer: 'raw', hex: payload },
  ];
  const gcm = frame(0x1001);
  const nul = frame(0x1005);
  const buf = new Uint8Array(2048);
  let seq = 1;
  const opts = { sa };
  const sealKeys = sa.get(0x1001)!.keys;
  const sealBuf = new Uint8Array(8 + 8 + 1404 + 16);
  return [
    {
      name: 'encode-esp-gcm128-1400B',
      batch: ESP_BATCH,
      setup: () => {
        if (encodeFrameInto(gcm, buf, 0, opts) !== 1470) throw new Error('ESP bench frame is not 1470 bytes');
      },
      fn: () => {
        const esp = gcm[2]!;
        for (let i = 0; i < ESP_BATCH; i++) {
          esp['seq'] = seq++ >>> 0;
          encodeFrameInto(gcm, buf, 0, opts);
        }
      },
    },
    {
      name: 'encode-esp-null-1400B',
      batch: ESP_BATCH,
      fn: () => {
        const esp = nul[2]!;
        for (let i = 0; i < ESP_BATCH; i++) {
          esp['seq'] = seq++ >>> 0;
          encodeFrameInto(nul, buf, 0, opts);
        }
      },
    },
    {
      name: 'gcm128-seal-1400B',
      batch: ESP_BATCH,
      fn: () => {
        for (let i = 0; i < ESP_BATCH; i++) {
          sealBuf[7] = i; // a new sequence number and IV each time
          sealBuf[15] = i;
          sealEsp(sealKeys, sealBuf, 0, sealBuf.length - 16);
        }
      },
    },
  ];
}
