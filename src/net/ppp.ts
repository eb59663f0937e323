/**
 * PPP (RFC 1661) as carried by PPTP's enhanced GRE and by PPPoE: an optional HDLC-like address
 * and control pair (0xff 0x03, RFC 1662; PPPoE omits it), then the protocol field — 2 bytes, or
 * 1 byte when compressed (RFC 1661 §6.5: an odd first byte). IPv4, IPv6 and MPLS payloads are
 * decoded; LCP, IPCP and other control protocols stay `raw`.
 */
import { EncodeError } from '../errors.js';
import { checkKnownFields, defineLayout, getField, putFields, takeFields } from './fields.js';
import { needBytes } from './codec.js';
import { nextField } from './protocols.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const PPP_HDLC = defineLayout('ppp', 2, {
  address: { bit: 0, width: 8 },
  control: { bit: 8, width: 8 },
});
export const PPP = defineLayout('ppp', 2, { proto: { bit: 0, width: 16, auto: true } });
const PPP_PFC = defineLayout('ppp', 1, { proto: { bit: 0, width: 8, auto: true } });
/** IPv4 0x0021, IPv6 0x0057, MPLS 0x0281 (the `ppp` table); PPP_PFC's proto has the same index. */
const NEXT = nextField(PPP.f.proto, 'ppp');
const NEXT_OF_PPP = NEXT.table.decode;

const NAMES: ReadonlySet<string> = new Set(['proto', 'address', 'control', 'pfc']);
/** aux: [has address/control (0/1), address, control, protocol field compressed (0/1)]. */
export const pppCodec: Codec = {
  kind: 'ppp',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const hasHdlc = layer.address !== undefined || layer.control !== undefined;
    const hdlc = hasHdlc ? takeFields({ layer: 'ppp', address: layer.address ?? 0xff, control: layer.control ?? 0x03 }, index, PPP_HDLC) : undefined;
    const pfc = layer.pfc === true;
    if (layer.pfc !== undefined && typeof layer.pfc !== 'boolean') throw new EncodeError(index, 'ppp', 'pfc', 'is not a boolean');
    const v = takeFields(layer, index, pfc ? PPP_PFC : PPP);
    return {
      index,
      layer,
      codec: this,
      v,
      headerLength: (hasHdlc ? 2 : 0) + (pfc ? 1 : 2),
      aux: [hasHdlc ? 1 : 0, hdlc?.nums[0] ?? 0, hdlc?.nums[1] ?? 0, pfc ? 1 : 0],
    };
  },
  link(list, i) {
    const p = list[i]!;
    if (p.aux![3] && p.v.nums[0]! > 0xff) throw new EncodeError(i, 'ppp', 'proto', `0x${p.v.nums[0]!.toString(16)} does not fit a compressed (1-byte) protocol field`);
  },
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    const a = p.aux!;
    if (a[0]) {
      buf[off] = a[1]!;
      buf[off + 1] = a[2]!;
      off += 2;
    }
    putFields(buf, off, a[3] ? PPP_PFC : PPP, p.v);
  },
};

export const dissectPpp: Dissector = {
  scan(buf, off, st) {
    needBytes('ppp', off, 1, st);
    let o = off;
    if (buf[o] === 0xff && o + 1 < st.end && buf[o + 1] === 0x03) o += 2;
    needBytes('ppp', o, 1, st);
    if (buf[o]! & 1) {
      st.next = NEXT_OF_PPP[buf[o]!]!;
      return o + 1 - off;
    }
    needBytes('ppp', o, 2, st);
    st.next = NEXT_OF_PPP[getField(buf, o, PPP.f.proto)]!;
    return o + 2 - off;
  },
  fields(buf, off, len) {
    const layer: Layer = { layer: 'ppp' };
    let o = off;
    if (len === 4 || len === 3) {
      layer.address = buf[o]!;
      layer.control = buf[o + 1]!;
      o += 2;
    }
    if (off + len - o === 1) {
      layer.proto = buf[o]!;
      layer.pfc = true;
    } else {
      layer.proto = getField(buf, o, PPP.f.proto);
    }
    return layer;
  },
};

/** A `ppp` layer. */
export type PppLayer = { layer: 'ppp'; proto?: number; address?: number; control?: number; pfc?: boolean };

export const pppProtocol = defineProtocol<PppLayer>({
  kind: 'ppp',
  title: 'PPP (RFC 1661): optional address/control (RFC 1662), then the protocol field; in PPTP GRE (0x880b) and PPPoE',
  layouts: [PPP_HDLC, PPP],
  fields: {
    proto: 'protocol: 0x0021 IPv4, 0x0057 IPv6, 0x0281 MPLS (auto from the next layer); LCP 0xc021, IPCP 0x8021, … with a raw payload',
    address: 'HDLC-like address, 0xff (absent: no address/control pair, as in PPPoE; given with control)',
    control: 'HDLC-like control, 0x03 (with address)',
    pfc: 'true: protocol field compressed to 1 byte (RFC 1661 section 6.5; the protocol is then below 0x100)',
  },
  codec: pppCodec,
  dissector: dissectPpp,
  selectedBy: [{ table: 'ethertype', value: 0x880b, scope: 'gre' }],
  next: NEXT,
  display: { name: 'PPP', hex: ['proto'] },
});
