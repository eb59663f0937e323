/**
 * The shapes shared by every header codec: the JSON layer object, decoded frames, and the
 * codec interface stack.ts (layers → bytes) and dissect.ts (bytes → layers) drive.
 */
import type { DecodeError } from '../errors.js';
import type { FieldValues, Layout } from './fields.js';

/** One object of the JSON layer format (../shared/spec/layers.md). */
export type Layer = { layer: string; [field: string]: unknown };

export interface DecodedFrame {
  layers: Layer[];
  /** The first thing that could not be decoded; the undecoded rest is the trailing `raw` layer. */
  error?: DecodeError;
  /**
   * Something decoded as Wireshark does though the bytes do not say it outright (an IP length
   * of 0 in a TSO/GSO capture, taken as the rest of the frame). Not damage.
   */
  note?: string;
}

export interface DecodeOptions {
  /**
   * What an MPLS bottom-of-stack label carries when it is an Ethernet pseudowire, like tshark's
   * "Decode As" (nothing in the bytes says so): `cw` = a 4-byte control word (decoded as a `raw`
   * layer) then Ethernet, `nocw` = Ethernet directly. Without it the payload is dispatched on
   * its first nibble (4 → IPv4, 6 → IPv6, else `raw`).
   */
  mplsEthernet?: 'cw' | 'nocw';
}

/** A layer checked and measured by its codec, ready to be written. */
export interface Prepared {
  readonly index: number;
  readonly layer: Layer;
  readonly codec: Codec;
  /** Fixed-part field values (AUTO where the encoder must compute them). */
  readonly v: FieldValues;
  /** Bytes this layer writes before its payload (the whole layer for `raw`). */
  headerLength: number;
  /** The variable part, when the header has one (IPv4 options, Geneve options, raw bytes). */
  data?: Uint8Array;
  /** Codec-specific numbers beyond the fixed part (GRE's optional words). */
  aux?: number[];
  /** The layout used, for headers whose layout depends on a field (ICMP by type). */
  layout?: Layout;
}

export interface Codec {
  readonly kind: string;
  /** Field names the layer may carry (anything else is an EncodeError). */
  readonly names: ReadonlySet<string>;
  /** Check a layer's fields and measure it; raises EncodeError naming index, kind and field. */
  prepare(layer: Layer, index: number): Prepared;
  /** Resolve auto fields taken from neighbouring layers (next-protocol, MPLS S bit). */
  link(list: readonly Prepared[], i: number): void;
  /**
   * Write the layer at `off`. Layers are written innermost first, so the payload
   * [off + headerLength, end) is already final when lengths and checksums are computed.
   */
  emit(buf: Uint8Array, off: number, end: number, list: readonly Prepared[], i: number): void;
}

/** What a header dissector tells the dissect loop. */
export interface DissectState {
  readonly opts: DecodeOptions;
  /** Kind code (kinds.ts) to decode next (KIND_RAW = the rest is payload, a `raw` layer). */
  next: number;
  /** End of the current protocol's extent (an IP total length or UDP length can shorten it). */
  end: number;
  /** Set by a dissector that found a length claiming more bytes than exist (reported, not fatal). */
  short?: DecodeError;
  /** The first note of the frame (DecodedFrame.note). */
  note?: string;
  /**
   * Inside the packet an ICMP error quotes (RFC 792: its header and first 8 data bytes), or an
   * IPv4 first fragment (offset 0, more fragments): lengths
   * claiming more than the quote are expected, and a header cut short ends the quote as `raw`
   * without an error.
   */
  quoted?: boolean;
}

/**
 * A header dissector in two steps, so a zero-copy scan (view.ts) and the full decoder share
 * every check and every dispatch decision.
 */
export interface Dissector {
  /**
   * Check the header at `off` (bytes up to `st.end` belong to it), name what follows in
   * `st.next` (a kind code), narrow `st.end` to a length field's claim, return the header length. Raises
   * DecodeError when the bytes cannot be this header; reads nothing past `st.end`.
   */
  scan(buf: Uint8Array, off: number, st: DissectState): number;
  /**
   * For a protocol chosen by a well-known port rather than by a type field, whether the bytes at
   * `off` are this protocol at all (as Wireshark's dissectors decline a packet): when not, the
   * rest is payload (`raw`), not damage. Absent: always.
   */
  accepts?(buf: Uint8Array, off: number, st: DissectState): boolean;
  /** The layer object (every field) of a header scan() accepted with length `len`. */
  fields(buf: Uint8Array, off: number, len: number): Layer;
}
