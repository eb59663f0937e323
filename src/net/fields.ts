/**
 * Header layouts: each header's fixed part is described ONCE as a table of fields (bit offset,
 * width, kind, default, auto). The generic readers/writers below turn that table into the
 * encoder (layer object → bytes, with range checks and error messages derived from the widths)
 * and the decoder (bytes → layer object), and the per-header fast encoders take their byte
 * offsets from the same table. No second copy of any offset exists.
 */
import { EncodeError } from '../errors.js';
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6Into, parseMacInto } from '../bytes/addr.js';
import { bytesToHex, hexToBytes } from '../bytes/hex.js';
import type { Layer } from './types.js';

/** How a field's value looks in the JSON layer format. */
/** `bytes`: a fixed-size byte string as hex (a shorter value is zero-padded on the right). */
export type FieldKind = 'uint' | 'bool' | 'mac' | 'ipv4' | 'ipv6' | 'bytes';

export interface FieldSpec {
  /** Bit offset from the start of the header, most significant bit first (network order). */
  bit: number;
  /** Width in bits (1..32 for numbers; 48 for MAC, 128 for IPv6). */
  width: number;
  kind?: FieldKind;
  /** Default when the layer leaves the field out. */
  def?: number | boolean | string;
  /** Computed by the encoder when left out (lengths, checksums, next-protocol fields). */
  auto?: boolean;
  /**
   * Not part of layers.md (reserved bits and the like): accepted by the encoder, written by the
   * decoder only when it differs from the default (0 when none), so frames with odd bits still
   * rebuild byte for byte while ordinary frames stay uncluttered.
   */
  hidden?: boolean;
  /**
   * Set by the codec from other information (GRE presence bits, Geneve option length): never a
   * JSON field, never read from a layer nor written by the decoder.
   */
  internal?: boolean;
}

export interface Field {
  readonly name: string;
  readonly index: number;
  readonly kind: FieldKind;
  readonly bit: number;
  readonly width: number;
  /** First byte of the smallest byte-aligned container holding the field. */
  readonly byte: number;
  /** Container size in bytes (1..4; 6/16 for addresses). */
  readonly bytes: number;
  /** Right shift of the field inside its big-endian container. */
  readonly shift: number;
  /** Largest value (2^width − 1). */
  readonly max: number;
  readonly def: number | boolean | string | undefined;
  readonly auto: boolean;
  readonly hidden: boolean;
  readonly internal: boolean;
  /** Number of the layout the field belongs to (layouts are numbered as they are defined). */
  readonly layout: number;
}

export interface Layout<N extends string = string, S = Record<N, FieldSpec>> {
  readonly kind: string;
  /** The field table as written (types only: LayoutFields derives a layer's JSON type from it). */
  readonly spec?: S;
  /** Length of the fixed part in bytes. */
  readonly length: number;
  readonly fields: readonly Field[];
  /** Fields by name: `IPV4.f.len.byte` is the byte offset of the total length. */
  readonly f: { readonly [K in N]: Field };
}

/** Build a layout from its field table (checked once at module load). */
/** Layouts defined so far (each field records its layout's number). */
let layoutsDefined = 0;

/** How many layouts exist: their numbers are 0 .. layoutCount() − 1. */
export function layoutCount(): number {
  return layoutsDefined;
}

export function defineLayout<const S extends Record<string, FieldSpec>>(kind: string, length: number, spec: S): Layout<keyof S & string, S> {
  type N = keyof S & string;
  const layoutNumber = layoutsDefined++;
  const fields: Field[] = [];
  const byName = {} as { [K in N]: Field };
  // Every bit of the fixed part belongs to exactly one field, so writing all fields overwrites
  // whatever a reused buffer held before.
  const covered = new Uint8Array(length * 8);
  for (const name of Object.keys(spec) as N[]) {
    const s: FieldSpec = spec[name]!;
    const fkind = s.kind ?? (s.width === 1 && typeof s.def === 'boolean' ? 'bool' : 'uint');
    const byte = s.bit >>> 3;
    const lastByte = (s.bit + s.width - 1) >>> 3;
    const bytes = lastByte - byte + 1;
    if (s.bit + s.width > length * 8) throw new Error(`layout ${kind}: ${name} past the header end`);
    if ((fkind === 'uint' || fkind === 'bool') && bytes > 4) throw new Error(`layout ${kind}: ${name} spans more than 4 bytes`);
    if (fkind === 'bytes' && (s.bit % 8 !== 0 || s.width % 8 !== 0)) throw new Error(`layout ${kind}: ${name} is not whole bytes`);
    const f: Field = {
      name,
      index: fields.length,
      kind: fkind,
      bit: s.bit,
      width: s.width,
      byte,
      bytes,
      shift: bytes * 8 - (s.bit - byte * 8) - s.width,
      max: 2 ** Math.min(s.width, 32) - 1,
      def: s.def,
      auto: s.auto ?? false,
      hidden: s.hidden ?? false,
      internal: s.internal ?? false,
      layout: layoutNumber,
    };
    fields.push(f);
    byName[name] = f;
    for (let b = s.bit; b < s.bit + s.width; b++) {
      if (covered[b]) throw new Error(`layout ${kind}: ${name} overlaps another field at bit ${b}`);
      covered[b] = 1;
    }
  }
  const gap = covered.indexOf(0);
  if (gap >= 0) throw new Error(`layout ${kind}: bit ${gap} belongs to no field`);
  return { kind, length, fields, f: byName };
}

/** The JSON type of one field of a layout table: addresses are text, booleans booleans, the rest numbers. */
type SpecValue<F> = F extends { kind: 'mac' | 'ipv4' | 'ipv6' | 'bytes' } ? string : F extends { kind: 'bool' } ? boolean : number;
/** Fields with a default or computed when left out may be left out. */
type SpecOptional<F> = F extends { auto: true } ? true : F extends { def: number | boolean | string } ? true : false;
type Visible<S> = { [K in keyof S]: S[K] extends { internal: true } ? never : K }[keyof S];

/** The JSON fields a layout's table defines: required where the table has no default and no auto. */
export type LayoutFields<L> =
  L extends Layout<string, infer S>
    ? { -readonly [K in Visible<S> as SpecOptional<S[K]> extends true ? never : K]: SpecValue<S[K]> } & {
        -readonly [K in Visible<S> as SpecOptional<S[K]> extends true ? K : never]?: SpecValue<S[K]>;
      }
    : never;

/** Flatten an intersection for readable hover text and error messages. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The JSON layer type of kind K laid out by L, with `Extra` fields (variable parts such as
 * `options`, or a wider type for a layout field, such as IPv4's flags as text) replacing or
 * adding to the layout's.
 */
export type LayerType<K extends string, L, Extra = {}> = Simplify<{ layer: K } & Omit<LayoutFields<L>, keyof Extra> & Extra>;

/**
 * Read an unsigned field (≤ 32 bits) of the header at `off`. The caller has checked the length.
 * The field's bytes are gathered big-endian by nested tests rather than one case per byte count:
 * the smaller function is inlined into the dissectors (a switch with four returns was not, and
 * was a seventh of the zero-copy scan's time).
 */
export function getField(buf: Uint8Array, off: number, f: Field): number {
  const p = off + f.byte;
  const n = f.bytes;
  let v = buf[p]!;
  if (n > 1) {
    v = (v << 8) | buf[p + 1]!;
    if (n > 2) {
      v = (v << 8) | buf[p + 2]!;
      if (n > 3) v = (v << 8) | buf[p + 3]!;
    }
  }
  // `& max` would turn a full 32-bit value negative: a 32-bit field is the word as unsigned.
  return f.width === 32 ? v >>> 0 : (v >>> f.shift) & f.max;
}

/**
 * Write an unsigned field (≤ 32 bits) of the header at `off`; other bits sharing its bytes are
 * kept, so fields can be written in any order. The value must already be in range.
 */
export function setField(buf: Uint8Array, off: number, f: Field, value: number): void {
  const p = off + f.byte;
  // Bit patterns as int32: the byte stores below keep only the low 8 bits of each shift.
  const keep = ~(f.max << f.shift);
  const bits = value << f.shift;
  switch (f.bytes) {
    case 1:
      buf[p] = (buf[p]! & keep) | bits;
      return;
    case 2: {
      const v = f.shift === 0 && f.width === 16 ? bits : ((((buf[p]! << 8) | buf[p + 1]!) & keep) | bits);
      buf[p] = v >>> 8;
      buf[p + 1] = v;
      return;
    }
    case 3: {
      const v = (((buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!) & keep) | bits;
      buf[p] = v >>> 16;
      buf[p + 1] = v >>> 8;
      buf[p + 2] = v;
      return;
    }
    default: {
      const v = f.width === 32 ? value : (((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) & keep) | bits;
      buf[p] = v >>> 24;
      buf[p + 1] = v >>> 16;
      buf[p + 2] = v >>> 8;
      buf[p + 3] = v;
    }
  }
}

/**
 * Left shift that puts field f in place inside the big-endian word of `wordBytes` bytes that
 * starts at header byte `wordByte`: the fast encoders pack several fields into one store with
 * shifts taken from the layout (module-load constants), never written out by hand.
 */
export function shiftIn(f: Field, wordByte: number, wordBytes: 1 | 2 | 4): number {
  const shift = (wordByte + wordBytes) * 8 - (f.bit + f.width);
  if (f.bit < wordByte * 8 || shift < 0) throw new Error(`${f.name} is not inside the ${wordBytes}-byte word at byte ${wordByte}`);
  return shift;
}

/** Sentinel in a values array: the field was left out and is auto (the codec computes it). */
export const AUTO = -1;

/**
 * The fixed-part values of one layer, checked against its layout: numbers for uint/bool/ipv4
 * fields (AUTO when an auto field was left out), address bytes for MAC and IPv6.
 */
export interface FieldValues {
  readonly nums: number[];
  readonly addrs: (Uint8Array | undefined)[];
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v);
}

/** Read a layer's value for one field (its default when left out), raising EncodeError naming index, kind and field. */
export function takeField(layer: Layer, index: number, f: Field, out: FieldValues): void {
  const kind = layer.layer;
  if (f.internal) {
    out.nums[f.index] = typeof f.def === 'number' ? f.def : 0;
    return;
  }
  let v = layer[f.name];
  if (v === undefined || v === null) {
    if (f.auto) {
      out.nums[f.index] = AUTO;
      return;
    }
    if (f.def === undefined) throw new EncodeError(index, kind, f.name, 'is missing');
    v = f.def;
  }
  switch (f.kind) {
    case 'uint':
    case 'bool': {
      const n = typeof v === 'boolean' && f.kind === 'bool' ? (v ? 1 : 0) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) {
        throw new EncodeError(index, kind, f.name, `${describe(v)} is not ${f.kind === 'bool' ? 'a boolean' : 'an integer'}`);
      }
      if (n < 0 || n > f.max) throw new EncodeError(index, kind, f.name, `${n} is out of range 0..${f.max}`);
      out.nums[f.index] = n;
      return;
    }
    case 'ipv4': {
      const n = typeof v === 'string' ? parseIpv4(v) : -1;
      if (n < 0) throw new EncodeError(index, kind, f.name, `${describe(v)} is not an IPv4 address`);
      out.nums[f.index] = n;
      return;
    }
    case 'bytes': {
      const given = typeof v === 'string' ? hexToBytes(v) : null;
      if (!given || given.length > f.width / 8) throw new EncodeError(index, kind, f.name, `${describe(v)} is not hex of at most ${f.width / 8} bytes`);
      const b = new Uint8Array(f.width / 8);
      b.set(given);
      out.addrs[f.index] = b;
      out.nums[f.index] = 0;
      return;
    }
    case 'mac': {
      const b = new Uint8Array(6);
      if (typeof v !== 'string' || !parseMacInto(v, b, 0)) throw new EncodeError(index, kind, f.name, `${describe(v)} is not a MAC address`);
      out.addrs[f.index] = b;
      out.nums[f.index] = 0;
      return;
    }
    case 'ipv6': {
      const b = new Uint8Array(16);
      if (typeof v !== 'string' || !parseIpv6Into(v, b, 0)) throw new EncodeError(index, kind, f.name, `${describe(v)} is not an IPv6 address`);
      out.addrs[f.index] = b;
      out.nums[f.index] = 0;
      return;
    }
  }
}

/** Check every layout field of a layer (values into a fresh FieldValues). */
export function takeFields(layer: Layer, index: number, layout: Layout): FieldValues {
  const out: FieldValues = { nums: new Array<number>(layout.fields.length).fill(0), addrs: [] };
  for (const f of layout.fields) takeField(layer, index, f, out);
  return out;
}

/**
 * The bytes of a variable-length field given as hex (options, tags, data, …), or undefined when
 * the layer leaves it out (undefined or null). Anything else that is not an even number of hex
 * digits, or breaks the field's rule, is an EncodeError naming the layer, its kind and the field:
 * `multipleOf` (whole words: "is not hex of a multiple of 4 bytes"), `atMost` ("is not hex of at
 * most 8 bytes").
 */
export function hexFieldBytes(layer: Layer, index: number, kind: string, name: string, rule?: { multipleOf?: number; atMost?: number }): Uint8Array | undefined {
  const v = layer[name];
  if (v === undefined || v === null) return undefined;
  const bytes = typeof v === 'string' ? hexToBytes(v) : null;
  if (rule?.multipleOf !== undefined && (!bytes || bytes.length % rule.multipleOf !== 0)) throw new EncodeError(index, kind, name, `is not hex of a multiple of ${rule.multipleOf} bytes`);
  if (rule?.atMost !== undefined && (!bytes || bytes.length > rule.atMost)) throw new EncodeError(index, kind, name, `is not hex of at most ${rule.atMost} bytes`);
  if (!bytes) throw new EncodeError(index, kind, name, 'is not an even number of hex digits');
  return bytes;
}

/**
 * IPv4 and TCP options given as hex in `options`, padded with zeros (End of Option List in both)
 * to a 32-bit boundary; empty when left out. More than `max` bytes is an EncodeError saying what
 * the header (`header`: "a TCP header") holds.
 */
export function wordPaddedOptions(layer: Layer, index: number, kind: string, max: number, header: string): Uint8Array {
  const raw = hexFieldBytes(layer, index, kind, 'options');
  if (!raw) return new Uint8Array(0);
  if (raw.length > max) throw new EncodeError(index, kind, 'options', `${raw.length} bytes exceed the ${max} ${header} holds`);
  const data = new Uint8Array((raw.length + 3) & ~3);
  data.set(raw);
  return data;
}

/**
 * Raise EncodeError for a field name the layer kind does not have (a typo would otherwise be
 * silently ignored). A kind whose fields depend on a value (ICMP by type) passes `variant`: the
 * fields of the variant chosen, and what names it, so a field of another variant is told apart
 * from a misspelt one.
 */
export function checkKnownFields(
  layer: Layer,
  index: number,
  known: ReadonlySet<string>,
  variant?: { names: ReadonlySet<string>; what: string },
): void {
  for (const k of Object.keys(layer)) {
    if (k === 'layer' || (variant ? variant.names.has(k) : known.has(k))) continue;
    const why = variant && known.has(k) ? `is not a field of ${variant.what} (fields: ${[...variant.names].join(', ')})` : `is not a field of this layer (fields: ${[...known].join(', ')})`;
    throw new EncodeError(index, layer.layer, k, why);
  }
}

/** Names a layout accepts, plus extra (variable-part) field names. */
export function fieldNames(layout: Layout, ...extra: string[]): ReadonlySet<string> {
  return new Set([...layout.fields.filter((f) => !f.internal).map((f) => f.name), ...extra]);
}

/** Write every fixed-part field; AUTO values must have been resolved by the codec before. */
export function putFields(buf: Uint8Array, off: number, layout: Layout, v: FieldValues): void {
  for (const f of layout.fields) {
    switch (f.kind) {
      case 'mac':
      case 'ipv6':
      case 'bytes':
        buf.set(v.addrs[f.index]!, off + f.byte);
        break;
      default:
        setField(buf, off, f, v.nums[f.index]!);
    }
  }
}

/** Decode every fixed-part field into `layer` (the caller checked that the bytes are there). */
export function readFields(buf: Uint8Array, off: number, layout: Layout, layer: Layer): void {
  for (const f of layout.fields) {
    if (f.internal) continue;
    switch (f.kind) {
      case 'mac':
        layer[f.name] = formatMac(buf, off + f.byte);
        break;
      case 'bytes':
        layer[f.name] = bytesToHex(buf, off + f.byte, off + f.byte + f.width / 8);
        break;
      case 'ipv6':
        layer[f.name] = formatIpv6(buf, off + f.byte);
        break;
      case 'ipv4':
        layer[f.name] = formatIpv4(getField(buf, off, f));
        break;
      case 'bool':
        layer[f.name] = getField(buf, off, f) === 1;
        break;
      default: {
        const n = getField(buf, off, f);
        if (!f.hidden || n !== (f.def ?? 0)) layer[f.name] = n;
      }
    }
  }
}
