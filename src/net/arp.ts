/** ARP (RFC 826) and RARP (RFC 903): the 28-byte Ethernet/IPv4 packet, or any address lengths the header gives. */
import { EncodeError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { formatIpv4, formatMac, parseIpv4, parseMacInto } from '../bytes/addr.js';
import { concatBytes, type ByteWriter } from '../bytes/view.js';
import { AUTO, checkKnownFields, defineLayout, fieldNames, type LayerType, getField, putFields, readFields, takeFields } from './fields.js';
import { needBytes, prepareFixed, putHeader } from './codec.js';
import { defineProtocol, type Codec, type Dissector, type Layer, type Prepared } from './types.js';
import { KIND_RAW } from './kinds.js';

/** Hardware type ATM (RFC 2225): the ATMARP layout. */
export const ARPHRD_ATM = 19;

export const ARP = defineLayout('arp', 28, {
  // Hardware/protocol type and address lengths are fixed for Ethernet/IPv4; hidden fields so a
  // crafted packet can still set them.
  hwtype: { bit: 0, width: 16, def: 1, hidden: true },
  ptype: { bit: 16, width: 16, def: 0x0800, hidden: true },
  hwlen: { bit: 32, width: 8, def: 6, hidden: true },
  plen: { bit: 40, width: 8, def: 4, hidden: true },
  op: { bit: 48, width: 16, def: 1 },
  hwsrc: { bit: 64, width: 48, kind: 'mac' },
  psrc: { bit: 112, width: 32, kind: 'ipv4' },
  hwdst: { bit: 144, width: 48, kind: 'mac', def: '00:00:00:00:00:00' },
  pdst: { bit: 192, width: 32, kind: 'ipv4' },
});

const F = ARP.f;

/** Fast path: write an Ethernet/IPv4 ARP packet at offset `off` of `out` (MACs as 6-byte arrays, addresses as 32-bit numbers); returns the end offset. */
export function encodeArp(out: ByteWriter, off: number, op: number, hwsrc: Uint8Array, psrc: number, hwdst: Uint8Array, pdst: number): number {
  const p = out.room(off, ARP.length);
  const b = out.bytes;
  const d = out.view;
  // Ethernet/IPv4: the layout's defaults for hardware/protocol type and address lengths.
  d.setUint16(p + F.hwtype.byte, F.hwtype.def as number);
  d.setUint16(p + F.ptype.byte, F.ptype.def as number);
  d.setUint8(p + F.hwlen.byte, F.hwlen.def as number);
  d.setUint8(p + F.plen.byte, F.plen.def as number);
  d.setUint16(p + F.op.byte, op);
  for (let i = 0; i < 6; i++) {
    b[off + F.hwsrc.byte + i] = hwsrc[i]!;
    b[off + F.hwdst.byte + i] = hwdst[i]!;
  }
  d.setUint32(p + F.psrc.byte, psrc);
  d.setUint32(p + F.pdst.byte, pdst);
  return off + ARP.length;
}

/** The fixed start every ARP packet shares; the addresses after it have the lengths it gives. */
export const ARP_HEADER = defineLayout('arp', 8, {
  hwtype: { bit: 0, width: 16, def: 1 },
  ptype: { bit: 16, width: 16, def: 0x0800 },
  hwlen: { bit: 32, width: 8 },
  plen: { bit: 40, width: 8 },
  op: { bit: 48, width: 16, def: 1 },
});
const ADDRESSES = ['hwsrc', 'psrc', 'hwdst', 'pdst'] as const;

/**
 * ATMARP (RFC 2225, hardware type 19) has its own fixed part: each ATM address has a
 * type-and-length byte (bit 0x40: E.164 rather than ATM Forum NSAPA; low 6 bits: length), and
 * each side has a number, a subaddress and a protocol address, in the order below.
 */
export const ATMARP = defineLayout('arp', 12, {
  hwtype: { bit: 0, width: 16, def: ARPHRD_ATM },
  ptype: { bit: 16, width: 16, def: 0x0800 },
  shtl: { bit: 32, width: 8, auto: true },
  sstl: { bit: 40, width: 8, auto: true },
  op: { bit: 48, width: 16, def: 1 },
  spln: { bit: 64, width: 8, auto: true },
  thtl: { bit: 72, width: 8, auto: true },
  tstl: { bit: 80, width: 8, auto: true },
  tpln: { bit: 88, width: 8, auto: true },
});
/** ATMARP addresses in wire order, with the field giving each one's length. */
const ATM_ADDRESSES = [
  ['hwsrc', 'shtl'],
  ['ssa', 'sstl'],
  ['psrc', 'spln'],
  ['hwdst', 'thtl'],
  ['tsa', 'tstl'],
  ['pdst', 'tpln'],
] as const;
/** The address length a type-and-length (or protocol length) byte gives. */
const atmLength = (field: string, v: number): number => (field.endsWith('ln') ? v : v & 0x3f);
const IPV4_ADDR = defineLayout('arp', 4, { a: { bit: 0, width: 32 } }).f.a;

/** An address of `n` bytes from its text: MAC (n = 6), dotted quad (n = 4) or hex. */
function addressBytes(v: unknown, n: number): Uint8Array | null {
  if (typeof v !== 'string') return null;
  const b = new Uint8Array(n);
  if (n === 6 && parseMacInto(v, b, 0)) return b;
  if (n === 4 && v.includes('.')) {
    const a = parseIpv4(v);
    if (a < 0) return null;
    new DataView(b.buffer).setUint32(0, a);
    return b;
  }
  const h = hexToBytes(v);
  return h && h.length === n ? h : null;
}

/**
 * ARP and RARP (RFC 903, EtherType 0x8035) share the packet. Ethernet/IPv4 addresses (lengths
 * 6/4) are MAC and dotted-quad text; other lengths (RFC 826 allows any) are hex of the lengths
 * the header gives, with `hwlen` and `plen` written out.
 */
function arpCodecOf(kind: 'arp' | 'rarp'): Codec {
  const names = new Set([...fieldNames(ARP), ...fieldNames(ATMARP), 'ssa', 'tsa']);
  const plainNames = fieldNames(ARP);
  return {
    kind,
    names,
    prepare(layer, index) {
      if (layer.hwtype === ARPHRD_ATM) return prepareAtmarp(this, layer, index);
      checkKnownFields(layer, index, plainNames);
      const hwlen = layer.hwlen ?? 6;
      const plen = layer.plen ?? 4;
      if (hwlen === 6 && plen === 4) return prepareFixed(layer, index, this, ARP);
      checkKnownFields(layer, index, names);
      const v = takeFields({ ...layer, hwlen, plen }, index, ARP_HEADER);
      const lens = [v.nums[2]!, v.nums[3]!, v.nums[2]!, v.nums[3]!];
      const data = new Uint8Array(lens[0]! * 2 + lens[1]! * 2);
      let o = 0;
      ADDRESSES.forEach((name, k) => {
        const b = addressBytes(layer[name], lens[k]!);
        if (!b) throw new EncodeError(index, kind, name, `is not ${k % 2 ? 'an IPv4 address or ' : 'a MAC address or '}hex of ${lens[k]} bytes (the header's ${k % 2 ? 'plen' : 'hwlen'})`);
        data.set(b, o);
        o += b.length;
      });
      return { index, layer, codec: this, v, headerLength: ARP_HEADER.length + data.length, data, layout: ARP_HEADER };
    },
    link() {},
    emit(buf, off, _end, list, i) {
      const p = list[i]!;
      if (p.layout === undefined) putFields(buf, off, ARP, p.v);
      else {
        putHeader(buf, off, p.layout!, p);
      }
    },
  };
}

function dissectArpOf(kind: 'arp' | 'rarp'): Dissector {
  return {
    scan(buf, off, st) {
      needBytes(kind, off, ARP_HEADER.length, st);
      let len = ARP_HEADER.length + 2 * (getField(buf, off, F.hwlen) + getField(buf, off, F.plen));
      if (getField(buf, off, F.hwtype) === ARPHRD_ATM) {
        needBytes(kind, off, ATMARP.length, st);
        len = ATMARP.length;
        for (const [, lenField] of ATM_ADDRESSES) len += atmLength(lenField, getField(buf, off, ATMARP.f[lenField]));
      }
      needBytes(kind, off, len, st);
      st.next = KIND_RAW; // what follows is Ethernet padding
      return len;
    },
    fields(buf, off, len) {
      const layer: Layer = { layer: kind };
      if (getField(buf, off, F.hwtype) === ARPHRD_ATM) {
        readFields(buf, off, ATMARP, layer);
        let o = off + ATMARP.length;
        const ipv4 = getField(buf, off, ATMARP.f.ptype) === 0x0800;
        for (const [name, lenField] of ATM_ADDRESSES) {
          const n = atmLength(lenField, getField(buf, off, ATMARP.f[lenField]));
          layer[name] = ipv4 && n === 4 && lenField.endsWith('ln') ? formatIpv4(getField(buf, o, IPV4_ADDR)) : bytesToHex(buf, o, o + n);
          o += n;
        }
        return layer;
      }
      const hwlen = getField(buf, off, F.hwlen);
      const plen = getField(buf, off, F.plen);
      if (hwlen === 6 && plen === 4 && len === ARP.length) {
        readFields(buf, off, ARP, layer);
        return layer;
      }
      readFields(buf, off, ARP_HEADER, layer);
      let o = off + ARP_HEADER.length;
      const ipv4 = plen === 4 && getField(buf, off, F.ptype) === 0x0800;
      for (const [k, name] of ADDRESSES.entries()) {
        const n = k % 2 ? plen : hwlen;
        // As Wireshark shows them: MAC text for 6-byte hardware, dotted quad for IPv4, else hex.
        layer[name] = k % 2 ? (ipv4 ? formatIpv4(getField(buf, o, IPV4_ADDR)) : bytesToHex(buf, o, o + n)) : n === 6 ? formatMac(buf, o) : bytesToHex(buf, o, o + n);
        o += n;
      }
      return layer;
    },
  };
}

/** ATMARP: addresses as hex (protocol addresses as IPv4 text when 4 bytes of IPv4); lengths auto from them. */
function prepareAtmarp(codec: Codec, layer: Layer, index: number): Prepared {
  const kind = layer.layer;
  checkKnownFields(layer, index, ATMARP_NAMES);
  const v = takeFields(layer, index, ATMARP);
  const parts: Uint8Array[] = [];
  for (const [name, lenField] of ATM_ADDRESSES) {
    const f = ATMARP.f[lenField];
    const text = layer[name] ?? (name === 'ssa' || name === 'tsa' || name === 'hwdst' ? '' : undefined);
    if (text === undefined) throw new EncodeError(index, kind, name, 'is missing');
    let b: Uint8Array | null = null;
    if (typeof text === 'string') b = text.includes('.') ? addressBytes(text, 4) : hexToBytes(text);
    if (!b) throw new EncodeError(index, kind, name, `${JSON.stringify(text)} is not hex${lenField.endsWith('ln') ? ' or an IPv4 address' : ''}`);
    const max = lenField.endsWith('ln') ? 0xff : 0x3f;
    if (b.length > max) throw new EncodeError(index, kind, name, `${b.length} bytes exceed the ${max} its length field holds`);
    if (v.nums[f.index] === AUTO) v.nums[f.index] = b.length;
    else if (atmLength(lenField, v.nums[f.index]!) !== b.length) throw new EncodeError(index, kind, lenField, `says ${atmLength(lenField, v.nums[f.index]!)} bytes but ${name} has ${b.length}`);
    parts.push(b);
  }
  const data = concatBytes(parts);
  return { index, layer, codec, v, headerLength: ATMARP.length + data.length, data, layout: ATMARP };
}
const ATMARP_NAMES = new Set([...fieldNames(ATMARP), ...ATM_ADDRESSES.map(([n]) => n)]);

export const arpCodec = arpCodecOf('arp');
export const rarpCodec = arpCodecOf('rarp');
export const dissectArp = dissectArpOf('arp');
export const dissectRarp = dissectArpOf('rarp');

const ARP_FIELDS = {
  op: 'operation: 1 request, 2 reply; RARP 3 request, 4 reply (1)',
  hwsrc: 'sender hardware address: MAC text when hwlen is 6, else hex of hwlen bytes',
  psrc: 'sender protocol address: IPv4 text when plen is 4 (and ptype 0x0800 for other lengths), else hex of plen bytes',
  hwdst: 'target hardware address ("00:00:00:00:00:00")',
  pdst: 'target protocol address',
  hwtype: 'hardware type (1, Ethernet; written by the decoder only when different, or with other address lengths)',
  ptype: 'protocol type (0x0800; as hwtype)',
  hwlen: 'hardware address length (6; as hwtype)',
  plen: 'protocol address length (4; as hwtype)',
  shtl: 'ATMARP (hwtype 19): sender ATM number type and length (auto: NSAPA, the length of hwsrc)',
  sstl: 'ATMARP: sender ATM subaddress type and length (auto, from ssa)',
  spln: 'ATMARP: sender protocol address length (auto, from psrc)',
  thtl: 'ATMARP: target ATM number type and length (auto, from hwdst)',
  tstl: 'ATMARP: target ATM subaddress type and length (auto, from tsa)',
  tpln: 'ATMARP: target protocol address length (auto, from pdst)',
  ssa: 'ATMARP: sender ATM subaddress, hex ("")',
  tsa: 'ATMARP: target ATM subaddress, hex ("")',
} as const;

/** An `arp` layer. */
export type ArpLayer = LayerType<'arp', typeof ARP> | LayerType<'arp', typeof ATMARP, { hwtype: 19; hwsrc: string; ssa?: string; psrc: string; hwdst?: string; tsa?: string; pdst: string }>;

export const arpProtocol = defineProtocol<ArpLayer>({
  kind: 'arp',
  title: 'ARP (RFC 826): Ethernet/IPv4, any address lengths the header gives, or ATMARP (hardware type 19, RFC 2225)',
  layouts: [ARP, ARP_HEADER, ATMARP],
  fields: ARP_FIELDS,
  codec: arpCodec,
  dissector: dissectArp,
  selectedBy: [{ table: 'ethertype', value: 0x0806 }],
  display: { name: 'ARP', info: (l) => (l.op === 2 ? `${String(l.psrc)} is at ${String(l.hwsrc)}` : `Who has ${String(l.pdst)}? Tell ${String(l.psrc)}`) },
});

/** A `rarp` layer (the ARP packet). */
export type RarpLayer = LayerType<'rarp', typeof ARP> | LayerType<'rarp', typeof ATMARP, { hwtype: 19; hwsrc: string; ssa?: string; psrc: string; hwdst?: string; tsa?: string; pdst: string }>;

export const rarpProtocol = defineProtocol<RarpLayer>({
  kind: 'rarp',
  title: 'RARP (RFC 903, EtherType 0x8035): the ARP packet; op 3 request, 4 reply',
  layouts: [ARP, ARP_HEADER, ATMARP],
  fields: ARP_FIELDS,
  codec: rarpCodec,
  dissector: dissectRarp,
  selectedBy: [{ table: 'ethertype', value: 0x8035 }],
  display: { name: 'RARP', info: (l) => (l.op === 3 ? `Who is ${String(l.hwdst)}?` : l.op === 4 ? `${String(l.hwdst)} is ${String(l.pdst)}` : undefined) },
});
