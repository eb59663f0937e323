/**
 * The demo capture: one frame of every encapsulation the codecs know, each with a comment that
 * says what it shows. Overheads in the comments are measured by encoding (the whole frame's
 * length minus the inner frame's), never taken from a table, and the timestamps are fixed so
 * the file is the same byte for byte on every run.
 */
import { encodedLength, type Layer } from '../net/index.js';
import type { SecurityAssociation } from '../net/esp/sa.js';

export interface DemoPacket {
  layers: Layer[];
  comment: string;
  time?: string;
}

// Underlay (outer) and overlay (inner) addresses from the documentation ranges.
const OUTER_MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' };
const INNER_MAC = { dst: '0a:00:00:00:00:02', src: '0a:00:00:00:00:01' };
const OUTER4 = { src: '192.0.2.1', dst: '192.0.2.2' };
const OUTER6 = { src: '2001:db8::1', dst: '2001:db8::2' };
const INNER4 = { src: '10.0.0.1', dst: '10.0.0.2' };
const INNER6 = { src: 'fd00::1', dst: 'fd00::2' };
const PAYLOAD = '000102030405060708090a0b0c0d0e0f';

const ether = (m = OUTER_MAC): Layer => ({ layer: 'ether', ...m });
const ipv4 = (a = INNER4, extra: Record<string, unknown> = {}): Layer => ({ layer: 'ipv4', ...a, ...extra });
const ipv6 = (a = INNER6): Layer => ({ layer: 'ipv6', ...a });
const udp = (sport = 1234, dport = 5678, extra: Record<string, unknown> = {}): Layer => ({ layer: 'udp', sport, dport, ...extra });
const raw = (hex = PAYLOAD): Layer => ({ layer: 'raw', hex });
/** An inner Ethernet/IPv4/UDP frame with 16 bytes of payload. */
const innerEthernet = (): Layer[] => [ether(INNER_MAC), ipv4(), udp(), raw()];
const innerIpv4 = (): Layer[] => [ipv4(), udp(), raw()];

/**
 * The security associations of the demo's ESP frames, one per cipher suite (made-up keys: the
 * demo writes them beside the capture as Wireshark's esp_sa file, so it opens decrypted).
 */
export const DEMO_SA: readonly SecurityAssociation[] = [
  { spi: 0x1001, cipher: 'aes-gcm-128', key: '000102030405060708090a0b0c0d0e0fa0a1a2a3' },
  { spi: 0x1002, cipher: 'aes-gcm-256', key: '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fb0b1b2b3' },
  { spi: 0x1003, cipher: 'aes-cbc-128', key: '404142434445464748494a4b4c4d4e4f', auth: 'hmac-sha256-128', authKey: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f' },
  { spi: 0x1004, cipher: 'aes-cbc-256', key: '505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f', auth: 'hmac-sha1-96', authKey: 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3' },
  { spi: 0x1005, cipher: 'null', auth: 'hmac-sha256-128', authKey: 'e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff' },
];
const esp = (spi: number, seq = 1): Layer => ({ layer: 'esp', spi, seq });

interface DemoItem {
  layers: Layer[];
  /** Index of the first inner layer: the comment gives the bytes of everything before it. */
  innerFrom?: number;
  /** Text before the measured figure. */
  what: string;
  /** For frames without a tunnel: indexes of layers whose cost the comment states. */
  extra?: number[];
  /** The inner layers are a packet quoted by an ICMP error, not a tunnelled one. */
  quote?: boolean;
}

function items(): DemoItem[] {
  return [
    { what: 'Plain Ethernet/IPv4/UDP', layers: [ether(), ipv4(OUTER4), udp(), raw()], innerFrom: 3 },
    {
      what: 'ARP request: who has 192.0.2.2? tell 192.0.2.1',
      layers: [{ layer: 'ether', dst: 'ff:ff:ff:ff:ff:ff', src: OUTER_MAC.src }, { layer: 'arp', op: 1, hwsrc: OUTER_MAC.src, psrc: OUTER4.src, pdst: OUTER4.dst }],
    },
    { what: 'ICMP echo request id 1 seq 1', layers: [ether(), ipv4(OUTER4), { layer: 'icmp', type: 8, code: 0, id: 1, seq: 1 }, raw()], innerFrom: 3 },
    { what: '802.1Q VLAN 100', layers: [ether(), { layer: 'dot1q', vid: 100, pcp: 0 }, ipv4(OUTER4), udp(), raw()], extra: [1] },
    { what: 'QinQ: 802.1ad S-tag 100 carrying 802.1Q C-tag 200', layers: [ether(), { layer: 'dot1ad', vid: 100 }, { layer: 'dot1q', vid: 200 }, ipv4(OUTER4), udp(), raw()], extra: [1, 2] },
    {
      what: 'VXLAN VNI 5001 over IPv4',
      layers: [ether(), ipv4(OUTER4, { flags: 'DF' }), udp(49152, 4789, { chksum: 0 }), { layer: 'vxlan', vni: 5001 }, ...innerEthernet()],
      innerFrom: 4,
    },
    { what: 'VXLAN VNI 5002 over IPv6', layers: [ether(), ipv6(OUTER6), udp(49153, 4789), { layer: 'vxlan', vni: 5002 }, ...innerEthernet()], innerFrom: 4 },
    {
      what: 'VXLAN VNI 5003 over IPv4 with an outer 802.1Q tag (VLAN 10)',
      layers: [ether(), { layer: 'dot1q', vid: 10 }, ipv4(OUTER4, { flags: 'DF' }), udp(49154, 4789, { chksum: 0 }), { layer: 'vxlan', vni: 5003 }, ...innerEthernet()],
      innerFrom: 5,
    },
    { what: 'Geneve VNI 7000 over IPv4, no options', layers: [ether(), ipv4(OUTER4), udp(49155, 6081), { layer: 'geneve', vni: 7000 }, ...innerEthernet()], innerFrom: 4 },
    {
      what: 'Geneve VNI 7001 over IPv4 with two TLV options',
      layers: [
        ether(),
        ipv4(OUTER4),
        udp(49156, 6081),
        { layer: 'geneve', vni: 7001, options: [{ class: 0x0102, type: 0x80, data: '00010002' }, { class: 0xffff, type: 1, data: '' }] },
        ...innerEthernet(),
      ],
      innerFrom: 4,
    },
    { what: 'GRE over IPv4 carrying IPv4', layers: [ether(), ipv4(OUTER4), { layer: 'gre' }, ...innerIpv4()], innerFrom: 3 },
    { what: 'GRE with checksum, key 42 and sequence 1 over IPv4', layers: [ether(), ipv4(OUTER4), { layer: 'gre', chksum: true, key: 42, seq: 1 }, ...innerIpv4()], innerFrom: 3 },
    { what: 'GRE over IPv6 carrying IPv6', layers: [ether(), ipv6(OUTER6), { layer: 'gre' }, ipv6(), udp(), raw()], innerFrom: 3 },
    {
      what: 'NVGRE VSID 0x123456 flow 0x78 (Ethernet in GRE with key) over IPv4',
      layers: [ether(), ipv4(OUTER4), { layer: 'gre', key: 0x12345678 }, ...innerEthernet()],
      innerFrom: 3,
    },
    { what: 'MPLS, one label (100)', layers: [ether(), { layer: 'mpls', label: 100 }, ...innerIpv4()], innerFrom: 2 },
    {
      what: 'MPLS stack of three labels (16, 17, 18), bottom-of-stack on the last',
      layers: [ether(), { layer: 'mpls', label: 16 }, { layer: 'mpls', label: 17 }, { layer: 'mpls', label: 18 }, ...innerIpv4()],
      innerFrom: 4,
    },
    { what: 'MPLS carrying IPv6 (label 2)', layers: [ether(), { layer: 'mpls', label: 2 }, ipv6(), udp(), raw()], innerFrom: 2 },
    { what: 'IPv4-in-IPv4 (protocol 4)', layers: [ether(), ipv4(OUTER4), ...innerIpv4()], innerFrom: 2 },
    { what: '6in4: IPv6 in IPv4 (protocol 41)', layers: [ether(), ipv4(OUTER4), ipv6(), udp(), raw()], innerFrom: 2 },
    { what: 'IPv4 in IPv6 (next header 4)', layers: [ether(), ipv6(OUTER6), ...innerIpv4()], innerFrom: 2 },
    { what: 'IPv6-in-IPv6 (next header 41)', layers: [ether(), ipv6(OUTER6), ipv6(), udp(), raw()], innerFrom: 2 },
    { what: 'ESP tunnel, AES-GCM-128 (SPI 0x1001; decrypt with the esp_sa file beside this capture)', layers: [ether(), ipv4(OUTER4), esp(0x1001), ...innerIpv4()], innerFrom: 3 },
    { what: 'ESP tunnel over IPv6, AES-GCM-256 (SPI 0x1002), IPv6 inside', layers: [ether(), ipv6(OUTER6), esp(0x1002), ipv6(), udp(), raw()], innerFrom: 3 },
    { what: 'ESP tunnel, AES-CBC-128 + HMAC-SHA-256-128 (SPI 0x1003)', layers: [ether(), ipv4(OUTER4), esp(0x1003), ...innerIpv4()], innerFrom: 3 },
    { what: 'ESP tunnel, AES-CBC-256 + HMAC-SHA-1-96 (SPI 0x1004)', layers: [ether(), ipv4(OUTER4), esp(0x1004), ...innerIpv4()], innerFrom: 3 },
    { what: 'ESP tunnel, NULL encryption + HMAC-SHA-256-128 (SPI 0x1005): the inner packet in clear', layers: [ether(), ipv4(OUTER4), esp(0x1005), ...innerIpv4()], innerFrom: 3 },
    { what: 'ESP transport mode, AES-GCM-128 (SPI 0x1001), UDP protected', layers: [ether(), ipv4(OUTER4), esp(0x1001, 2), udp(), raw()], innerFrom: 3 },
    {
      what: 'ESP in UDP 4500 (NAT traversal), AES-GCM-128 tunnel (SPI 0x1001)',
      layers: [ether(), ipv4(OUTER4), udp(4500, 4500, { chksum: 0 }), esp(0x1001, 3), ...innerIpv4()],
      innerFrom: 4,
    },
    {
      what: 'VXLAN VNI 5004 carried in ESP AES-GCM-128 (SPI 0x1001): VXLAN over IPsec',
      layers: [ether(), ipv4(OUTER4), esp(0x1001, 4), ipv4({ src: '192.0.2.11', dst: '192.0.2.12' }, { flags: 'DF' }), udp(49157, 4789, { chksum: 0 }), { layer: 'vxlan', vni: 5004 }, ...innerEthernet()],
      innerFrom: 6,
    },
    {
      what: 'ICMP fragmentation needed, next-hop MTU 1450 (what a VXLAN underlay sends back)',
      layers: [ether(), ipv4(OUTER4), { layer: 'icmp', type: 3, code: 4, mtu: 1450 }, ipv4(INNER4, { flags: 'DF' }), udp(), raw()],
      innerFrom: 3,
      quote: true,
    },
  ];
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The demo packets with their measured comments and fixed times (1 ms apart). */
export function demoPackets(): DemoPacket[] {
  const sa = { sa: DEMO_SA };
  return items().map((it, i) => {
    const total = encodedLength(it.layers, sa);
    let comment: string;
    if (it.extra) {
      const without = it.layers.filter((_, k) => !it.extra!.includes(k));
      comment = `${it.what}: the tag${it.extra.length > 1 ? 's add' : ' adds'} ${plural(total - encodedLength(without), 'byte')}`;
    } else if (it.innerFrom !== undefined) {
      const inner = encodedLength(it.layers.slice(it.innerFrom), sa);
      const tunnel = it.layers.slice(it.innerFrom).some((l) => l.layer === 'ether' || l.layer === 'ipv4' || l.layer === 'ipv6');
      comment = it.quote
        ? `${it.what}: ${plural(total - inner, 'byte')} of headers, then the ${inner}-byte packet it quotes`
        : tunnel
        ? `${it.what}: ${plural(total - inner, 'byte')} of outer headers around a ${inner}-byte inner ${it.layers[it.innerFrom]!.layer === 'ether' ? 'frame' : 'packet'}`
        : `${it.what}: ${plural(total - inner, 'byte')} of headers before ${plural(inner, 'byte')} of payload`;
    } else {
      comment = `${it.what}: ${plural(total, 'byte')}`;
    }
    const ms = i + 1;
    return { layers: it.layers, comment, time: `1700000000.${String(ms * 1_000_000).padStart(9, '0')}` };
  });
}
