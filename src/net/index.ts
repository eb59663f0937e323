// Re-exports only: the packet codecs' public surface.
// - Layers: encodeFrame / encodeFrameInto / encodedLength / decodeFrame (JSON layer format, checked).
// - Fast path: encodeVxlanFrame (range-checked), FrameView (zero-copy decode).
// - Building blocks: encodeEther, encodeIpv4, … write one header at an offset of a ByteWriter
//   (a byte array with its long-lived DataView: writerFor(bytes)) from numeric arguments. They
//   check that the header fits the buffer, not value ranges (values must fit their fields: see
//   the layout tables).
export type { Layer, DecodedFrame, DecodeOptions } from './types.js';
export { encodeFrame, encodeFrameInto, encodedLength } from './stack.js';
export { BufferTooSmallError, ByteWriter, writerFor } from '../bytes/view.js';
export { decodeFrame, firstKind, linkTypeMismatch, LINKTYPE_RAW, LINKTYPES_DECODED } from './dissect.js';
export { linkTypeOfKind } from './registry.js';
export { internetChecksum, onesSum, onesSumOf, foldSum, copyWithSum } from '../bytes/checksum.js';
export { parseMac, formatMac, parseIpv4, formatIpv4, parseIpv6, formatIpv6 } from '../bytes/addr.js';
export { bytesToHex, hexToBytes } from '../bytes/hex.js';
export { ETHER, encodeEther } from './ether.js';
export { VLAN_TAG, encodeVlanTag } from './dot1q.js';
export { ARP, encodeArp } from './arp.js';
export { IPV4, IPV4_DF, IPV4_MF, IPV4_FLAGS_SHIFT, encodeIpv4 } from './ipv4.js';
export { IPV6, encodeIpv6 } from './ipv6.js';
export { UDP, encodeUdp, udpChecksumIpv4, udpChecksumIpv4Of, udpChecksumIpv6 } from './udp.js';
export { ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_OTHER, encodeIcmp, icmpChecksum } from './icmp.js';
export { VXLAN, VXLAN_FLAG_I, encodeVxlan } from './vxlan.js';
export { GRE, GRE_CHECKSUM, GRE_KEY, GRE_SEQ, GRE_C, GRE_K, GRE_S, encodeGre, greChecksum } from './gre.js';
export { MPLS, encodeMpls } from './mpls.js';
export { GENEVE, GENEVE_OPTION, encodeGeneve, encodeGeneveOption } from './geneve.js';
export { ETHERTYPE_OF, IPPROTO_OF, PROTOCOLS, protocolOf, KNOWN_KINDS, type KindName, type AnyLayer, type LayerOf } from './registry.js';
export type { CheckedLayer, CheckedLayers } from './stack.js';
export { UDP_PORT_VXLAN } from './vxlan.js';
export { UDP_PORT_GENEVE } from './geneve.js';
export type { ProtocolDescriptor, Display } from './types.js';
export { encodeVxlanFrame, vxlanFrameLayers, vxlanFrameLength, VXLAN_IPV4_OVERHEAD, type VxlanFrameParams } from './fast.js';
export { FrameView } from './view.js';
export { getField, setField, shiftIn, type Field, type Layout } from './fields.js';
// ESP: security associations (JSON form, Wireshark esp_sa files) and the cipher suites.
export type { EncodeOptions } from './types.js';
export { SaTable, SaError, compileSa, toSaTable, parseSaText, parseEspSaFile, formatEspSaFile, type SecurityAssociation, type SaInput, type CompiledSa } from './esp/sa.js';
export { CIPHER_SUITES, AUTH_SUITES, ESP_CIPHERS, ESP_AUTHS, minimalPadLength, type EspCipher, type EspAuth, type CipherSuite } from './esp/suites.js';
export { ESP, ESP_NH_NONE, IPPROTO_ESP, UDP_PORT_NAT_T } from './esp/esp.js';
