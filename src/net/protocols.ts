/**
 * Next-protocol numbers: what the encoder fills into auto next-protocol fields (from the kind
 * of the following layer) and what the decoder dispatches on. Both directions come from these
 * tables.
 */
import { EncodeError } from '../errors.js';
import { AUTO } from './fields.js';
import type { Prepared } from './types.js';
import { kindCode } from './kinds.js';

/** EtherType of each layer kind (ether.type, dot1q.type, dot1ad.type). */
export const ETHERTYPE_OF: Readonly<Record<string, number>> = {
  ipv4: 0x0800,
  arp: 0x0806,
  dot1q: 0x8100,
  dot1ad: 0x88a8,
  ipv6: 0x86dd,
  mpls: 0x8847,
  pppoe: 0x8864,
  rarp: 0x8035,
  nsh: 0x894f,
};

/** Tunnel protocol type (gre.proto, geneve.proto): EtherTypes plus 0x6558 for a whole Ethernet frame. */
export const TUNNEL_TYPE_OF: Readonly<Record<string, number>> = { ...ETHERTYPE_OF, ether: 0x6558, ppp: 0x880b };

/** IP protocol / IPv6 next header of each layer kind. */
export const IPPROTO_OF: Readonly<Record<string, number>> = { icmp: 1, ipv4: 4, udp: 17, ipv6: 41, gre: 47 };

/** Decoder dispatch on EtherType (and tunnel protocol type). 0x9100 is the pre-standard S-tag TPID, 0x8848 MPLS multicast. */
export const KIND_OF_ETHERTYPE: ReadonlyMap<number, string> = new Map([
  [0x0800, 'ipv4'],
  [0x0806, 'arp'],
  [0x8100, 'dot1q'],
  [0x88a8, 'dot1ad'],
  [0x9100, 'dot1ad'],
  [0x86dd, 'ipv6'],
  [0x8847, 'mpls'],
  [0x8848, 'mpls'],
  [0x6558, 'ether'],
  [0x8864, 'pppoe'],
  [0x8035, 'rarp'],
  [0x894f, 'nsh'],
]);

/**
 * GRE protocol types that only GRE carries: ERSPAN type II (0x88be with a sequence number;
 * without one it is type I, which gre.ts decides) and type III (0x22eb).
 */
export const KIND_OF_GRE_ONLY: ReadonlyMap<number, string> = new Map([
  [0x88be, 'erspan'],
  [0x22eb, 'erspan'],
]);

/** GRE version 1 (PPTP) protocol types. */
export const KIND_OF_GRE_V1: ReadonlyMap<number, string> = new Map([[0x880b, 'ppp']]);

/** PPP protocol field (RFC 1661; IANA PPP DLL protocol numbers) of each layer kind. */
export const PPP_PROTO_OF: Readonly<Record<string, number>> = { ipv4: 0x0021, ipv6: 0x0057, mpls: 0x0281 };
export const KIND_OF_PPP_PROTO: ReadonlyMap<number, string> = new Map([
  [0x0021, 'ipv4'],
  [0x0057, 'ipv6'],
  [0x0281, 'mpls'],
]);

/** Next protocol of VXLAN-GPE and NSH (the same registry, draft-ietf-nvo3-vxlan-gpe / RFC 8300). */
export const GPE_PROTO_OF: Readonly<Record<string, number>> = { ipv4: 1, ipv6: 2, ether: 3, nsh: 4, mpls: 5 };
export const KIND_OF_GPE_PROTO: ReadonlyMap<number, string> = new Map(Object.entries(GPE_PROTO_OF).map(([k, n]) => [n, k]));

/** Decoder dispatch on IP protocol / IPv6 next header. */
export const KIND_OF_IPPROTO: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'],
  [4, 'ipv4'],
  [17, 'udp'],
  [41, 'ipv6'],
  [47, 'gre'],
]);

export const UDP_PORT_VXLAN = 4789;
export const UDP_PORT_GENEVE = 6081;
/** MPLS-in-UDP (RFC 7510); Wireshark decodes it by this port too. */
export const UDP_PORT_MPLS = 6635;
/** GTP-U (3GPP TS 29.281), GRE-in-UDP (RFC 8086), VXLAN-GPE. */
export const UDP_PORT_GTPU = 2152;
export const UDP_PORT_GRE = 4754;
export const UDP_PORT_VXLAN_GPE = 4790;

/** Decoder dispatch on UDP destination port. */
export const KIND_OF_UDP_PORT: ReadonlyMap<number, string> = new Map([
  [UDP_PORT_VXLAN, 'vxlan'],
  [UDP_PORT_GENEVE, 'geneve'],
  [UDP_PORT_MPLS, 'mpls'],
  [UDP_PORT_GTPU, 'gtpu'],
  [UDP_PORT_GRE, 'gre'],
  [UDP_PORT_VXLAN_GPE, 'vxlangpe'],
]);

/**
 * Resolve an auto next-protocol field of list[i] from the kind of list[i+1]. When the next
 * layer does not determine it (raw, none, or a kind the table lacks), leaving it out is an
 * error, not a guess (layers.md).
 */
export function linkNext(list: readonly Prepared[], i: number, fieldIndex: number, field: string, table: Readonly<Record<string, number>>): void {
  const p = list[i]!;
  if (p.v.nums[fieldIndex] !== AUTO) return;
  const next = list[i + 1];
  const value = next ? table[next.codec.kind] : undefined;
  if (value === undefined) {
    const what = next ? `a '${next.codec.kind}' layer follows` : 'no layer follows';
    throw new EncodeError(i, p.codec.kind, field, `cannot be derived (${what}); give it explicitly`);
  }
  p.v.nums[fieldIndex] = value;
}

/** A dispatch table as an array indexed by the number: kind codes (kinds.ts), 0 = raw payload. */
function dispatchArray(size: number, kinds: ReadonlyMap<number, string>): Uint8Array {
  const table = new Uint8Array(size);
  for (const [n, kind] of kinds) table[n] = kindCode(kind);
  return table;
}

/** KIND_OF_ETHERTYPE, KIND_OF_IPPROTO and KIND_OF_UDP_PORT as arrays of kind codes (what the dissectors index). */
export const NEXT_OF_ETHERTYPE = dispatchArray(0x10000, KIND_OF_ETHERTYPE);
export const NEXT_OF_IPPROTO = dispatchArray(0x100, KIND_OF_IPPROTO);
export const NEXT_OF_UDP_PORT = dispatchArray(0x10000, KIND_OF_UDP_PORT);
/** What GRE version 0 dispatches on: EtherTypes plus its own (ERSPAN). */
export const NEXT_OF_GRE = dispatchArray(0x10000, new Map([...KIND_OF_ETHERTYPE, ...KIND_OF_GRE_ONLY]));
export const NEXT_OF_GRE_V1 = dispatchArray(0x10000, KIND_OF_GRE_V1);
export const NEXT_OF_PPP = dispatchArray(0x10000, KIND_OF_PPP_PROTO);
export const NEXT_OF_GPE = dispatchArray(0x100, KIND_OF_GPE_PROTO);
