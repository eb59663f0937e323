/**
 * PIM (RFC 7761, IP protocol 103): a 4-byte header — version, type, reserved, checksum. A
 * Register (type 1) adds a 4-byte word with the Border and Null-Register bits and carries the
 * multicast data packet it registers (IPv4 or IPv6, by its version nibble), as Wireshark
 * decodes it; the body of every other type stays `raw`. The checksum covers the whole message,
 * except for a Register: only its first 8 bytes (RFC 7761 §4.9); over IPv6 the pseudo-header
 * too.
 */
import { EncodeError } from '../errors.js';
import { foldSum, onesSum } from '../bytes/checksum.js';
import { AUTO, checkKnownFields, defineLayout, fieldNames, getField, putFields, readFields, setField, takeFields, type LayerType } from './fields.js';
import { needBytes } from './codec.js';
import { KIND, KIND_RAW } from './kinds.js';
import { pseudoHeaderLayer, pseudoHeaderSum } from './pseudo.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const PIM = defineLayout('pim', 4, {
  version: { bit: 0, width: 4, def: 2 },
  type: { bit: 4, width: 4 },
  reserved: { bit: 8, width: 8, def: 0, hidden: true },
  chksum: { bit: 16, width: 16, auto: true },
});
/** The word after a Register's header. */
export const PIM_REGISTER = defineLayout('pim', 4, {
  border: { bit: 0, width: 1, def: 0 },
  null: { bit: 1, width: 1, def: 0 },
  reserved2: { bit: 2, width: 30, def: 0, hidden: true },
});

export const IPPROTO_PIM = 103;
const PIM_TYPE_REGISTER = 1;
const F = PIM.f;
const NAMES = fieldNames(PIM, ...fieldNames(PIM_REGISTER));
const REGISTER_NAMES = [...fieldNames(PIM_REGISTER)];

export const pimCodec: Codec = {
  kind: 'pim',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const v = takeFields(layer, index, PIM);
    const register = v.nums[F.type.index] === PIM_TYPE_REGISTER;
    if (!register) {
      const given = REGISTER_NAMES.find((n) => layer[n] !== undefined);
      if (given) throw new EncodeError(index, 'pim', given, 'is only present in a Register (type 1)');
    }
    const aux = register ? takeFields(layer, index, PIM_REGISTER).nums : undefined;
    return { index, layer, codec: this, v, headerLength: PIM.length + (register ? PIM_REGISTER.length : 0), aux };
  },
  link() {},
  emit(buf, off, end, list, i) {
    const p = list[i]!;
    const auto = p.v.nums[F.chksum.index] === AUTO;
    if (auto) p.v.nums[F.chksum.index] = 0;
    putFields(buf, off, PIM, p.v);
    if (p.aux) putFields(buf, off + PIM.length, PIM_REGISTER, { nums: p.aux, addrs: [] });
    if (auto) {
      const stop = p.aux ? off + p.headerLength : end;
      const ip = pseudoHeaderLayer(list, i);
      const pseudo = ip?.codec.kind === 'ipv6' ? pseudoHeaderSum(list, i, ip, IPPROTO_PIM, end - off) : 0;
      setField(buf, off, F.chksum, ~foldSum(onesSum(buf, off, stop, pseudo)) & 0xffff);
    }
  },
};

export const dissectPim: Dissector = {
  scan(buf, off, st) {
    needBytes('pim', off, PIM.length, st);
    if (getField(buf, off, F.type) !== PIM_TYPE_REGISTER) {
      st.next = KIND_RAW;
      return PIM.length;
    }
    needBytes('pim', off, PIM.length + PIM_REGISTER.length, st);
    const at = off + PIM.length + PIM_REGISTER.length;
    const nibble = at < st.end ? buf[at]! >>> 4 : 0;
    st.next = nibble === 4 ? KIND.ipv4 : nibble === 6 ? KIND.ipv6 : KIND_RAW;
    return PIM.length + PIM_REGISTER.length;
  },
  fields(buf, off, len) {
    const layer: Layer = { layer: 'pim' };
    readFields(buf, off, PIM, layer);
    if (len > PIM.length) readFields(buf, off + PIM.length, PIM_REGISTER, layer);
    return layer;
  },
};

/** A `pim` layer. */
export type PimLayer = LayerType<'pim', typeof PIM, { border?: number; null?: number; reserved2?: number }>;

export const pimProtocol = defineProtocol<PimLayer>({
  kind: 'pim',
  title: 'PIM (RFC 7761, IP protocol 103): a Register carries the data packet it registers; other types\' bodies are raw',
  layouts: [PIM, PIM_REGISTER],
  fields: {
    type: 'message type: 0 Hello, 1 Register, 2 Register-Stop, 3 Join/Prune, …',
    version: 'version (2)',
    reserved: 'the byte after the type (0; written by the decoder only when not 0)',
    chksum: 'checksum (auto: the whole message, a Register\'s first 8 bytes; with the IPv6 pseudo-header over IPv6)',
    border: 'Register: Border bit (0)',
    null: 'Register: Null-Register bit (0)',
    reserved2: 'Register: the 30 bits after N (0; written by the decoder only when not 0)',
  },
  codec: pimCodec,
  dissector: dissectPim,
  selectedBy: [{ table: 'ipproto', value: IPPROTO_PIM }],
  display: { name: 'PIM' },
});
