/**
 * The overhead table of the common encapsulations, computed by encapsulationOverhead (the real
 * encoder) every time: the README's table is this function's markdown output, and a test keeps
 * the two equal.
 */
import { encapsulationOverhead } from '../net/overhead.js';

/** The rows: a name and the stack as `virtkit overhead` takes it. */
export const OVERHEAD_TABLE_STACKS: readonly { name: string; stack: string }[] = [
  { name: 'VXLAN over IPv4', stack: 'ether,ipv4,udp,vxlan,ether' },
  { name: 'VXLAN over IPv6', stack: 'ether,ipv6,udp,vxlan,ether' },
  { name: 'VXLAN over IPv4, outer 802.1Q tag', stack: 'ether,dot1q,ipv4,udp,vxlan,ether' },
  { name: 'VXLAN over IPv6, outer 802.1Q tag', stack: 'ether,dot1q,ipv6,udp,vxlan,ether' },
  { name: 'Geneve over IPv4, no options', stack: 'ether,ipv4,udp,geneve,ether' },
  { name: 'Geneve over IPv4, 8 bytes of options', stack: 'ether,ipv4,udp,geneve:8,ether' },
  { name: 'Geneve over IPv6, 8 bytes of options', stack: 'ether,ipv6,udp,geneve:8,ether' },
  { name: 'GRE over IPv4 (IPv4 inside)', stack: 'ether,ipv4,gre,ipv4' },
  { name: 'GRE over IPv4 with key', stack: 'ether,ipv4,gre:key,ipv4' },
  { name: 'GRE over IPv4 with key, sequence, checksum', stack: 'ether,ipv4,gre:key+seq+chksum,ipv4' },
  { name: 'GRE over IPv6 (IPv6 inside)', stack: 'ether,ipv6,gre,ipv6' },
  { name: 'NVGRE (Ethernet in GRE with key) over IPv4', stack: 'ether,ipv4,gre:key,ether' },
  { name: 'IP-in-IP (IPv4 in IPv4)', stack: 'ether,ipv4,ipv4' },
  { name: '6in4 (IPv6 in IPv4)', stack: 'ether,ipv4,ipv6' },
  { name: 'IPv6 in IPv6', stack: 'ether,ipv6,ipv6' },
  { name: 'MPLS, one label', stack: 'ether,mpls,ipv4' },
  { name: 'MPLS, two labels (L3VPN)', stack: 'ether,mpls,mpls,ipv4' },
  { name: 'MPLS, three labels', stack: 'ether,mpls,mpls,mpls,ipv4' },
  { name: 'Ethernet over MPLS, two labels, no control word', stack: 'ether,mpls,mpls,ether' },
  { name: '802.1Q VLAN', stack: 'ether,dot1q,ipv4' },
  { name: 'QinQ (802.1ad + 802.1Q)', stack: 'ether,dot1ad,dot1q,ipv4' },
  { name: 'IPsec ESP tunnel, AES-GCM-128, over IPv4', stack: 'ether,ipv4,esp:aes-gcm-128,ipv4' },
  { name: 'IPsec ESP tunnel, AES-GCM-256, over IPv6', stack: 'ether,ipv6,esp:aes-gcm-256,ipv6' },
  { name: 'IPsec ESP tunnel, AES-CBC-128 + HMAC-SHA-256-128, over IPv4', stack: 'ether,ipv4,esp:aes-cbc-128+hmac-sha256-128,ipv4' },
  { name: 'IPsec ESP tunnel, AES-CBC-256 + HMAC-SHA-1-96, over IPv4', stack: 'ether,ipv4,esp:aes-cbc-256+hmac-sha1-96,ipv4' },
  { name: 'IPsec ESP in UDP 4500 (NAT-T), AES-GCM-128', stack: 'ether,ipv4,udp,esp:aes-gcm-128,ipv4' },
  { name: 'VXLAN over IPsec (ESP AES-GCM-128 tunnel)', stack: 'ether,ipv4,esp:aes-gcm-128,ipv4,udp,vxlan,ether' },
];

interface Row {
  name: string;
  stack: string;
  overhead: number;
  perLayer: string;
  innerMtu: number;
  requiredMtu: number;
}

function rows(): Row[] {
  return OVERHEAD_TABLE_STACKS.map(({ name, stack }) => {
    const o = encapsulationOverhead(stack, { mtu: 1500, innerMtu: 1500 });
    return {
      name,
      stack,
      overhead: o.overhead,
      // ESP pads to its block: the fixed part, then how much padding can add.
      perLayer: o.layers.map((l) => l.bytes).join(' + ') + (o.overheadMax > o.overhead ? ` (+0..${o.overheadMax - o.overhead} padding)` : ''),
      innerMtu: o.innerMtu,
      requiredMtu: o.requiredMtu,
    };
  });
}

const HEAD = ['Encapsulation', 'Stack', 'Overhead (bytes)', 'Inner MTU on a 1500 underlay', 'Underlay MTU for a 1500 inner MTU'];

/**
 * The table as Markdown (for the README) or aligned text (for the terminal). Overhead counts
 * every outer header, the outer Ethernet header included; the MTU columns follow cli.md (the
 * underlay MTU is measured above the outer link header, the inner MTU is the inner IP packet).
 */
export function overheadTable(format: 'text' | 'markdown'): string {
  const data = rows().map((r) => [r.name, r.stack, `${r.overhead} = ${r.perLayer}`, String(r.innerMtu), String(r.requiredMtu)]);
  if (format === 'markdown') {
    const lines = [
      `| ${HEAD.join(' | ')} |`,
      `| ${HEAD.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
      ...data.map((d) => `| ${d[0]} | \`${d[1]}\` | ${d.slice(2).join(' | ')} |`),
    ];
    return lines.join('\n') + '\n';
  }
  const head = ['Encapsulation', 'Stack', 'Overhead', 'Inner MTU @1500', 'Needs MTU'];
  const widths = head.map((h, i) => Math.max(h.length, ...data.map((d) => d[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...data.map(fmt)].join('\n') + '\n';
}
