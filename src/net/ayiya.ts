/**
 * AYIYA, Anything In Anything (draft-massar-v6ops-ayiya, UDP 5072): the tunnel broker protocol
 * of SixXS. An 8-byte header — identity length as a power of two, signature length in 4-byte
 * words, hash, authentication method, opcode, next header (an IP protocol number), epoch time —
 * then the identity and the signature. A forward (opcode 1) carries the packet its next header
 * names, as Wireshark decodes it; other opcodes carry nothing it decodes.
 */
import { DecodeError, EncodeError } from '../errors.js';
import { bytesToHex } from '../bytes/hex.js';
import { checkKnownFields, hexFieldBytes, defineLayout, fieldNames, getField, readFields, takeFields, type LayerType } from './fields.js';
import { needBytes, putHeader } from './codec.js';
import { nextField } from './protocols.js';
import { KIND_RAW } from './kinds.js';
import { defineProtocol, type Codec, type Dissector, type Layer } from './types.js';

export const AYIYA = defineLayout('ayiya', 8, {
  idlen: { bit: 0, width: 4 },
  idtype: { bit: 4, width: 4, def: 1 },
  siglen: { bit: 8, width: 4 },
  hshalg: { bit: 12, width: 4, def: 2 },
  autmeth: { bit: 16, width: 4, def: 1 },
  opcode: { bit: 20, width: 4, def: 1 },
  nh: { bit: 24, width: 8, auto: true },
  epoch: { bit: 32, width: 32, def: 0 },
});

export const UDP_PORT_AYIYA = 5072;
/** Opcode forward: the payload is the packet the next header names. */
const OPCODE_FORWARD = 1;
const F = AYIYA.f;
const NEXT = nextField(F.nh, 'ipproto');
const NEXT_OF_NH = NEXT.table.decode;
const NAMES = fieldNames(AYIYA, 'identity', 'signature');

function hexField(layer: Layer, index: number, name: string): Uint8Array {
  return hexFieldBytes(layer, index, 'ayiya', name) ?? new Uint8Array(0);
}

export const ayiyaCodec: Codec = {
  kind: 'ayiya',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    if (layer.identity === undefined) throw new EncodeError(index, 'ayiya', 'identity', 'is missing');
    const identity = hexField(layer, index, 'identity');
    const signature = hexField(layer, index, 'signature');
    // Lengths follow the bytes given: 2^idlen identity bytes, siglen 4-byte words of signature.
    const idlen = Math.log2(identity.length);
    if (!Number.isInteger(idlen) || idlen > 15) throw new EncodeError(index, 'ayiya', 'identity', `${identity.length} bytes is not a power of two, 1..2^15`);
    if (signature.length % 4 !== 0 || signature.length > 60) throw new EncodeError(index, 'ayiya', 'signature', `${signature.length} bytes is not a multiple of 4 up to 60`);
    const v = takeFields({ ...layer, idlen: layer.idlen ?? idlen, siglen: layer.siglen ?? signature.length / 4 }, index, AYIYA);
    if (1 << v.nums[F.idlen.index]! !== identity.length) {
      throw new EncodeError(index, 'ayiya', 'idlen', `says 2^${v.nums[F.idlen.index]} bytes but identity has ${identity.length}`);
    }
    if (v.nums[F.siglen.index]! * 4 !== signature.length) throw new EncodeError(index, 'ayiya', 'siglen', `says ${v.nums[F.siglen.index]! * 4} bytes but signature has ${signature.length}`);
    const data = new Uint8Array(identity.length + signature.length);
    data.set(identity);
    data.set(signature, identity.length);
    return { index, layer, codec: this, v, headerLength: AYIYA.length + data.length, data };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    const p = list[i]!;
    putHeader(buf, off, AYIYA, p);
  },
};

const identityBytes = (idlen: number): number => 1 << idlen;

export const dissectAyiya: Dissector = {
  scan(buf, off, st) {
    needBytes('ayiya', off, AYIYA.length, st);
    const len = AYIYA.length + identityBytes(getField(buf, off, F.idlen)) + 4 * getField(buf, off, F.siglen);
    if (len > st.end - off) throw new DecodeError('ayiya', off, `identity and signature need ${len} bytes, ${st.end - off} left`);
    st.next = getField(buf, off, F.opcode) === OPCODE_FORWARD ? NEXT_OF_NH[getField(buf, off, F.nh)]! : KIND_RAW;
    return len;
  },
  fields(buf, off) {
    const layer: Layer = { layer: 'ayiya' };
    readFields(buf, off, AYIYA, layer);
    const id = off + AYIYA.length;
    const sig = id + identityBytes(getField(buf, off, F.idlen));
    layer.identity = bytesToHex(buf, id, sig);
    layer.signature = bytesToHex(buf, sig, sig + 4 * getField(buf, off, F.siglen));
    return layer;
  },
};

/** An `ayiya` layer. */
export type AyiyaLayer = LayerType<'ayiya', typeof AYIYA, { idlen?: number; siglen?: number; identity: string; signature?: string }>;

export const ayiyaProtocol = defineProtocol<AyiyaLayer>({
  kind: 'ayiya',
  title: 'AYIYA, Anything In Anything (draft-massar-v6ops-ayiya, UDP 5072): a forward carries the packet its next header names',
  layouts: [AYIYA],
  fields: {
    idlen: 'identity length: 2^idlen bytes (auto from identity)',
    idtype: 'identity type (1, an IPv6 address)',
    siglen: 'signature length in 4-byte words (auto from signature)',
    hshalg: 'hash method (2, SHA-1)',
    autmeth: 'authentication method (1, shared secret)',
    opcode: 'opcode (1, forward: a packet follows)',
    nh: 'next header: the IP protocol number of the payload (auto)',
    epoch: 'epoch time, seconds (0)',
    identity: 'identity, hex: 2^idlen bytes (an IPv6 address: 16)',
    signature: 'signature, hex ("")',
  },
  codec: ayiyaCodec,
  dissector: dissectAyiya,
  selectedBy: [{ table: 'udp.dport', value: UDP_PORT_AYIYA }],
  next: NEXT,
  display: { name: 'AYIYA' },
});
