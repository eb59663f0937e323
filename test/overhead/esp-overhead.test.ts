/**
 * `overhead` with ESP stacks at MTUs off the alignment (1499, 1280, 9000) and on it (1500). The
 * figures come from the encoder (binary search over encoded frames); each expectation is also
 * worked out by hand below from RFC 4303/4106/3602 sizes, and cross-checked by encoding the
 * largest inner packet (fits) and one byte more (does not).
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, type Layer } from '../../src/net/index.js';
import { encapsulationOverhead, OverheadError } from '../../src/net/overhead.js';

interface Row {
  stack: string;
  mtu: number;
  fixed: number;
  max: number;
  innerMtu: number;
  requiredMtu: number;
}

// Sizes: IPv4 20, IPv6 40, UDP 8, ESP header 8 (SPI, seq), pad length + next header 2.
// GCM: IV 8, ICV 16, payload + pad + 2 ≡ 0 (mod 4). CBC: IV 16, pad to 16; HMAC-SHA-256-128 ICV 16,
// HMAC-SHA-1-96 ICV 12. NULL: no IV, pad to 4.
const ROWS: Row[] = [
  // GCM over IPv4, 1499: 1499 − 20 − 8 − 8 − 16 = 1447 for payload+pad+2 → 1444 → inner 1442 (not 1445).
  { stack: 'ether,ipv4,esp:aes-gcm-128,ipv4', mtu: 1499, fixed: 14 + 20 + 34, max: 71, innerMtu: 1442, requiredMtu: 1556 },
  // 1500: 1448 → inner 1446; requiredMtu for 1500: 20 + 8 + 8 + (1500 + 2 pad + 2) + 16 = 1556.
  { stack: 'ether,ipv4,esp:aes-gcm-128,ipv4', mtu: 1500, fixed: 68, max: 71, innerMtu: 1446, requiredMtu: 1556 },
  // 1280: 1228 → inner 1226.   9000: 8948 → inner 8946.
  { stack: 'ether,ipv4,esp:aes-gcm-128,ipv4', mtu: 1280, fixed: 68, max: 71, innerMtu: 1226, requiredMtu: 1556 },
  { stack: 'ether,ipv4,esp:aes-gcm-256,ipv4', mtu: 9000, fixed: 68, max: 71, innerMtu: 8946, requiredMtu: 1556 },
  // CBC + SHA-256-128 over IPv4, 1499: 1499 − 20 − 8 − 16 − 16 = 1439 → 1424 (×16) → inner 1422.
  // 1500 inner: 1500 + 2 = 1502 → 1504 (pad 2); 20 + 8 + 16 + 1504 + 16 = 1564. Fixed esp 8+16+2+16 = 42, max +15.
  { stack: 'ether,ipv4,esp:aes-cbc-128+hmac-sha256-128,ipv4', mtu: 1499, fixed: 76, max: 91, innerMtu: 1422, requiredMtu: 1564 },
  // 1280: 1220 → 1216 → 1214.   CBC-256 + SHA-1-96 (ICV 12) on 9000: 9000 − 20 − 8 − 16 − 12 = 8944 = 16 × 559 → 8942;
  // 1500 inner: 1504 + 20 + 8 + 16 + 12 = 1560; fixed esp 8 + 16 + 2 + 12 = 38.
  { stack: 'ether,ipv4,esp:aes-cbc-128+hmac-sha256-128,ipv4', mtu: 1280, fixed: 76, max: 91, innerMtu: 1214, requiredMtu: 1564 },
  { stack: 'ether,ipv4,esp:aes-cbc-256+hmac-sha1-96,ipv4', mtu: 9000, fixed: 72, max: 87, innerMtu: 8942, requiredMtu: 1560 },
  // NAT-T: + UDP 8. 1499: 1439 → 1436 → 1434.
  { stack: 'ether,ipv4,udp,esp:aes-gcm-128,ipv4', mtu: 1499, fixed: 76, max: 79, innerMtu: 1434, requiredMtu: 1564 },
  // IPv6 outer, IPv6 inner, 1280 (the IPv6 minimum): 1280 − 40 − 32 = 1208 → 1208 → 1206.
  { stack: 'ether,ipv6,esp:aes-gcm-128,ipv6', mtu: 1280, fixed: 88, max: 91, innerMtu: 1206, requiredMtu: 1576 },
  // NULL + SHA-1-96: 1499 − 20 − 8 − 12 = 1459 → 1456 → 1454; fixed 8 + 2 + 12 = 22.
  { stack: 'ether,ipv4,esp:null+hmac-sha1-96,ipv4', mtu: 1499, fixed: 56, max: 59, innerMtu: 1454, requiredMtu: 1544 },
  // VXLAN inside ESP (the IPsec variant of the mtu scenario): inner Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8.
  // 1500: 1448 for VXLAN/UDP/IPv4 packet + pad + 2 → 1446 = 20 + 8 + 8 + 14 + inner 1396.
];

function check(o: ReturnType<typeof encapsulationOverhead>, stack: string): void {
  // The inner packet of innerMtu bytes fits; one more does not (encoded, measured above the link header).
  const outer = o.frame.slice(0, o.innerStart);
  const ip = o.frame.slice(o.innerStart);
  const fixed = encodeFrame(ip.slice(0, -1)).length - o.innerHeader; // the inner IP and UDP headers
  const size = (n: number): number => encodeFrame([...outer, ...ip.slice(0, -1), { layer: 'raw', hex: '00'.repeat(n - fixed) } as Layer], { sa: o.sa }).length - o.linkHeader;
  expect(size(o.innerMtu), stack).toBeLessThanOrEqual(o.mtu);
  expect(size(o.innerMtu + 1), stack).toBeGreaterThan(o.mtu);
}

describe('overhead of ESP stacks', () => {
  for (const r of ROWS) {
    it(`${r.stack} on ${r.mtu}: overhead ${r.fixed}..${r.max}, innerMtu ${r.innerMtu}, requiredMtu ${r.requiredMtu}`, () => {
      const o = encapsulationOverhead(r.stack, { mtu: r.mtu });
      expect([o.overhead, o.overheadMax, o.innerMtu, o.requiredMtu]).toEqual([r.fixed, r.max, r.innerMtu, r.requiredMtu]);
      expect(o.maxInnerFrame).toBe(o.innerMtu);
      check(o, r.stack);
    });
  }

  it('VXLAN over ESP (GCM, IPv4): the inner Ethernet frame counts, innerMtu 1396 on 1500', () => {
    const o = encapsulationOverhead('ether,ipv4,esp:aes-gcm-128,ipv4,udp,vxlan,ether', { mtu: 1500 });
    // 1500 − 20 − 8 − 8 − 16 = 1448 for (IPv4 20 + UDP 8 + VXLAN 8 + Ethernet 14 + inner) + pad + 2 → 1446 − 50 = 1396.
    // requiredMtu for 1500: 1500 + 50 = 1550, + 2 = 1552 (a multiple of 4: no pad), + 20 + 8 + 8 + 16 = 1604.
    expect([o.overhead, o.innerMtu, o.maxInnerFrame, o.requiredMtu]).toEqual([68 + 36, 1396, 1410, 1604]);
    check(o, 'vxlan over esp');
  });

  it('without ESP the figures are the fixed identities (no padding): VXLAN 50/1450/1550', () => {
    const o = encapsulationOverhead('ether,ipv4,udp,vxlan,ether');
    expect([o.overhead, o.overheadMax, o.innerMtu, o.requiredMtu]).toEqual([50, 50, 1450, 1550]);
  });

  it('errors: esp without a cipher, an unknown one, GCM with +auth, a layer after esp that is not IP, an MTU too small', () => {
    expect(() => encapsulationOverhead('ether,ipv4,esp,ipv4')).toThrow(OverheadError);
    expect(() => encapsulationOverhead('ether,ipv4,esp:des,ipv4')).toThrow(/unknown option 'des' for esp/);
    expect(() => encapsulationOverhead('ether,ipv4,esp:aes-gcm-128+hmac-sha1-96,ipv4')).toThrow(/authenticates by itself/);
    expect(() => encapsulationOverhead('ether,ipv4,esp:aes-gcm-128,ether')).toThrow(/after esp must be ipv4 or ipv6/);
    expect(() => encapsulationOverhead('ether,ipv4,esp:aes-gcm-128,ipv4', { mtu: 60 })).toThrow(/mtu 60 is too small/);
  });
});

describe('the mtu scenario\'s IPsec variant (VXLAN in an ESP tunnel)', () => {
  it('on 1499: DF drop, ICMP quoting SPI and sequence, retry at 1392 (found by encoding; 1499 − 90 − 14 = 1395 would not fit)', async () => {
    const { mtuScenarioPackets, IPSEC_MTU_SA } = await import('../../src/net/mtu-scenario.js');
    const pk = mtuScenarioPackets({ cases: ['ipsec'], underlayMtu: 1499 });
    expect(pk).toHaveLength(3);
    const sa = { sa: [IPSEC_MTU_SA] };
    const ipBytes = (i: number): number => encodeFrame(pk[i]!.layers, sa).length - 14;
    // 1500 inner + 14 inner Ethernet + 8 VXLAN + 8 UDP + 20 IPv4 = 1550, + 2 = 1552 (no pad), + 20 + 8 + 8 + 16 = 1604.
    expect(ipBytes(0)).toBe(1604);
    expect(pk[1]!.layers[2]).toMatchObject({ layer: 'icmp', type: 3, code: 4, mtu: 1499 });
    // The quote: outer IPv4 header (20) + the ESP SPI and sequence number (8).
    expect(String(pk[1]!.layers[3]!['hex']).slice(40)).toBe('0000400100000001');
    expect(pk[2]!.comment).toMatch(/1392 bytes inside, a 1496-byte ESP packet/);
    expect(ipBytes(2)).toBeLessThanOrEqual(1499);
    // 1392 + 50 = 1442, + 2 = 1444 (no pad), + 52 = 1496. One byte more: 1443 + 2 = 1445 → pad 3 → 1448, + 52 = 1500 > 1499.
    const bigger = structuredClone(pk[2]!.layers);
    const raw = bigger[bigger.length - 1]!;
    raw['hex'] = String(raw['hex']) + '00';
    expect(encodeFrame(bigger, sa).length - 14).toBeGreaterThan(1499);
    // Decoded with the SA: the ESP frames open; the ICMP's quoted ESP header (8 bytes) is left as it is, no error.
    const { decodeFrame } = await import('../../src/net/index.js');
    for (const p of pk) {
      const bytes = encodeFrame(p.layers, sa);
      const d = decodeFrame(bytes, sa);
      expect(d.error, p.comment).toBeUndefined();
      expect(Buffer.from(encodeFrame(d.layers, sa)).equals(Buffer.from(bytes))).toBe(true);
    }
    expect(decodeFrame(encodeFrame(pk[1]!.layers, sa), sa).layers.at(-1)).toEqual({ layer: 'esp', spi: 0x4001, seq: 1, data: '' });
  });
});
