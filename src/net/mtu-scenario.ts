/**
 * The MTU story, as packets: a VXLAN tunnel whose underlay MTU is too small for the 50 bytes
 * VXLAN adds, told three ways in one capture, each frame commented:
 *
 *   (1) DF set: VTEP 1's outer packet is dropped by the router in front of the small-MTU hop,
 *       which sends back ICMP Destination Unreachable / Fragmentation Needed (type 3 code 4,
 *       RFC 792 + RFC 1191 next-hop MTU) quoting the dropped packet's IP header + 8 bytes; the
 *       sender then retries at the size path-MTU discovery found (inner MTU = MTU − 50).
 *   (2) DF clear: the router fragments the outer packet (RFC 791) and VTEP 2 reassembles it.
 *   (3) Jumbo frames: with an underlay MTU of 9000 the same packet just goes through.
 * and, when asked for (case "ipv6"), the IPv6-underlay variant: IPv6 routers never fragment, so
 * the router drops the packet and answers ICMPv6 Packet Too Big (RFC 4443, RFC 8201), and VTEP 1
 * itself sends the outer packet as fragments with a Fragment header (RFC 8200);
 * (case "ipsec") the VXLAN packet carried between two sites in an ESP tunnel (AES-GCM-128,
 * IPSEC_MTU_SA): DF drop, ICMP quoting the ESP header, and the retry at the inner size found by
 * encoding — ESP pads, so it is not path MTU minus a fixed overhead.
 *
 * Sizes come from encapsulationOverhead (the encoder), fragments from fragmentIpv4: nothing
 * here knows a header length.
 *
 * Scenario JSON (every key optional; `virtkit mtu --help` documents the same):
 *   {"time": "1700000000", "vni": 5001, "innerMtu": 1500, "underlayMtu": 1500, "jumboMtu": 9000,
 *    "vtep1": "192.0.2.1", "vtep2": "198.51.100.2", "router": "192.0.2.254",
 *    "host1": "10.0.0.1", "host2": "10.0.0.2", "vtep1v6": "2001:db8::1", "vtep2v6": "2001:db8:2::2",
 *    "cases": ["df", "fragment", "jumbo"]}           (also "ipv6")
 */
import { VirtkitError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { encodeFrame, decodeFrame, encodedLength, type Layer } from './index.js';
import { encapsulationOverhead } from './overhead.js';
import { fragmentIpv4, fragmentIpv6, IPV4_MIN_MTU, IPV6_MIN_MTU } from './fragment.js';
import { parseIpv6 } from '../bytes/addr.js';
import type { SecurityAssociation } from './esp/sa.js';

/** The router's IPv6 address (documentation prefix), source of the Packet Too Big. */
const ROUTER_V6 = '2001:db8::fe';
/** What a Packet Too Big adds before its quote: IPv6 and the 8-byte ICMPv6 header. */
const PTB_HEADERS: Layer[] = [
  { layer: 'ipv6', src: '::', dst: '::', nh: 58 },
  { layer: 'icmpv6', type: 2, mtu: 0, chksum: 0 },
];

/** The tunnel of the story: VXLAN over IPv4 carrying Ethernet. */
const VXLAN_STACK = 'ether,ipv4,udp,vxlan,ether';

/** A scenario file that does not describe a scenario: names the key and what is wrong. */
export class ScenarioError extends VirtkitError {
  override name = 'ScenarioError';
}

export type MtuCase = 'df' | 'fragment' | 'jumbo' | 'ipv6' | 'ipsec';
export const MTU_CASES: readonly MtuCase[] = ['df', 'fragment', 'jumbo', 'ipv6', 'ipsec'];

/** The ESP tunnel of the "ipsec" case: VXLAN between two sites, protected by AES-GCM-128. */
const IPSEC_STACK = 'ether,ipv4,esp:aes-gcm-128,ipv4,udp,vxlan,ether';
/** Its security association (a made-up key; `virtkit mtu --write-esp-sa` writes it for Wireshark). */
export const IPSEC_MTU_SA: SecurityAssociation = { spi: 0x4001, cipher: 'aes-gcm-128', key: '303132333435363738393a3b3c3d3e3f40414243' };
/** The IPsec gateways in front of the VTEPs (documentation addresses). */
const GW1 = '203.0.113.1';
const GW2 = '203.0.113.2';

export interface MtuScenario {
  /** Time of the first packet, seconds as a decimal string (nanoseconds kept). */
  time: string;
  vni: number;
  /** Size of the inner IP packet the overlay host sends first (its interface MTU). */
  innerMtu: number;
  /** MTU of the small underlay hop (above its Ethernet header). */
  underlayMtu: number;
  /** MTU of the jumbo-frame underlay in case 3. */
  jumboMtu: number;
  vtep1: string;
  vtep2: string;
  router: string;
  host1: string;
  host2: string;
  /** IPv6 addresses of the tunnel ends for the "ipv6" case. */
  vtep1v6: string;
  vtep2v6: string;
  cases: MtuCase[];
}

export const DEFAULT_MTU_SCENARIO: Readonly<MtuScenario> = {
  time: '1700000000',
  vni: 5001,
  innerMtu: 1500,
  underlayMtu: 1500,
  jumboMtu: 9000,
  vtep1: '192.0.2.1',
  vtep2: '198.51.100.2',
  router: '192.0.2.254',
  host1: '10.0.0.1',
  host2: '10.0.0.2',
  vtep1v6: '2001:db8::1',
  vtep2v6: '2001:db8:2::2',
  cases: ['df', 'fragment', 'jumbo'],
};

export interface ScenarioPacket {
  layers: Layer[];
  comment: string;
  /** Seconds as a decimal string with nine fraction digits. */
  time: string;
}

const IPV4_TEXT = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Check a parsed scenario document and fill in the defaults. Unknown keys and wrong types are
 * ScenarioErrors naming the key.
 */
export function parseMtuScenario(doc: unknown): MtuScenario {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ScenarioError('a scenario is a JSON object, e.g. {"underlayMtu": 1500}');
  }
  const out: MtuScenario = { ...DEFAULT_MTU_SCENARIO, cases: [...DEFAULT_MTU_SCENARIO.cases] };
  const keys = Object.keys(DEFAULT_MTU_SCENARIO);
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!keys.includes(key)) throw new ScenarioError(`unknown key '${key}' (valid: ${keys.join(', ')})`);
    const def = (DEFAULT_MTU_SCENARIO as unknown as Record<string, unknown>)[key];
    if (key === 'cases') {
      if (!Array.isArray(value) || value.length === 0 || !value.every((c) => MTU_CASES.includes(c as MtuCase))) {
        throw new ScenarioError(`cases: must be a non-empty list of ${MTU_CASES.map((c) => `"${c}"`).join(', ')}`);
      }
      out.cases = value as MtuCase[];
    } else if (key === 'time') {
      if (typeof value !== 'string' || !/^\d+(\.\d{1,9})?$/.test(value)) {
        throw new ScenarioError(`time: '${String(value)}' is not seconds as a decimal string, e.g. "1700000000.5"`);
      }
      out.time = value;
    } else if (typeof def === 'number') {
      // Numbers as JSON numbers, or as strings in hex (0x…) or decimal, as every virtkit input.
      const n = typeof value === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
        throw new ScenarioError(`${key}: ${JSON.stringify(value)} is not a non-negative integer (a number, or a string in 0x hex or decimal)`);
      }
      (out as unknown as Record<string, unknown>)[key] = n;
    } else if (key.endsWith('v6')) {
      if (typeof value !== 'string' || parseIpv6(value) === null) {
        throw new ScenarioError(`${key}: ${JSON.stringify(value)} is not an IPv6 address`);
      }
      (out as unknown as Record<string, unknown>)[key] = value;
    } else {
      if (typeof value !== 'string' || !IPV4_TEXT.test(value)) {
        throw new ScenarioError(`${key}: ${JSON.stringify(value)} is not an IPv4 address`);
      }
      (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  if (out.vni > 0xffffff) throw new ScenarioError(`vni: ${out.vni} is out of range 0..16777215`);
  if (out.innerMtu < 28 || out.innerMtu > 65535) throw new ScenarioError(`innerMtu: ${out.innerMtu} is out of range 28..65535`);
  if (out.underlayMtu < IPV4_MIN_MTU) {
    throw new ScenarioError(`underlayMtu: ${out.underlayMtu} is below the IPv4 minimum MTU of ${IPV4_MIN_MTU}`);
  }
  // The outer IP packet a full-size inner packet becomes: the underlay MTU it requires.
  const need = encapsulationOverhead(VXLAN_STACK, { mtu: 65535, innerMtu: out.innerMtu }).requiredMtu;
  if (out.underlayMtu >= need) {
    throw new ScenarioError(
      `underlayMtu: ${out.underlayMtu} already carries a ${out.innerMtu}-byte inner packet (${need} bytes outer): nothing to show; make it smaller than ${need}`,
    );
  }
  const cost = need - out.innerMtu;
  if (out.underlayMtu - cost < 28) {
    throw new ScenarioError(`underlayMtu: ${out.underlayMtu} leaves ${out.underlayMtu - cost} bytes for the inner IP packet; the retry needs at least 28 (IPv4 + UDP headers)`);
  }
  if (out.cases.includes('ipv6') && out.underlayMtu < IPV6_MIN_MTU) {
    throw new ScenarioError(`underlayMtu: ${out.underlayMtu} is below the IPv6 minimum MTU of ${IPV6_MIN_MTU} (case "ipv6")`);
  }
  if (out.jumboMtu < need) throw new ScenarioError(`jumboMtu: ${out.jumboMtu} is smaller than the ${need}-byte outer packet`);
  if (need > 65535) throw new ScenarioError(`innerMtu: ${out.innerMtu} makes a ${need}-byte outer packet, above IPv4's 65535`);
  return out;
}


// Fixed, recognisable MAC addresses (locally administered).
const MAC = {
  vtep1: '02:00:00:00:01:01',
  vtep2: '02:00:00:00:01:02',
  router: '02:00:00:00:01:fe',
  host1: '0a:00:00:00:00:01',
  host2: '0a:00:00:00:00:02',
};

/** A payload of n bytes counting 0, 1, … 255, 0, … so reassembly errors show. */
function patternHex(n: number, seed: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const b = (i + seed) & 0xff;
    s += (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

/** Time arithmetic on decimal strings, kept exact in bigint nanoseconds. */
function toNs(t: string): bigint {
  const [s, f = ''] = t.split('.');
  return BigInt(s!) * 1_000_000_000n + BigInt((f + '000000000').slice(0, 9));
}
function fromNs(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const f = ns % 1_000_000_000n;
  return `${s}.${f.toString().padStart(9, '0')}`;
}

/**
 * The packets of the scenario, in capture order, each with its comment and time (1 ms apart
 * within a case, 1 s between cases).
 */
export function mtuScenarioPackets(scenario: Partial<MtuScenario> = {}): ScenarioPacket[] {
  const sc = parseMtuScenario(scenario);
  const ov = encapsulationOverhead(VXLAN_STACK, { mtu: sc.underlayMtu, innerMtu: sc.innerMtu });
  const vxlanCost = ov.overhead;
  const packets: ScenarioPacket[] = [];
  let t = toNs(sc.time);
  const push = (layers: Layer[], comment: string) => {
    packets.push({ layers, comment, time: fromNs(t) });
    t += 1_000_000n;
  };

  /** An inner UDP packet of `size` IP bytes from host1 to host2, VXLAN-encapsulated by VTEP 1. */
  const tunnelled = (size: number, outerId: number, df: boolean, innerId: number): Layer[] => [
    { layer: 'ether', dst: MAC.router, src: MAC.vtep1 },
    { layer: 'ipv4', src: sc.vtep1, dst: sc.vtep2, id: outerId, flags: df ? 'DF' : 0, ttl: 64 },
    { layer: 'udp', sport: 49152 + (sc.vni % 16384), dport: 4789, chksum: 0 },
    { layer: 'vxlan', vni: sc.vni },
    { layer: 'ether', dst: MAC.host2, src: MAC.host1 },
    { layer: 'ipv4', src: sc.host1, dst: sc.host2, id: innerId, flags: 'DF' },
    { layer: 'udp', sport: 40000, dport: 5001 },
    { layer: 'raw', hex: patternHex(size - 28, innerId) },
  ];
  const outerIpBytes = (frame: Layer[]) => {
    // Everything after the outer Ethernet header (the underlay MTU is measured above it).
    return encodedLength(frame.slice(1));
  };

  let caseNo = 0;
  for (const c of sc.cases) {
    caseNo++;
    if (c === 'df') {
      const big = tunnelled(sc.innerMtu, 0x1001, true, 0x0101);
      const bigBytes = encodeFrame(big);
      const ipLen = outerIpBytes(big);
      push(
        big,
        `(${caseNo}) DF set: host ${sc.host1} sends a ${sc.innerMtu}-byte IP packet; VTEP ${sc.vtep1} adds ${vxlanCost} bytes of VXLAN (outer Ethernet included) ` +
          `and sends a ${ipLen}-byte outer IP packet with Don't Fragment. The router's next hop has MTU ${sc.underlayMtu}: the packet is dropped there.`,
      );
      // RFC 792 / RFC 1191: quote the original IP header + the first 8 bytes of its payload.
      const dec = decodeFrame(bigBytes).layers;
      const ipIndex = dec.findIndex((l) => l.layer === 'ipv4');
      const ipStart = bigBytes.length - encodedLength(dec.slice(ipIndex));
      const ihl = (dec[ipIndex]!['ihl'] as number) * 4;
      const quote = bigBytes.subarray(ipStart, ipStart + ihl + 8);
      const quoteHex = bytesToHex(quote);
      push(
        [
          { layer: 'ether', dst: MAC.vtep1, src: MAC.router },
          { layer: 'ipv4', src: sc.router, dst: sc.vtep1, id: 0x2001, ttl: 64 },
          { layer: 'icmp', type: 3, code: 4, mtu: sc.underlayMtu },
          { layer: 'raw', hex: quoteHex },
        ],
        `(${caseNo}) The router ${sc.router} answers ICMP Destination Unreachable, Fragmentation Needed (type 3 code 4) with next-hop MTU ${sc.underlayMtu}, ` +
          `quoting the dropped packet's IP header and first 8 bytes (its UDP header): path-MTU discovery (RFC 1191).`,
      );
      const retry = Math.min(sc.innerMtu, ov.innerMtu);
      const small = tunnelled(retry, 0x1002, true, 0x0102);
      push(
        small,
        `(${caseNo}) Retry at the discovered size: path MTU ${sc.underlayMtu} − ${ov.overhead - ov.linkHeader} bytes of tunnel headers − ${ov.innerHeader} of inner Ethernet = ` +
          `${retry}-byte inner IP packet, ${outerIpBytes(small)}-byte outer packet: it fits and is delivered.`,
      );
    } else if (c === 'fragment') {
      const big = tunnelled(sc.innerMtu, 0x3001, false, 0x0301);
      const ipLen = outerIpBytes(big);
      push(
        big,
        `(${caseNo}) DF clear: VTEP ${sc.vtep1} sends the same ${ipLen}-byte outer packet (inner ${sc.innerMtu} bytes) without Don't Fragment.`,
      );
      const frags = fragmentIpv4(big, { mtu: sc.underlayMtu });
      frags.forEach((f, i) => {
        // The router forwards the fragments: new link addresses, TTL one less.
        const eth = f[0]!;
        eth['src'] = MAC.router;
        eth['dst'] = MAC.vtep2;
        const ip = f.find((l) => l.layer === 'ipv4')!;
        ip['ttl'] = 63;
        const ipBytes = encodedLength(f.slice(1));
        const last = i === frags.length - 1;
        push(
          f,
          `(${caseNo}) Fragment ${i + 1}/${frags.length} of outer packet id 0x3001 from the router onto the ${sc.underlayMtu}-MTU hop: ${ipBytes} bytes, ` +
            `offset ${(ip['frag'] as number) * 8}, MF=${last ? 0 : 1}` +
            (last ? `; VTEP ${sc.vtep2} reassembles the ${ipLen}-byte packet and decapsulates the inner frame.` : '.'),
        );
      });
    } else if (c === 'ipsec') {
      const sa = { sa: [IPSEC_MTU_SA] };
      const ipsecOv = encapsulationOverhead(IPSEC_STACK, { mtu: sc.underlayMtu, innerMtu: sc.innerMtu });
      /** The VXLAN packet of `size` inner IP bytes, in the ESP tunnel from gateway 1 to gateway 2. */
      const protectedFrame = (size: number, outerId: number, seq: number, innerId: number): Layer[] => [
        { layer: 'ether', dst: MAC.router, src: MAC.vtep1 },
        { layer: 'ipv4', src: GW1, dst: GW2, id: outerId, flags: 'DF', ttl: 64 },
        { layer: 'esp', spi: IPSEC_MTU_SA.spi, seq },
        ...tunnelled(size, innerId, true, innerId).slice(1),
      ];
      const big = protectedFrame(sc.innerMtu, 0x5001, 1, 0x0501);
      const bigBytes = encodeFrame(big, sa);
      const ipLen = bigBytes.length - 14;
      push(
        big,
        `(${caseNo}) IPsec: VXLAN between two sites runs in an ESP tunnel (AES-GCM-128, SPI 0x${IPSEC_MTU_SA.spi.toString(16)}) from gateway ${GW1} to ${GW2}. ` +
          `A ${sc.innerMtu}-byte inner packet becomes a ${ipLen}-byte ESP packet (DF set; ${ipsecOv.overhead - ipsecOv.linkHeader} bytes of tunnel headers, ${ipsecOv.innerHeader} of inner Ethernet, ` +
          `${ipLen - sc.innerMtu - (ipsecOv.overhead - ipsecOv.linkHeader) - ipsecOv.innerHeader} of ESP padding): the ${sc.underlayMtu}-MTU hop drops it.`,
      );
      // The quote (outer IP header + 8 bytes) is the ESP SPI and sequence number: how the gateway finds its SA's path MTU.
      const quote = bigBytes.subarray(14, 14 + 20 + 8);
      push(
        [
          { layer: 'ether', dst: MAC.vtep1, src: MAC.router },
          { layer: 'ipv4', src: sc.router, dst: GW1, id: 0x2002, ttl: 64 },
          { layer: 'icmp', type: 3, code: 4, mtu: sc.underlayMtu },
          { layer: 'raw', hex: bytesToHex(quote) },
        ],
        `(${caseNo}) The router answers Fragmentation Needed, next-hop MTU ${sc.underlayMtu}, quoting the ESP packet's IP header and its first 8 bytes: the SPI and sequence number, so gateway ${GW1} knows which SA's path MTU shrank.`,
      );
      const retry = Math.min(sc.innerMtu, ipsecOv.innerMtu);
      const small = protectedFrame(retry, 0x5002, 2, 0x0502);
      push(
        small,
        `(${caseNo}) Retry: the largest inner packet that fits, found by encoding (ESP pads, so it is not ${sc.underlayMtu} − ${ipsecOv.overhead - ipsecOv.linkHeader} − ${ipsecOv.innerHeader}): ` +
          `${retry} bytes inside, a ${encodeFrame(small, sa).length - 14}-byte ESP packet: it fits and is delivered.`,
      );
    } else if (c === 'ipv6') {
      const big: Layer[] = [
        { layer: 'ether', dst: MAC.router, src: MAC.vtep1 },
        { layer: 'ipv6', src: sc.vtep1v6, dst: sc.vtep2v6, hlim: 64 },
        ...tunnelled(sc.innerMtu, 0, false, 0x0601).slice(2),
      ];
      delete big[2]!['chksum']; // over IPv6 the UDP checksum is mandatory (RFC 8200 8.1)
      const ipLen = outerIpBytes(big);
      if (ipLen > sc.underlayMtu) {
        push(
          big,
          `(${caseNo}) IPv6 underlay: VTEP ${sc.vtep1v6} sends a ${ipLen}-byte outer packet (a ${sc.innerMtu}-byte inner packet + ${ipLen - sc.innerMtu} bytes of inner Ethernet, VXLAN, UDP and IPv6 headers). ` +
            `The router's next hop has MTU ${sc.underlayMtu}, and IPv6 routers never fragment: the packet is dropped there.`,
        );
        // RFC 4443 3.2: as much of the packet as fits without the ICMPv6 message exceeding the minimum IPv6 MTU.
        const bigBytes = encodeFrame(big);
        const linkLen = bigBytes.length - ipLen;
        const quoteLen = Math.min(ipLen, IPV6_MIN_MTU - encodedLength(PTB_HEADERS));
        push(
          [
            { layer: 'ether', dst: MAC.vtep1, src: MAC.router },
            { layer: 'ipv6', src: ROUTER_V6, dst: sc.vtep1v6, hlim: 64 },
            { layer: 'icmpv6', type: 2, mtu: sc.underlayMtu },
            { layer: 'raw', hex: bytesToHex(bigBytes, linkLen, linkLen + quoteLen) },
          ],
          `(${caseNo}) The router ${ROUTER_V6} answers ICMPv6 Packet Too Big (type 2) with MTU ${sc.underlayMtu}, quoting the first ${quoteLen} bytes of the dropped packet ` +
            `(as much as fits in the 1280-byte IPv6 minimum MTU, RFC 4443): path-MTU discovery for IPv6 (RFC 8201).`,
        );
      }
      const frags = fragmentIpv6(big, { mtu: sc.underlayMtu, identification: 0x6001 });
      frags.forEach((f, i) => {
        const last = i === frags.length - 1;
        push(
          f,
          `(${caseNo}) Having learnt the path MTU, VTEP ${sc.vtep1v6} sends its ${ipLen}-byte outer packet ` +
            `as fragments itself (only the source fragments in IPv6). Fragment ${i + 1}/${frags.length}: ` +
            `${outerIpBytes(f)} bytes, Fragment header id 0x6001` +
            (last ? `; VTEP ${sc.vtep2v6} reassembles it.` : ', M=1.'),
        );
      });
    } else {
      const big = tunnelled(sc.innerMtu, 0x4001, true, 0x0401);
      const ipLen = outerIpBytes(big);
      push(
        big,
        `(${caseNo}) Jumbo frames: the underlay MTU is ${sc.jumboMtu}, so the ${ipLen}-byte outer packet (DF set) passes whole — no drop, no fragments ` +
          `(a ${sc.jumboMtu}-byte underlay carries inner packets up to ${encapsulationOverhead(VXLAN_STACK, { mtu: sc.jumboMtu }).innerMtu} bytes).`,
      );
    }
    t += 1_000_000_000n;
  }
  return packets;
}
