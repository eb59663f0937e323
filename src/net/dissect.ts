/**
 * Bytes → layers. One scan loop over dissectors chosen by dispatch tables (EtherType, IP
 * protocol, UDP destination port, MPLS payload nibble) records each layer's kind, start and
 * length in a LayerTable; decodeFrame then turns the table into layer objects, and FrameView
 * (view.ts) reads fields straight from the bytes instead. Damage becomes `error` plus a trailing
 * `raw` layer, and bytes past an IP or UDP length (Ethernet padding) come out as `raw` after
 * the packet they pad, so encodeFrame(decodeFrame(b).layers) equals b for every byte string.
 */
import { DecodeError } from '../errors.js';
import { rawLayer } from './codec.js';
import type { DecodedFrame, DecodeOptions, Dissector, DissectState, Layer } from './types.js';
import { dissectEther } from './ether.js';
import { dissectDot1q } from './dot1q.js';
import { dissectDot1ad } from './dot1ad.js';
import { dissectArp } from './arp.js';
import { dissectIpv4 } from './ipv4.js';
import { dissectIpv6 } from './ipv6.js';
import { dissectUdp } from './udp.js';
import { dissectIcmp } from './icmp.js';
import { dissectVxlan } from './vxlan.js';
import { dissectGre } from './gre.js';
import { dissectMpls, dissectPwControlWord } from './mpls.js';
import { dissectGeneve } from './geneve.js';
import { dissectEsp, openEspPacket } from './esp/esp.js';
import { NEXT_OF_IPPROTO } from './protocols.js';
import { DISSECTED_KINDS, KIND_ESP, KIND_ETHER, KIND_RAW } from './kinds.js';

export { DISSECTED_KINDS, KIND_RAW };

/** The dissector of each kind code (DISSECTED_KINDS order). */
const DISSECTORS: readonly (Dissector | undefined)[] = [
  undefined,
  dissectEther,
  dissectDot1q,
  dissectDot1ad,
  dissectArp,
  dissectIpv4,
  dissectIpv6,
  dissectUdp,
  dissectIcmp,
  dissectVxlan,
  dissectGre,
  dissectMpls,
  dissectGeneve,
  dissectPwControlWord,
  dissectEsp,
];

if (DISSECTORS.length !== DISSECTED_KINDS.length) throw new Error('a dissected kind has no dissector');

/** Where each layer of a frame lies: parallel typed arrays, reusable from frame to frame. */
export class LayerTable {
  count = 0;
  kind = new Uint8Array(16);
  start = new Int32Array(16);
  length = new Int32Array(16);
  error: DecodeError | undefined = undefined;
  /** Scratch for scanFrame: ends of the enclosing extents (a stack). */
  outer = new Int32Array(16);

  push(kind: number, start: number, length: number): void {
    if (this.count === this.kind.length) {
      const grow = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.kind = grow(this.kind, (n) => new Uint8Array(n));
      this.start = grow(this.start, (n) => new Int32Array(n));
      this.length = grow(this.length, (n) => new Int32Array(n));
    }
    this.kind[this.count] = kind;
    this.start[this.count] = start;
    this.length[this.count] = length;
    this.count++;
  }
}

/**
 * Scan bytes[0, end) as a frame starting with Ethernet into `table` (cleared first). Never
 * throws for any bytes: damage is table.error and a final raw entry.
 */
export function scanFrame(bytes: Uint8Array, end: number, opts: DecodeOptions, table: LayerTable, st: DissectState = { opts, next: KIND_RAW, end }, first = KIND_ETHER): void {
  table.count = 0;
  table.error = undefined;
  st.next = first;
  st.end = Math.min(end, bytes.length);
  st.short = undefined;
  st.quoted = false;
  end = st.end;
  // Ends of enclosing extents: what lies between an inner extent's end and its parent's is padding.
  let depth = 0;
  let off = 0;
  for (;;) {
    const code = off < st.end ? st.next : KIND_RAW;
    if (code === KIND_RAW) {
      // Payload (or nothing) up to the end of this extent, then back out to the enclosing one.
      if (off < st.end) table.push(KIND_RAW, off, st.end - off);
      off = st.end;
      if (depth === 0) break;
      st.end = table.outer[--depth]!;
      st.next = KIND_RAW;
      continue;
    }
    const before = st.end;
    let len: number;
    try {
      len = DISSECTORS[code]!.scan(bytes, off, st);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      if (st.quoted) {
        // An ICMP error's quote ends where its bytes do: the rest of it is raw, not damage.
        st.next = KIND_RAW;
        continue;
      }
      // A fatal error outranks a length that merely claimed too much earlier.
      table.error = e;
      if (off < end) table.push(KIND_RAW, off, end - off);
      return;
    }
    table.push(code, off, len);
    off += len;
    if (st.end < before) {
      if (depth === table.outer.length) {
        const grown = new Int32Array(depth * 2);
        grown.set(table.outer);
        table.outer = grown;
      }
      table.outer[depth++] = before;
    }
    if (st.short && !table.error) table.error = st.short;
  }
}

const scratch = new LayerTable();

/**
 * Turn a scanned table into layer objects, appended to `layers`. With SAs in `opts`, an `esp`
 * entry is opened (decrypted, checked) and its payload decoded in turn from the kind its next
 * header names. Returns the first error (table, ESP, inner), offsets counted in the frame
 * (`shift` = where bytes[0] lies in it).
 */
function tableLayers(bytes: Uint8Array, table: LayerTable, opts: DecodeOptions, layers: Layer[], shift: number): DecodeError | undefined {
  let error = table.error && shift !== 0 ? new DecodeError(table.error.layer, table.error.offset + shift, table.error.reason) : table.error;
  const count = table.count;
  const kinds = table.kind.slice(0, count);
  const starts = table.start.slice(0, count);
  const lengths = table.length.slice(0, count);
  for (let i = 0; i < count; i++) {
    const start = starts[i]!;
    const len = lengths[i]!;
    const kind = kinds[i]!;
    if (kind === KIND_ESP && opts.sa !== undefined) {
      const opened = openEspPacket(bytes, start, start + len, opts);
      layers.push(opened.layer);
      if (opened.error && !error) error = shift ? new DecodeError(opened.error.layer, opened.error.offset + shift, opened.error.reason) : opened.error;
      if (opened.payload && opened.payload.length > 0) {
        const inner = new LayerTable();
        const first = opened.nh === 59 ? KIND_RAW : NEXT_OF_IPPROTO[opened.nh!]!;
        scanFrame(opened.payload, opened.payload.length, opts, inner, undefined, first);
        const innerError = tableLayers(opened.payload, inner, opts, layers, shift + opened.payloadAt!);
        error ??= innerError;
      }
      continue;
    }
    const d = DISSECTORS[kind];
    layers.push(d ? d.fields(bytes, start, len) : rawLayer(bytes, start, start + len));
  }
  return error;
}

/** Decode a frame starting with Ethernet into layer objects (every field). Never throws for any bytes. */
export function decodeFrame(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedFrame {
  scanFrame(bytes, bytes.length, opts, scratch);
  const layers: Layer[] = [];
  const error = tableLayers(bytes, scratch, opts, layers, 0);
  return error ? { layers, error } : { layers };
}
