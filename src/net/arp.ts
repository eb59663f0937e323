/** ARP (RFC 826) and RARP (RFC 903): the 28-byte Ethernet/IPv4 packet, or any address lengths the header gives. */
import { EncodeError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { formatIpv4, formatMac, parseIpv4, parseMacInto } from '../bytes/addr.js';
import type { ByteWriter } from '../bytes/view.js';
import { checkKnownFields, defineLayout, fieldNames, type LayerType, getField, putFields, readFields, takeFields } from './fields.js';
import { needBytes, prepareFixed } from './codec.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';
import { KIND_RAW } from './kinds.js';

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
  const names = fieldNames(ARP);
  return {
    kind,
    names,
    prepare(layer, index) {
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
      if (p.layout === ARP_HEADER) {
        putFields(buf, off, ARP_HEADER, p.v);
        buf.set(p.data!, off + ARP_HEADER.length);
      } else putFields(buf, off, ARP, p.v);
    },
  };
}

function dissectArpOf(kind: 'arp' | 'rarp'): Dissector {
  return {
    scan(buf, off, st) {
      needBytes(kind, off, ARP_HEADER.length, st);
      const len = ARP_HEADER.length + 2 * (getField(buf, off, F.hwlen) + getField(buf, off, F.plen));
      needBytes(kind, off, len, st);
      st.next = KIND_RAW; // what follows is Ethernet padding
      return len;
    },
    fields(buf, off, len) {
      const layer: Layer = { layer: kind };
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
} as const;

/** An `arp` layer. */
export type ArpLayer = LayerType<'arp', typeof ARP>;

export const arpProtocol = defineProtocol<ArpLayer>({
  kind: 'arp',
  title: 'ARP (RFC 826): Ethernet/IPv4, or any address lengths the header gives',
  layouts: [ARP, ARP_HEADER],
  fields: ARP_FIELDS,
  codec: arpCodec,
  dissector: dissectArp,
  selectedBy: [{ table: 'ethertype', value: 0x0806 }],
  display: { name: 'ARP', info: (l) => (l.op === 2 ? `${String(l.psrc)} is at ${String(l.hwsrc)}` : `Who has ${String(l.pdst)}? Tell ${String(l.psrc)}`) },
});

/** A `rarp` layer (the ARP packet). */
export type RarpLayer = LayerType<'rarp', typeof ARP>;

export const rarpProtocol = defineProtocol<RarpLayer>({
  kind: 'rarp',
  title: 'RARP (RFC 903, EtherType 0x8035): the ARP packet; op 3 request, 4 reply',
  layouts: [ARP, ARP_HEADER],
  fields: ARP_FIELDS,
  codec: rarpCodec,
  dissector: dissectRarp,
  selectedBy: [{ table: 'ethertype', value: 0x8035 }],
  display: { name: 'RARP', info: (l) => (l.op === 3 ? `Who is ${String(l.hwdst)}?` : l.op === 4 ? `${String(l.hwdst)} is ${String(l.pdst)}` : undefined) },
});
