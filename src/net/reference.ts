/**
 * The field reference of every layer kind, generated from the protocol descriptors (registry.ts):
 * docs/layers.md is this text (a test keeps it current), and `virtkit layers [KIND]` prints it.
 */
import type { Field, Layout } from './fields.js';
import { PROTOCOLS, protocolOf } from './registry.js';
import { bindingScopes, type Binding } from './protocols.js';
import type { ProtocolDescriptor } from './types.js';

/** One field of a layer kind, as the reference lists it. */
export interface FieldReference {
  name: string;
  description: string;
  /** Width in bits, for fields of a fixed part (absent for variable parts such as `options`). */
  bits?: number;
  /** Default when left out (absent: required, or auto, or a variable part). */
  default?: number | boolean | string;
  /** Computed by the encoder when left out. */
  auto: boolean;
  /** The layouts (by index in the kind's list) that have the field, when the kind has several. */
  layouts?: number[];
}

export interface LayerReference {
  kind: string;
  title: string;
  /** The numbers that select the kind: "ethertype 0x0800", "ipproto 6", "udp.dport 4789". */
  selectedBy: string[];
  /** The auto next-protocol field and its table. */
  next?: string;
  fields: FieldReference[];
}

function bindingText(b: Binding): string {
  const value = b.table === 'ethertype' ? `0x${b.value.toString(16).padStart(4, '0')}` : String(b.value);
  const notes = [b.direction && b.direction !== 'both' ? `${b.direction} only` : '', b.scope !== undefined ? `after a ${bindingScopes(b).join(' or ')} header only` : ''].filter(Boolean);
  return `${b.table} ${value}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

/** The layer kinds users write (internal decoder kinds left out). */
function layerKinds(): ProtocolDescriptor[] {
  const kinds = PROTOCOLS.filter((d) => d.codec && d.kind !== 'raw');
  return [...kinds, PROTOCOLS[0]!];
}

/** The reference of one kind (undefined for a kind that does not exist). */
export function layerReference(kind: string): LayerReference | undefined {
  const d = protocolOf(kind);
  if (!d || !d.codec) return undefined;
  const inLayouts = new Map<string, { f: Field; layouts: number[] }>();
  d.layouts.forEach((l: Layout, i) => {
    for (const f of l.fields) {
      if (f.internal) continue;
      const seen = inLayouts.get(f.name);
      if (seen) seen.layouts.push(i);
      else inLayouts.set(f.name, { f, layouts: [i] });
    }
  });
  const fields: FieldReference[] = Object.entries(d.fields as Record<string, string>).map(([name, description]) => {
    const seen = inLayouts.get(name);
    if (!seen) return { name, description, auto: false };
    const r: FieldReference = { name, description, bits: seen.f.width, auto: seen.f.auto };
    if (seen.f.def !== undefined) r.default = seen.f.def;
    if (d.layouts.length > 1 && seen.layouts.length < d.layouts.length) r.layouts = seen.layouts;
    return r;
  });
  const ref: LayerReference = { kind: d.kind, title: d.title, selectedBy: (d.selectedBy ?? []).map(bindingText), fields };
  if (d.next) ref.next = `${d.next.field.name} (${d.next.table.name}${d.next.table.scope ? `, ${d.next.table.scope} scope` : ''})`;
  return ref;
}

/** Every layer kind's reference, in name order, raw last. */
export function layersReference(): LayerReference[] {
  return layerKinds().map((d) => layerReference(d.kind)!);
}

/** The kinds a reference exists for. */
export function referenceKinds(): string[] {
  return layerKinds().map((d) => d.kind);
}

function cell(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? `"${v}"` : String(v);
}

/** One kind's section in Markdown. */
export function layerMarkdown(r: LayerReference): string {
  const lines = [`## \`${r.kind}\``, '', r.title + '.', ''];
  if (r.selectedBy.length) lines.push(`Selected by: ${r.selectedBy.join('; ')}.`, '');
  if (r.next) lines.push(`Next-protocol field: ${r.next}, filled from the kind of the layer that follows.`, '');
  lines.push('| field | bits | default | auto | description |', '| --- | --- | --- | --- | --- |');
  for (const f of r.fields) {
    lines.push(`| \`${f.name}\` | ${f.bits ?? 'var'} | ${cell(f.default)} | ${f.auto ? 'auto' : ''} | ${f.description.replace(/\|/g, '\\|')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

const INTRO = `# Layers: the JSON layer format, field by field

<!-- Generated from the protocol descriptors in src/net (virtkit layers --markdown); do not edit. -->

A frame is a JSON array of layers, outermost first. Every layer is an object with \`layer\` (its
kind) and its fields; \`virtkit build\` and \`encodeFrame\` take this format and \`virtkit decode\` and
\`decodeFrame\` give it back, so \`build(decode(bytes))\` gives back the same bytes.

- A field marked *auto* is computed when left out (lengths, checksums, header lengths,
  next-protocol fields from the layer that follows, bottom-of-stack bits); given, it is written
  as given, even when wrong, to craft malformed frames on purpose. An auto next-protocol field
  that the following layer does not determine (a \`raw\` layer, or none) must be given.
- A field with a default may be left out; a field with neither default nor auto is required.
  Errors name the layer index, its kind and the field: \`layer 2 (dot1q): vid 4096 is out of
  range 0..4095\`; an unknown field's error lists the fields the layer has.
- Numbers are JSON numbers; MAC addresses \`"aa:bb:cc:dd:ee:ff"\`; IPv4 addresses dotted quads;
  IPv6 addresses any valid text form (RFC 5952 form on output); byte strings lowercase hex.
- The decoder writes every field, auto ones included, as found in the bytes; bytes it cannot
  attribute to a layer come out as \`raw\`. Fields described as "written by the decoder only when
  not 0" are reserved bits, shown only when set.
- In TypeScript, \`LayerOf<'vxlan'>\` is the type of a \`vxlan\` layer, and \`encodeFrame\` rejects a
  misspelt field or a wrong value type in a literal layer at compile time.

"Selected by" lists the numbers that make the decoder pick a kind (and that the encoder writes
into the auto next-protocol field of the layer before): EtherType, IP protocol / IPv6 next
header, UDP destination port. \`bits\` is the field's width in the header; \`var\` marks a
variable part.

`;

/** The whole reference in Markdown: docs/layers.md. */
export function layersMarkdown(): string {
  return INTRO + layersReference().map(layerMarkdown).join('\n');
}

/** One kind as plain text for a terminal. */
export function layerText(r: LayerReference): string {
  const lines = [`${r.kind}: ${r.title}`];
  if (r.selectedBy.length) lines.push(`  selected by ${r.selectedBy.join('; ')}`);
  if (r.next) lines.push(`  next-protocol field ${r.next}`);
  const width = Math.max(...r.fields.map((f) => f.name.length));
  for (const f of r.fields) {
    const tags = [f.bits !== undefined ? `${f.bits} bits` : 'variable', f.auto ? 'auto' : '', f.default !== undefined ? `default ${cell(f.default)}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${f.name.padEnd(width)}  ${f.description} [${tags}]`);
  }
  return lines.join('\n') + '\n';
}
