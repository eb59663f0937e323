/**
 * Geneve (RFC 8926): an 8-byte base header, then `optlen` 32-bit words of TLV options
 * (class, type, 5-bit length in words, data). Protocol 0x6558 carries an Ethernet frame.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import { concatBytes, type ByteWriter } from '../bytes/view.js';
import { AUTO, checkKnownFields, type LayerType, type LayoutFields, defineLayout, fieldNames, getField, putFields, readFields, shiftIn, takeFields } from './fields.js';
import { needBytes, putHeader } from './codec.js';
import { nextField } from './protocols.js';
import { KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const GENEVE = defineLayout('geneve', 8, {
  version: { bit: 0, width: 2, def: 0 },
  optlen: { bit: 2, width: 6, auto: true },
  oam: { bit: 8, width: 1, kind: 'bool', def: false },
  critical: { bit: 9, width: 1, kind: 'bool', def: false },
  reserved1: { bit: 10, width: 6, def: 0, hidden: true },
  proto: { bit: 16, width: 16, auto: true },
  vni: { bit: 32, width: 24 },
  reserved2: { bit: 56, width: 8, def: 0, hidden: true },
});

/** One option's 4-byte header; `len` (data length in words) follows from `data`. */
export const GENEVE_OPTION = defineLayout('geneve option', 4, {
  class: { bit: 0, width: 16 },
  type: { bit: 16, width: 8 },
  reserved: { bit: 24, width: 3, def: 0, hidden: true },
  len: { bit: 27, width: 5, internal: true },
});

const F = GENEVE.f;
/** Protocol type: EtherTypes, plus 0x6558 for a whole Ethernet frame (scope `geneve`). */
const NEXT = nextField(F.proto, 'ethertype', 'geneve');
const NEXT_OF_PROTO = NEXT.table.decode;
/** UDP destination port of Geneve (IANA). */
export const UDP_PORT_GENEVE = 6081;
const O = GENEVE_OPTION.f;
const OPTLEN_SHIFT = shiftIn(F.optlen, F.version.byte, 1);
const OAM_SHIFT = shiftIn(F.oam, F.oam.byte, 1);
const CRITICAL_SHIFT = shiftIn(F.critical, F.oam.byte, 1);
const VNI_SHIFT = shiftIn(F.vni, F.vni.byte, 4);
const OPTION_LEN_SHIFT = shiftIn(O.len, O.len.byte, 1);

/**
 * Fast path: write a version-0 Geneve base header at offset `off` of `out`; `optlen` words of options are
 * to follow (encodeGeneveOption); returns the offset after the base header.
 */
export function encodeGeneve(out: ByteWriter, off: number, vni: number, proto: number, optlen: number, oam: boolean, critical: boolean): number {
  const p = out.room(off, GENEVE.length);
  const d = out.view;
  d.setUint8(p + F.version.byte, optlen << OPTLEN_SHIFT); // version 0
  d.setUint8(p + F.oam.byte, ((oam ? 1 : 0) << OAM_SHIFT) | ((critical ? 1 : 0) << CRITICAL_SHIFT));
  d.setUint16(p + F.proto.byte, proto);
  d.setUint32(p + F.vni.byte, vni << VNI_SHIFT);
  return off + GENEVE.length;
}

/** Fast path: write one option (data = src[start, end), a multiple of 4 bytes) at offset `off` of `out`; returns the next offset. */
export function encodeGeneveOption(out: ByteWriter, off: number, optClass: number, type: number, src: Uint8Array, start: number, end: number): number {
  const p = out.room(off, GENEVE_OPTION.length + (end - start));
  const b = out.bytes;
  const d = out.view;
  d.setUint16(p + O.class.byte, optClass);
  d.setUint8(p + O.type.byte, type);
  d.setUint8(p + O.len.byte, ((end - start) >>> 2) << OPTION_LEN_SHIFT);
  let o = off + GENEVE_OPTION.length;
  for (let i = start; i < end; i++) b[o++] = src[i]!;
  return o;
}
const NAMES = fieldNames(GENEVE, 'options');
const OPTION_NAMES = fieldNames(GENEVE_OPTION, 'data');

/** Encode the options list into its wire bytes, checking each option. */
function encodeOptions(options: unknown, index: number): Uint8Array {
  if (options === undefined || options === null) return new Uint8Array(0);
  if (!Array.isArray(options)) throw new EncodeError(index, 'geneve', 'options', 'is not an array of {class, type, data}');
  const parts: Uint8Array[] = [];
  let total = 0;
  options.forEach((opt: unknown, k) => {
    const name = `options[${k}]`;
    if (typeof opt !== 'object' || opt === null || Array.isArray(opt)) throw new EncodeError(index, 'geneve', name, 'is not an object {class, type, data}');
    const o: Layer = { layer: 'geneve', ...(opt as Record<string, unknown>) };
    for (const key of Object.keys(opt)) {
      if (!OPTION_NAMES.has(key)) throw new EncodeError(index, 'geneve', `${name}.${key}`, 'is not a field of a geneve option');
    }
    let v;
    try {
      v = takeFields(o, index, GENEVE_OPTION);
    } catch (e) {
      if (e instanceof EncodeError) throw new EncodeError(index, 'geneve', `${name}.${e.field}`, e.reason);
      throw e;
    }
    const data = typeof o.data === 'string' ? hexToBytes(o.data) : o.data === undefined ? new Uint8Array(0) : null;
    if (!data) throw new EncodeError(index, 'geneve', `${name}.data`, 'is not an even number of hex digits');
    if (data.length % 4 !== 0 || data.length > 4 * O.len.max) {
      throw new EncodeError(index, 'geneve', `${name}.data`, `${data.length} bytes is not a multiple of 4 up to ${4 * O.len.max}`);
    }
    v.nums[O.len.index] = data.length / 4;
    const bytes = new Uint8Array(GENEVE_OPTION.length + data.length);
    putFields(bytes, 0, GENEVE_OPTION, v);
    bytes.set(data, GENEVE_OPTION.length);
    parts.push(bytes);
    total += bytes.length;
  });
  if (total / 4 > F.optlen.max) throw new EncodeError(index, 'geneve', 'options', `${total} bytes exceed the ${4 * F.optlen.max} that optlen can count`);
  return concatBytes(parts);
}

export const geneveCodec: Codec = {
  kind: 'geneve',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, GENEVE);
    const data = encodeOptions(layer.options, index);
    return { index, layer, codec: this, v, headerLength: GENEVE.length + data.length, data };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    if (p.v.nums[F.optlen.index] === AUTO) p.v.nums[F.optlen.index] = p.data!.length / 4;
    putHeader(buf, off, GENEVE, p);
  },
};

/** Check that the options area is tiled exactly by whole options (throws DecodeError). */
function checkOptions(buf: Uint8Array, start: number, end: number): void {
  for (let o = start; o < end; ) {
    if (o + GENEVE_OPTION.length > end) throw new DecodeError('geneve', o, 'option header overruns the options area');
    const next = o + GENEVE_OPTION.length + 4 * getField(buf, o, O.len);
    if (next > end) throw new DecodeError('geneve', o, `option data (${next - o - GENEVE_OPTION.length} bytes) overruns the options area`);
    o = next;
  }
}

export const dissectGeneve: Dissector = {
  scan(buf, off, st) {
    needBytes('geneve', off, GENEVE.length, st);
    const hlen = GENEVE.length + 4 * getField(buf, off, F.optlen);
    needBytes('geneve', off, hlen, st);
    checkOptions(buf, off + GENEVE.length, off + hlen);
    st.next = getField(buf, off, F.version) === 0 ? NEXT_OF_PROTO[getField(buf, off, F.proto)]! : KIND_RAW;
    return hlen;
  },
  fields(buf, off, hlen) {
    const options: Record<string, unknown>[] = [];
    for (let o = off + GENEVE.length; o < off + hlen; ) {
      const end = o + GENEVE_OPTION.length + 4 * getField(buf, o, O.len);
      const opt: Layer = { layer: '' };
      readFields(buf, o, GENEVE_OPTION, opt);
      const { layer: _drop, ...fields } = opt;
      options.push({ ...fields, data: bytesToHex(buf, o + GENEVE_OPTION.length, end) });
      o = end;
    }
    const layer: Layer = { layer: 'geneve' };
    readFields(buf, off, GENEVE, layer);
    layer.options = options;
    return layer;
  },
};

/** One Geneve option: class, type, data (hex, a multiple of 4 bytes). */
export type GeneveOption = LayoutFields<typeof GENEVE_OPTION> & { data?: string };
/** A `geneve` layer. */
export type GeneveLayer = LayerType<'geneve', typeof GENEVE, { options?: readonly GeneveOption[] }>;

export const geneveProtocol = defineProtocol<GeneveLayer>({
  kind: 'geneve',
  title: 'Geneve (RFC 8926): 8-byte base header, then TLV options',
  layouts: [GENEVE, GENEVE_OPTION],
  fields: {
    vni: 'virtual network identifier, 0..2^24-1',
    oam: 'O bit, control packet (false)',
    critical: 'C bit, critical options present (false)',
    options: '[] of {class, type, data}; data hex, a multiple of 4 bytes',
    version: 'version (0)',
    optlen: 'length of the options in 32-bit words',
    proto: 'protocol type: EtherType of the next layer, 0x6558 for Ethernet',
    reserved1: 'the 6 reserved bits after C (0; written by the decoder only when not 0)',
    reserved2: 'the 8 bits after the VNI (0; written by the decoder only when not 0)',
  },
  codec: geneveCodec,
  dissector: dissectGeneve,
  selectedBy: [{ table: 'udp.dport', value: UDP_PORT_GENEVE }],
  next: NEXT,
  display: { name: 'Geneve', info: (l) => `VNI ${String(l.vni)}${Array.isArray(l.options) && l.options.length ? ` +${l.options.length} opt` : ''}`, hex: ['proto'] },
});
