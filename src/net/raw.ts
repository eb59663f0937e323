/** `raw`: bytes the frame carries as they are (payloads, padding, anything undecoded). */
import { EncodeError } from '../errors.js';
import { checkKnownFields, hexFieldBytes } from './fields.js';
import { defineProtocol, type Codec } from './types.js';

const NAMES: ReadonlySet<string> = new Set(['hex']);
const NO_VALUES = { nums: [], addrs: [] };

export const rawCodec: Codec = {
  kind: 'raw',
  names: NAMES,
  prepare(layer, index) {
    checkKnownFields(layer, index, NAMES);
    const hex = layer.hex;
    if (hex === undefined || hex === null) throw new EncodeError(index, 'raw', 'hex', 'is missing');
    const data = hexFieldBytes(layer, index, 'raw', 'hex')!;
    return { index, layer, codec: this, v: NO_VALUES, headerLength: data.length, data };
  },
  link() {},
  emit(buf, off, _end, list, i) {
    buf.set(list[i]!.data!, off);
  },
};

/** A `raw` layer: bytes as hex. */
export type RawLayer = { layer: 'raw'; hex: string };

export const rawProtocol = defineProtocol<RawLayer>({
  kind: 'raw',
  title: 'bytes as they are: payloads, padding, anything not decoded',
  layouts: [],
  fields: { hex: 'the bytes as lowercase hex' },
  codec: rawCodec,
  display: { name: 'DATA' },
});
