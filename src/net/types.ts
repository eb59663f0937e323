/**
 * The shapes shared by every header codec: the JSON layer object, decoded frames, and the
 * codec interface stack.ts (layers → bytes) and dissect.ts (bytes → layers) drive.
 */
import type { DecodeError } from '../errors.js';
import type { FieldValues, Layout } from './fields.js';
import type { Binding, NextField } from './protocols.js';
import type { SaInput, SaTable } from './esp/sa.js';

/** One object of the JSON layer format (../shared/spec/layers.md). */
export type Layer = { layer: string; [field: string]: unknown };

export interface DecodedFrame {
  layers: Layer[];
  /** The first thing that could not be decoded; the undecoded rest is the trailing `raw` layer. */
  error?: DecodeError;
}

export interface DecodeOptions {
  /**
   * What an MPLS bottom-of-stack label carries when it is an Ethernet pseudowire, like tshark's
   * "Decode As" (nothing in the bytes says so): `cw` = a 4-byte control word (decoded as a `raw`
   * layer) then Ethernet, `nocw` = Ethernet directly. Without it the payload is dispatched on
   * its first nibble (4 → IPv4, 6 → IPv6, else `raw`).
   */
  mplsEthernet?: 'cw' | 'nocw';
  /**
   * The capture link type (pcap LINKTYPE_*) of the frame: 1 Ethernet (the default), 101 raw IP,
   * 113 and 276 Linux cooked (sll, sll2), 0 BSD loopback, 228/229 IPv4/IPv6. Another link
   * type decodes as one `raw` layer with an error.
   */
  linkType?: number;
  /**
   * Security associations for `esp` layers: with the SA of a packet's SPI the payload is
   * decrypted, its ICV checked and the inner layers decoded. Without any, an `esp` layer
   * carries `spi`, `seq` and `data` (the protected bytes as hex).
   */
  sa?: SaInput;
}

/** What encodeFrame needs beyond the layers. */
export interface EncodeOptions {
  /** Security associations for `esp` layers, by SPI (a list in the JSON form, or an SaTable). */
  sa?: SaInput;
}

/** What codecs see of the EncodeOptions, resolved once per frame. */
export interface EncodeContext {
  readonly sa: SaTable | undefined;
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
  /**
   * Bytes this layer writes after its payload (ESP's padding, pad length, next header and ICV;
   * an Ethernet FCS); absent = 0. The layers inside end before them.
   */
  trailerLength?: number;
  /** The variable part, when the header has one (IPv4 options, Geneve options, raw bytes). */
  data?: Uint8Array;
  /** Codec-specific numbers beyond the fixed part (GRE's optional words). */
  aux?: number[];
  /** The layout used, for headers whose layout depends on a field (ICMP by type). */
  layout?: Layout;
  /** A routing header's final destination (segments left > 0): upper-layer pseudo-headers use it. */
  finalDst?: Uint8Array;
}

export interface Codec {
  readonly kind: string;
  /** Field names the layer may carry (anything else is an EncodeError). */
  readonly names: ReadonlySet<string>;
  /**
   * Part of an IP packet's header chain (IPv6 extension headers, ESP in transport mode): an
   * upper layer after it takes its pseudo-header from the ipv4/ipv6 layer before it.
   */
  readonly ipExtension?: boolean;
  /** Check a layer's fields and measure it; raises EncodeError naming index, kind and field. */
  prepare(layer: Layer, index: number, ctx?: EncodeContext): Prepared;
  /**
   * For a codec whose trailer depends on its payload's length (ESP's padding): set
   * trailerLength once the layers after it are measured (`payloadLength` = their headers and
   * trailers). Called innermost first, after every prepare.
   */
  measure?(list: readonly Prepared[], i: number, payloadLength: number): void;
  /** Resolve auto fields taken from neighbouring layers (next-protocol, MPLS S bit). */
  link(list: readonly Prepared[], i: number): void;
  /**
   * Write the layer at `off`; `end` is this layer's own end (after its trailer, if it has one).
   * Layers are written innermost first, so the payload [off + headerLength, end − trailerLength)
   * is already final when lengths, checksums, padding or encryption are computed.
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
  /**
   * Inside the packet an ICMP error quotes (RFC 792: its header and first 8 data bytes): lengths
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
  /** The layer object (every field) of a header scan() accepted with length `len`. */
  fields(buf: Uint8Array, off: number, len: number): Layer;
}

/** How `virtkit decode` shows a layer kind. */
export interface Display<L = Layer> {
  /** Short name in the stack column of the summary line (ETH/IPv4/UDP/DATA). */
  readonly name: string;
  /** The layer's `src`/`dst` are the summary's addresses: a network layer's win over a link layer's. */
  readonly addresses?: 'link' | 'network';
  /** The layer's `sport`/`dport` are the summary's ports (the last such layer's). */
  readonly ports?: boolean;
  /** What the summary line says about a layer of this kind (nothing when undefined). */
  info?(layer: L): string | undefined;
  /** Numeric fields `decode -v` shows in hex, as Wireshark does (EtherTypes, checksums). */
  readonly hex?: readonly string[];
  /**
   * What follows a layer of this kind is a packet it quotes (an ICMP error's invoking packet):
   * the summary keeps the outer addresses and ports, as tshark's does.
   */
  readonly quotes?: boolean;
}

/**
 * Everything virtkit knows about one protocol, exported by that protocol's file and listed
 * once in registry.ts, which derives every table from these (see registry.ts).
 */
/** Every field name of a layer type (of any member, when it is a union). */
export type FieldNameOf<L> = L extends unknown ? Exclude<keyof L, 'layer'> & string : never;

export interface ProtocolDescriptor<K extends string = string, L = Layer> {
  /** The `layer` name in the JSON format. */
  readonly kind: K;
  /** Never set: carries the layer's JSON type (LayerOf<K>) for the type checker. */
  readonly layerType?: L;
  /** One line: what the header is, with its defining document. */
  readonly title: string;
  /** The fixed parts of the header, as described once (more than one when a field selects the layout, as ICMP's type does). */
  readonly layouts: readonly Layout[];
  /** One line for every JSON field the layer accepts (layout fields and variable parts such as `options`). */
  readonly fields: Readonly<Record<FieldNameOf<L>, string>>;
  /** Layers → bytes. Absent for a decoder-internal kind, whose bytes come out as `raw`. */
  readonly codec?: Codec;
  /** Bytes → layers. Absent for an encode-only kind. */
  readonly dissector?: Dissector;
  /** The numbers that select this protocol in the next-protocol tables of the layers before it. */
  readonly selectedBy?: readonly Binding[];
  /** The capture link type (pcap LINKTYPE_*) whose frames start with this layer. */
  readonly linkType?: number;
  /** The header's auto next-protocol field and its table (filled from the following layer's kind). */
  readonly next?: NextField;
  readonly display: Display<L>;
}

/**
 * A protocol's descriptor, checked against its layer type L (LayerType in fields.ts): every
 * field described, `display.info` typed. K is L's kind (give it for a decoder-internal kind,
 * whose L is never).
 */
export function defineProtocol<L extends { layer: string }, K extends string = L['layer']>(d: ProtocolDescriptor<K, L>): ProtocolDescriptor<K, L> {
  return d;
}
