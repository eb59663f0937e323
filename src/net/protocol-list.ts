// The one list of protocols: one line per protocol file, re-exporting its descriptor
// (registry.ts derives every table from these; see CONTRIBUTING.md).
export { rawProtocol } from './raw.js';
export { etherProtocol } from './ether.js';
export { dot1qProtocol } from './dot1q.js';
export { dot1adProtocol } from './dot1ad.js';
export { arpProtocol } from './arp.js';
export { ipv4Protocol } from './ipv4.js';
export { ipv6Protocol } from './ipv6.js';
export { udpProtocol } from './udp.js';
export { icmpProtocol } from './icmp.js';
export { vxlanProtocol } from './vxlan.js';
export { greProtocol } from './gre.js';
export { mplsProtocol, pwControlWordProtocol } from './mpls.js';
export { geneveProtocol } from './geneve.js';
export { tcpProtocol } from './tcp.js';
export { ipv6hbhProtocol, ipv6destProtocol } from './ipv6opts.js';
export { ipv6rhProtocol } from './ipv6rh.js';
export { ipv6fragProtocol } from './ipv6frag.js';
export { icmpv6Protocol } from './icmpv6.js';
export { sllProtocol, sll2Protocol } from './sll.js';
export { loopbackProtocol } from './loopback.js';
export { espProtocol } from './esp/esp.js';
