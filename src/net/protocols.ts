/**
 * Next-protocol tables. A protocol says in its descriptor which numbers select it (its
 * bindings: EtherType 0x0800, IP protocol 17, UDP port 4789, …) and which of its fields names
 * the next protocol (its NextField: ether.type from the EtherType table). registry.ts installs
 * every binding once; from them this module derives both directions of every table: kind →
 * number for the encoder's auto next-protocol fields, number → kind code for the decoder.
 *
 * The tables are created here (empty) when a protocol file asks for one at load time and are
 * filled when the registry installs the bindings, so protocol files never import the registry.
 */
import { EncodeError } from '../errors.js';
import { AUTO, type Field } from './fields.js';
import type { Prepared } from './types.js';

/** The numbering spaces that select a protocol. */
/** `bsd.af`: the address family of BSD loopback (link type 0, DLT_NULL) headers. */
export type TableName = 'ethertype' | 'ipproto' | 'udp.dport' | 'bsd.af' | 'ppp' | 'gpe';

/** Size of each table's number space. */
const TABLE_SIZE: Readonly<Record<TableName, number>> = {
  ethertype: 0x10000,
  ipproto: 0x100,
  'udp.dport': 0x10000,
  'bsd.af': 0x100,
  /** PPP protocol field (RFC 1661; IANA PPP DLL protocol numbers). */
  ppp: 0x10000,
  /** Next protocol of VXLAN-GPE and NSH (one registry: draft-ietf-nvo3-vxlan-gpe, RFC 8300). */
  gpe: 0x100,
};

/**
 * A number that selects a protocol in a table.
 * - direction `both` (default): the decoder dispatches on it and the encoder writes it into an
 *   auto next-protocol field; `decode`: an alias the decoder also accepts (EtherType 0x9100 for
 *   dot1ad); `encode`: written but not dispatched on.
 * - scope: only in the tables of parents that declare one of these scopes in their NextField
 *   (0x6558 = Ethernet only after GRE and Geneve, scopes `gre` and `geneve`; ERSPAN and PPP
 *   after GRE only, as Wireshark registers them in its gre.proto table and not for Geneve);
 *   without one, in every scope.
 */
export interface Binding {
  readonly table: TableName;
  readonly value: number;
  readonly direction?: 'both' | 'decode' | 'encode';
  readonly scope?: string | readonly string[];
}

/** Whether a binding applies in the table of a parent of `scope` (unscoped bindings apply in every table). */
export function bindingInScope(b: Binding, scope: string | undefined): boolean {
  if (b.scope === undefined) return true;
  return scope !== undefined && (typeof b.scope === 'string' ? b.scope === scope : b.scope.includes(scope));
}

/** A binding's scopes as a list (empty: unscoped). */
export function bindingScopes(b: Binding): readonly string[] {
  return b.scope === undefined ? [] : typeof b.scope === 'string' ? [b.scope] : b.scope;
}

/** One table as a parent of one scope sees it, both directions. */
export interface NextTable {
  readonly name: TableName;
  readonly scope: string | undefined;
  /** number → kind code (0: raw, nothing selected). */
  readonly decode: Uint8Array;
  /** kind name → number. */
  readonly encode: Record<string, number>;
}

/** A header's auto next-protocol field and the table it takes its values from. */
export interface NextField {
  readonly field: Field;
  readonly table: NextTable;
}

interface Installed {
  readonly kind: string;
  readonly code: number;
  readonly binding: Binding;
}

const tables = new Map<string, NextTable>();
let installed: readonly Installed[] | undefined;

function fill(t: NextTable, list: readonly Installed[]): void {
  t.decode.fill(0);
  for (const k of Object.keys(t.encode)) delete t.encode[k];
  // Unscoped bindings first: a scoped one may take over a number for its scope (never the reverse).
  const ordered = [...list.filter((x) => x.binding.scope === undefined), ...list.filter((x) => x.binding.scope !== undefined)];
  const owner = new Map<number, { kind: string; scoped: boolean }>();
  for (const { kind, code, binding: b } of ordered) {
    if (b.table !== t.name || !bindingInScope(b, t.scope)) continue;
    if (!Number.isInteger(b.value) || b.value < 0 || b.value >= t.decode.length) throw new Error(`${kind}: ${b.table} ${b.value} is out of the table's range`);
    const dir = b.direction ?? 'both';
    if (dir !== 'encode') {
      const prev = owner.get(b.value);
      const scoped = b.scope !== undefined;
      if (prev && prev.kind !== kind && prev.scoped === scoped) throw new Error(`${b.table} ${b.value}${t.scope ? ` (scope ${t.scope})` : ''} selects both '${prev.kind}' and '${kind}'`);
      owner.set(b.value, { kind, scoped });
      t.decode[b.value] = code;
    }
    if (dir !== 'decode') {
      if (t.encode[kind] !== undefined && t.encode[kind] !== b.value) throw new Error(`${kind} has two ${b.table} numbers to encode (${t.encode[kind]}, ${b.value}); mark one decode-only`);
      t.encode[kind] = b.value;
    }
  }
}

/** The table `name` as parents of `scope` see it (made once, filled when the bindings are installed). */
export function nextTable(name: TableName, scope?: string): NextTable {
  const key = scope === undefined ? name : `${name}/${scope}`;
  let t = tables.get(key);
  if (!t) {
    t = { name, scope, decode: new Uint8Array(TABLE_SIZE[name]), encode: {} };
    tables.set(key, t);
    if (installed) fill(t, installed);
  }
  return t;
}

/** A NextField for a layout field: the parent names the table (and its scope) here, once. */
export function nextField(field: Field, table: TableName, scope?: string): NextField {
  return { field, table: nextTable(table, scope) };
}

/** Install every protocol's bindings (registry.ts, once): fills every table made so far and later. */
export function installBindings(list: readonly Installed[]): void {
  installed = list;
  for (const t of tables.values()) fill(t, list);
}

/**
 * Resolve the auto next-protocol field of list[i] from the kind of list[i+1]. When the next
 * layer does not determine it (raw, none, or a kind the table lacks), leaving it out is an
 * error, not a guess (layers.md).
 */
export function linkNext(list: readonly Prepared[], i: number, next: NextField): void {
  const p = list[i]!;
  const index = next.field.index;
  if (p.v.nums[index] !== AUTO) return;
  const after = list[i + 1];
  const value = after ? next.table.encode[after.codec.kind] : undefined;
  if (value === undefined) {
    const what = after ? `a '${after.codec.kind}' layer follows` : 'no layer follows';
    throw new EncodeError(i, p.codec.kind, next.field.name, `cannot be derived (${what}); give it explicitly`);
  }
  p.v.nums[index] = value;
}
