/**
 * The kinds the decoder tells apart, numbered: the dissect loop, the dispatch tables and
 * DissectState.next carry these codes rather than kind names, so choosing the next dissector is
 * an array index instead of a Map lookup on a string (which cost more than the header checks).
 */

/** Internal dissector kind: the 4-byte pseudowire control word (RFC 4385), kept as `raw`. */
export const PW_CONTROL_WORD = 'pw-control-word';
/** Internal dissector kind: ERSPAN type I (no header bytes; its layer is `erspan` with `ver` 0). */
export const ERSPAN_TYPE_I = 'erspan-type-i';

/** Layer kind codes: index into DISSECTED_KINDS (0 = raw bytes: the rest is payload). */
export const DISSECTED_KINDS = ['raw', 'ether', 'dot1q', 'dot1ad', 'arp', 'ipv4', 'ipv6', 'udp', 'icmp', 'vxlan', 'gre', 'mpls', 'geneve', PW_CONTROL_WORD, 'ppp', 'pppoe', 'erspan', ERSPAN_TYPE_I, 'gtpu', 'rarp', 'vxlangpe', 'nsh'] as const;

/** The code of a kind name (throws for a name the decoder does not know: a table typo). */
export function kindCode(kind: string): number {
  const code = (DISSECTED_KINDS as readonly string[]).indexOf(kind);
  if (code < 0) throw new Error(`no dissector for kind '${kind}'`);
  return code;
}

export const KIND_RAW = 0;
export const KIND_ETHER = kindCode('ether');
export const KIND_IPV4 = kindCode('ipv4');
export const KIND_IPV6 = kindCode('ipv6');
export const KIND_MPLS = kindCode('mpls');
export const KIND_PW_CONTROL_WORD = kindCode(PW_CONTROL_WORD);
export const KIND_PPP = kindCode('ppp');
export const KIND_ERSPAN_TYPE_I = kindCode(ERSPAN_TYPE_I);
