/**
 * The protocol registry. Every protocol is ONE descriptor (ProtocolDescriptor in types.ts),
 * exported by that protocol's file and re-exported by one line of protocol-list.ts; everything
 * that used to be listed by hand is derived here from that one list:
 *   - kind codes (KIND, KIND_NAMES in kinds.ts; raw is 0), the dissector of each code, the codec
 *     of each `layer` name, the kinds that exist (for error messages), decode's display names;
 *   - both directions of every next-protocol table (protocols.ts: EtherType, IP protocol, UDP
 *     port), from the bindings each descriptor declares in `selectedBy`.
 *
 * The descriptor API (what a protocol file exports):
 *   kind        the `layer` name; a literal, so KindName and LayerOf<K> know it
 *   title       one line: what the header is, and its RFC/standard
 *   layouts     its fixed part(s) described once with defineLayout (fields.ts): bit offset,
 *               width, kind, default, auto — the encoder, decoder, range checks, fast paths and
 *               the field reference all read these
 *   fields      one line for every JSON field the layer accepts (checked against codec.names)
 *   codec       prepare (check + measure: headerLength, trailerLength), link (auto fields that
 *               depend on neighbours other than the next-protocol field), emit (write at `off`;
 *               `end` is the layer's own end, after its trailer; layers are written innermost
 *               first, so the payload is final when lengths, checksums or ciphertext are made)
 *   dissector   scan (check the header, set st.next to a kind code — from a NextTable's `decode`
 *               array or KIND.x — narrow st.end to a length field, return the header length)
 *               and fields (the layer object); never throw anything but DecodeError
 *   selectedBy  bindings: { table: 'ethertype' | 'ipproto' | 'udp.dport', value, direction?:
 *               'both' | 'decode' (an alias the decoder accepts, e.g. 0x9100) | 'encode',
 *               scope?: a scope or a list of them, e.g. ['gre', 'geneve'] (0x6558 → ether
 *               only where the parent's NextField has one of those scopes) }
 *   next        nextField(layout field, table, scope?): the auto next-protocol field; the
 *               encoder fills it from the following layer's binding (stack.ts), and the
 *               dissector reads `next.table.decode`
 *   display     how `virtkit decode` shows it: short name, addresses/ports roles, summary info,
 *               fields shown in hex
 * A descriptor without a codec is decoder-internal: its bytes come out as a `raw` layer (the
 * pseudowire control word).
 */
import * as LISTED from './protocol-list.js';
import { KIND, KIND_NAMES } from './kinds.js';
import { installBindings, nextTable } from './protocols.js';
import type { Codec, Dissector, ProtocolDescriptor } from './types.js';

type Listed = (typeof LISTED)[keyof typeof LISTED];

/** Every kind name a descriptor declares (the `layer` names, plus internal dissector kinds). */
export type KindName = Listed['kind'];

type LayerOfDescriptor<D> = D extends { readonly layerType?: infer L } ? Exclude<L, undefined> : never;

/** Every layer's JSON type, one member per kind (LayerType in fields.ts, from the layouts). */
export type AnyLayer = LayerOfDescriptor<Listed>;

/** The JSON type of a layer of kind K: `LayerOf<'vxlan'>` is `{ layer: 'vxlan'; vni: number; flags?: number; … }`. */
export type LayerOf<K extends AnyLayer['layer']> = Extract<AnyLayer, { layer: K }>;

const RAW = LISTED.rawProtocol;

/**
 * Every protocol, in kind-code order: raw is code 0, then the others by kind name (a module
 * namespace's key order differs between loaders, so the order is set here).
 */
export const PROTOCOLS: readonly ProtocolDescriptor[] = [RAW, ...Object.values(LISTED as Record<string, ProtocolDescriptor>).filter((d) => d !== RAW).sort((x, y) => (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0))];

if (PROTOCOLS.length > 255) throw new Error('kind codes are bytes: at most 255 protocols');

/** Descriptors by `layer` name. */
export const DESCRIPTORS: ReadonlyMap<string, ProtocolDescriptor> = new Map(PROTOCOLS.map((d) => [d.kind, d]));
if (DESCRIPTORS.size !== PROTOCOLS.length) throw new Error('two protocol descriptors share a kind name');

// One Object.assign of a whole object: adding the codes one computed key at a time would turn
// KIND into a dictionary-mode object, and every KIND.x in a dissector into a hash lookup.
Object.assign(KIND, Object.fromEntries(PROTOCOLS.map((d, code) => [d.kind, code])));
PROTOCOLS.forEach((d) => {
  KIND_NAMES.push(d.kind);
  if (d.codec) {
    if (d.codec.kind !== d.kind) throw new Error(`descriptor ${d.kind}: its codec says '${d.codec.kind}'`);
    for (const name of d.codec.names) if (d.fields[name] === undefined) throw new Error(`descriptor ${d.kind}: field '${name}' has no description`);
    for (const name of Object.keys(d.fields)) if (!d.codec.names.has(name)) throw new Error(`descriptor ${d.kind}: '${name}' is described but not accepted`);
  }
  if (!d.dissector && (d.selectedBy ?? []).some((b) => b.direction !== 'encode')) throw new Error(`descriptor ${d.kind}: selected when decoding but has no dissector`);
  if (d.next && !d.next.field.auto) throw new Error(`descriptor ${d.kind}: next-protocol field '${d.next.field.name}' is not auto`);
});

installBindings(PROTOCOLS.flatMap((d, code) => (d.selectedBy ?? []).map((binding) => ({ kind: d.kind, code, binding }))));

/** The codec of each `layer` name the encoder accepts. */
export const CODECS: ReadonlyMap<string, Codec> = new Map(PROTOCOLS.filter((d) => d.codec).map((d) => [d.kind, d.codec!]));

/** The kinds a layer may name, for error messages: by name, raw last. */
export const KNOWN_KINDS: readonly string[] = [...PROTOCOLS.filter((d) => d.codec && d !== RAW).map((d) => d.kind), RAW.kind];

/** The dissector of each kind code (undefined for raw: the rest of the extent is payload). */
export const DISSECTORS: readonly (Dissector | undefined)[] = PROTOCOLS.map((d) => (d === RAW ? undefined : d.dissector));

/** The `layer` name decoded layers of each kind code carry (`raw` for internal kinds). */
export const LAYER_NAME_OF_CODE: readonly string[] = PROTOCOLS.map((d) => (d.codec ? d.kind : (d.decodesAs ?? RAW.kind)));

/** The kind code a frame of each capture link type starts with (from the descriptors' linkType). */
export const KIND_OF_LINKTYPE: ReadonlyMap<number, number> = new Map(PROTOCOLS.flatMap((d, code) => (d.linkType === undefined ? [] : [[d.linkType, code] as const])));
if (KIND_OF_LINKTYPE.size !== PROTOCOLS.filter((d) => d.linkType !== undefined).length) throw new Error('two descriptors start the same link type');

/** The capture link type whose frames start with a layer kind (for checking a frame against its file's link type). */
export function linkTypeOfKind(kind: string): number | undefined {
  return DESCRIPTORS.get(kind)?.linkType;
}

/** EtherType of each layer kind (what ether.type, dot1q.type, … are filled with). */
export const ETHERTYPE_OF: Readonly<Record<string, number>> = nextTable('ethertype').encode;
/** IP protocol / IPv6 next header of each layer kind. */
export const IPPROTO_OF: Readonly<Record<string, number>> = nextTable('ipproto').encode;

/** A kind's descriptor, or undefined. */
export function protocolOf(kind: string): ProtocolDescriptor | undefined {
  return DESCRIPTORS.get(kind);
}
