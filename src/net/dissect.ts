/**
 * Bytes → layers. A loop over dissectors chosen by dispatch tables (EtherType, IP protocol, UDP
 * destination port, MPLS payload nibble): each decodes its header and names what follows.
 * Every field comes out (auto ones included), damage becomes `error` plus a trailing `raw`
 * layer, and bytes past an IP or UDP length (Ethernet padding) come out as `raw` after the
 * packet they pad, so encodeFrame(decodeFrame(b).layers) equals b for every byte string.
 */
import { DecodeError } from '../errors.js';
import { rawLayer } from './codec.js';
import type { DecodedFrame, DecodeOptions, Dissector, DissectState, Layer } from './types.js';
import { dissectEther } from './ether.js';
import { dissectDot1ad, dissectDot1q } from './dot1q.js';
import { dissectArp } from './arp.js';
import { dissectIpv4 } from './ipv4.js';
import { dissectIpv6 } from './ipv6.js';
import { dissectUdp } from './udp.js';
import { dissectIcmp } from './icmp.js';
import { dissectVxlan } from './vxlan.js';
import { dissectGre } from './gre.js';
import { dissectMpls, dissectPwControlWord, PW_CONTROL_WORD } from './mpls.js';
import { dissectGeneve } from './geneve.js';

const DISSECTORS: ReadonlyMap<string, Dissector> = new Map([
  ['ether', dissectEther],
  ['dot1q', dissectDot1q],
  ['dot1ad', dissectDot1ad],
  ['arp', dissectArp],
  ['ipv4', dissectIpv4],
  ['ipv6', dissectIpv6],
  ['udp', dissectUdp],
  ['icmp', dissectIcmp],
  ['vxlan', dissectVxlan],
  ['gre', dissectGre],
  ['mpls', dissectMpls],
  ['geneve', dissectGeneve],
  [PW_CONTROL_WORD, dissectPwControlWord],
]);

/** Decode a frame starting with Ethernet. Never throws for any bytes. */
export function decodeFrame(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedFrame {
  const layers: Layer[] = [];
  const st: DissectState = { opts, next: 'ether', end: bytes.length };
  // Ends of enclosing extents: what lies between an inner extent's end and its parent's is padding.
  const outer: number[] = [];
  let error: DecodeError | undefined;
  let off = 0;
  try {
    for (;;) {
      const dissect = off < st.end ? DISSECTORS.get(st.next) : undefined;
      if (!dissect) {
        // Payload (or nothing) up to the end of this extent, then back out to the enclosing one.
        if (off < st.end) layers.push(rawLayer(bytes, off, st.end));
        off = st.end;
        const up = outer.pop();
        if (up === undefined) break;
        st.end = up;
        st.next = '';
        continue;
      }
      const before = st.end;
      off += dissect(bytes, off, st, layers);
      if (st.end < before) outer.push(before);
      if (st.short && !error) error = st.short;
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    // A fatal error outranks a length that merely claimed too much earlier.
    error = e;
    if (off < bytes.length) layers.push(rawLayer(bytes, off, bytes.length));
  }
  return error ? { layers, error } : { layers };
}
