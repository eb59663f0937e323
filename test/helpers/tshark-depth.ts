/**
 * How deep tshark dissects a frame, in virtkit's layer kinds: its frame.protocols list read up to
 * the first protocol virtkit does not have. One table of tshark's protocol names for the capture
 * tests (test/net/captures.test.ts, test/captures/depth.test.ts).
 */

/** tshark's protocol name (frame.protocols) of each virtkit layer kind. */
export const KIND_OF_TSHARK: Readonly<Record<string, string>> = {
  eth: 'ether',
  vlan: 'dot1q',
  ieee8021ad: 'dot1ad',
  arp: 'arp',
  ip: 'ipv4',
  ipv6: 'ipv6',
  'ipv6.hopopts': 'ipv6hbh',
  'ipv6.dstopts': 'ipv6dest',
  'ipv6.routing': 'ipv6rh',
  'ipv6.fraghdr': 'ipv6frag',
  udp: 'udp',
  tcp: 'tcp',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  vxlan: 'vxlan',
  geneve: 'geneve',
  gre: 'gre',
  mpls: 'mpls',
  ppp: 'ppp',
  pppoes: 'pppoe',
  pppoed: 'pppoed',
  erspan: 'erspan',
  gtp: 'gtpu',
  nsh: 'nsh',
  teredo: 'teredo',
  pim: 'pim',
  ayiya: 'ayiya',
  sll: 'sll',
  null: 'loopback',
};

/** Names frame.protocols lists that are no layer of their own (the EtherType field's pseudo-protocol, the raw-IP link type, the frame). */
export const NOT_LAYERS: ReadonlySet<string> = new Set(['ethertype', 'raw', 'frame']);

/**
 * The kinds tshark dissected, outermost first, up to the first protocol virtkit does not have.
 * `extra` may name a kind tshark lists no protocol for, which comes before `kind` (given the kinds so far).
 */
export function tsharkDepth(protocols: readonly string[], extra?: (kind: string, soFar: readonly string[]) => string | undefined): string[] {
  const kinds: string[] = [];
  for (const p of protocols) {
    if (NOT_LAYERS.has(p)) continue;
    const k = KIND_OF_TSHARK[p];
    if (!k) break;
    const before = extra?.(k, kinds);
    if (before) kinds.push(before);
    kinds.push(k);
  }
  return kinds;
}
