// Re-exports only: the packet codecs' public surface.
export type { Layer, DecodedFrame, DecodeOptions } from './types.js';
export { encodeFrame, encodeFrameInto, encodedLength, BufferTooSmallError } from './stack.js';
export { decodeFrame } from './dissect.js';
export { internetChecksum, onesSum, foldSum } from '../bytes/checksum.js';
export { parseMac, formatMac, parseIpv4, formatIpv4, parseIpv6, formatIpv6 } from '../bytes/addr.js';
export { bytesToHex, hexToBytes } from '../bytes/hex.js';
export { ETHER, encodeEther } from './ether.js';
export { VLAN_TAG, encodeVlanTag } from './dot1q.js';
export { ARP } from './arp.js';
export { IPV4, IPV4_DF, IPV4_MF, encodeIpv4 } from './ipv4.js';
export { IPV6 } from './ipv6.js';
export { UDP, encodeUdp, udpChecksumIpv4 } from './udp.js';
export { ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_OTHER } from './icmp.js';
export { VXLAN, VXLAN_FLAG_I, encodeVxlan } from './vxlan.js';
export { GRE, GRE_CHECKSUM, GRE_KEY, GRE_SEQ } from './gre.js';
export { MPLS, encodeMpls } from './mpls.js';
export { GENEVE, GENEVE_OPTION } from './geneve.js';
export { ETHERTYPE_OF, IPPROTO_OF, UDP_PORT_VXLAN, UDP_PORT_GENEVE } from './protocols.js';
