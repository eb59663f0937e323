/**
 * Security associations: the JSON form (layers.md: `{"spi", "cipher", "key", "auth",
 * "authKey"}`), checked and compiled into an SaTable that the ESP codec looks SPIs up in, and
 * Wireshark's `esp_sa` table file read and written (so keys a user already has for Wireshark
 * work as they are, and a capture virtkit writes opens decrypted).
 */
import { VirtkitError } from '../../errors.js';
import { bytesToHex, hexToBytes } from '../../bytes/hex.js';
import { AUTH_SUITES, CIPHER_SUITES, ESP_AUTHS, ESP_CIPHERS, espKeys, type EspAuth, type EspCipher, type EspKeys } from './suites.js';

/** An SA that cannot be used: which one (list index or file line) and which field. */
export class SaError extends VirtkitError {
  override name = 'SaError';
}

/** One SA in the JSON form. `src`/`dst` (IP text or `*`) only matter for the esp_sa file. */
export interface SecurityAssociation {
  spi: number;
  cipher: EspCipher;
  /** Hex: the AES key (GCM: followed by the 4-byte salt); absent for `null`. */
  key?: string;
  auth?: EspAuth;
  /** Hex HMAC key (any length, RFC 2104). */
  authKey?: string;
  /**
   * Extended sequence numbers (RFC 4303 §2.2.1) in use, and the high-order 32 bits a decoder
   * assumes (a capture holds only the low 32); the encoder uses them unless the esp layer gives
   * `seqhi`. Absent: 32-bit sequence numbers.
   */
  esn?: number;
  /** Which outer IP version (for the esp_sa file; default from the frame, else IPv4). */
  ipVersion?: 4 | 6;
  src?: string;
  dst?: string;
}

/** An SA checked and ready: its JSON form plus the keys the suites use. */
export interface CompiledSa {
  readonly sa: SecurityAssociation;
  readonly spi: number;
  readonly keys: EspKeys;
}

/** SAs by SPI, as the encoder and decoder look them up. */
export class SaTable {
  readonly bySpi = new Map<number, CompiledSa>();

  constructor(sas: readonly SecurityAssociation[] = []) {
    sas.forEach((sa, i) => this.add(sa, `sa[${i}]`));
  }

  /** Add one SA (`where` names it in errors); a second SA for the same SPI is an error. */
  add(sa: SecurityAssociation, where = 'sa'): CompiledSa {
    const c = compileSa(sa, where);
    const had = this.bySpi.get(c.spi);
    if (had && !sameSa(had.sa, c.sa)) throw new SaError(`${where}: spi ${c.spi} (0x${c.spi.toString(16).padStart(8, '0')}) is already given with other keys`);
    this.bySpi.set(c.spi, c);
    return c;
  }

  get(spi: number): CompiledSa | undefined {
    return this.bySpi.get(spi);
  }

  get size(): number {
    return this.bySpi.size;
  }

  /** The SAs in their JSON form, in SPI order. */
  list(): SecurityAssociation[] {
    return [...this.bySpi.values()].sort((a, b) => a.spi - b.spi).map((c) => ({ ...c.sa }));
  }
}

/** What a caller may pass as SAs: a table, or a list in the JSON form. */
export type SaInput = SaTable | readonly SecurityAssociation[];

export function toSaTable(sa: SaInput | undefined): SaTable | undefined {
  if (sa === undefined) return undefined;
  return sa instanceof SaTable ? sa : new SaTable(sa);
}

function sameSa(a: SecurityAssociation, b: SecurityAssociation): boolean {
  return a.cipher === b.cipher && (a.key ?? '') === (b.key ?? '') && (a.auth ?? 'none') === (b.auth ?? 'none') && (a.authKey ?? '') === (b.authKey ?? '') && a.esn === b.esn;
}

const SA_FIELDS = new Set(['spi', 'cipher', 'key', 'auth', 'authKey', 'esn', 'ipVersion', 'src', 'dst']);

function hexField(where: string, name: string, v: unknown): Uint8Array {
  const bytes = typeof v === 'string' ? hexToBytes(v.startsWith('0x') ? v.slice(2) : v) : null;
  if (!bytes) throw new SaError(`${where}: ${name} must be a hex string, got ${JSON.stringify(v)}`);
  return bytes;
}

/** Check one SA in the JSON form and split its keys. */
export function compileSa(raw: SecurityAssociation, where = 'sa'): CompiledSa {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SaError(`${where}: an SA is an object {"spi", "cipher", "key", "auth", "authKey"}`);
  for (const k of Object.keys(raw)) if (!SA_FIELDS.has(k)) throw new SaError(`${where}: unknown field '${k}' (fields: ${[...SA_FIELDS].join(', ')})`);
  const spi = raw.spi;
  if (typeof spi !== 'number' || !Number.isInteger(spi) || spi < 0 || spi > 0xffffffff) throw new SaError(`${where}: spi ${JSON.stringify(spi)} is not an integer in 0..4294967295`);
  const cipher = CIPHER_SUITES[raw.cipher as EspCipher];
  if (!ESP_CIPHERS.includes(raw.cipher)) throw new SaError(`${where}: cipher ${JSON.stringify(raw.cipher)} is not one of ${ESP_CIPHERS.join(', ')}`);
  const authName = raw.auth ?? 'none';
  if (!ESP_AUTHS.includes(authName)) throw new SaError(`${where}: auth ${JSON.stringify(raw.auth)} is not one of ${ESP_AUTHS.join(', ')}`);
  const auth = AUTH_SUITES[authName];
  if (cipher.mode === 'gcm' && authName !== 'none') throw new SaError(`${where}: ${cipher.name} authenticates by itself; auth must be none, not ${authName}`);
  let key: Uint8Array = new Uint8Array(0);
  if (cipher.mode === 'null') {
    if (raw.key !== undefined && raw.key !== '') throw new SaError(`${where}: cipher null takes no key`);
  } else {
    if (raw.key === undefined) throw new SaError(`${where}: key is required for ${cipher.name}`);
    key = hexField(where, 'key', raw.key);
    if (key.length !== cipher.keyLength) {
      const what = cipher.mode === 'gcm' ? `${cipher.keyLength - 4}-byte AES key + 4-byte salt` : `${cipher.keyLength}-byte AES key`;
      throw new SaError(`${where}: key has ${key.length} bytes; ${cipher.name} needs ${cipher.keyLength} (${what})`);
    }
  }
  let authKey: Uint8Array = new Uint8Array(0);
  if (auth.hash) {
    if (raw.authKey === undefined) throw new SaError(`${where}: authKey is required for ${authName}`);
    authKey = hexField(where, 'authKey', raw.authKey);
  } else if (raw.authKey !== undefined && raw.authKey !== '') {
    throw new SaError(`${where}: authKey given but auth is none`);
  }
  if (raw.ipVersion !== undefined && raw.ipVersion !== 4 && raw.ipVersion !== 6) throw new SaError(`${where}: ipVersion must be 4 or 6`);
  const esn = raw.esn;
  if (esn !== undefined && (typeof esn !== 'number' || !Number.isInteger(esn) || esn < 0 || esn > 0xffffffff)) {
    throw new SaError(`${where}: esn ${JSON.stringify(esn)} is not the high-order 32 bits of an extended sequence number (an integer in 0..4294967295)`);
  }
  const sa: SecurityAssociation = { spi, cipher: cipher.name };
  if (cipher.mode !== 'null') sa.key = bytesToHex(key);
  if (authName !== 'none' || raw.auth !== undefined) sa.auth = authName;
  if (auth.hash) sa.authKey = bytesToHex(authKey);
  if (esn !== undefined) sa.esn = esn;
  if (raw.ipVersion !== undefined) sa.ipVersion = raw.ipVersion;
  if (raw.src !== undefined) sa.src = String(raw.src);
  if (raw.dst !== undefined) sa.dst = String(raw.dst);
  return { sa, spi, keys: espKeys(cipher, key, auth, authKey) };
}

// ---------------------------------------------------------------------------------------------
// Wireshark's esp_sa table (a UAT file): one record a line, 8 comma-separated quoted fields —
// protocol ("IPv4"/"IPv6"), source and destination address ("*" = any), SPI ("0x00001001"),
// encryption algorithm, encryption key ("0x…" hex, else the ASCII bytes), authentication
// algorithm, authentication key. Lines starting with '#' are comments. Strings escape '"',
// '\' and non-printable bytes as \xNN (Wireshark's uat_esc).

/** Wireshark 4.0's names (packet-ipsec.c value strings) for the algorithms virtkit has. */
/** Wireshark's name of AES-GCM with an ICV of this many bytes (8, 12 or 16). */
const wsGcm = (icv: number): string => `AES-GCM with ${icv} octet ICV [RFC4106]`;
const WS_CBC = 'AES-CBC [RFC3602]';
const WS_NULL = 'NULL';
const WS_AUTH: Readonly<Record<EspAuth, string>> = { none: 'NULL', 'hmac-sha256-128': 'HMAC-SHA-256-128 [RFC4868]', 'hmac-sha1-96': 'HMAC-SHA-1-96 [RFC2404]' };

function wsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += ch === '"' || ch === '\\' || c < 0x20 || c > 0x7e ? '\\x' + c.toString(16).padStart(2, '0') : ch;
  }
  return out;
}

/**
 * The esp_sa file Wireshark reads for these SAs. Wireshark matches a record by outer IP version
 * too, while virtkit finds an SA by SPI alone: an SA without `ipVersion` gets an IPv4 and an
 * IPv6 record. `src`/`dst` default to `*` (any). The file has no place for extended sequence
 * numbers (Wireshark 4.0 has none): an ESN SA's record decrypts CBC and NULL there, but its
 * ICVs, and all of GCM, come out bad.
 */
export function formatEspSaFile(sas: readonly SecurityAssociation[] | SaTable): string {
  const list = sas instanceof SaTable ? sas.list() : sas.map((sa, i) => compileSa(sa, `sa[${i}]`).sa);
  const lines = ['# This file is automatically generated, DO NOT MODIFY.'];
  for (const sa of list) {
    const cipher = CIPHER_SUITES[sa.cipher];
    const enc = cipher.mode === 'gcm' ? wsGcm(cipher.icvLength) : cipher.mode === 'cbc' ? WS_CBC : WS_NULL;
    for (const proto of sa.ipVersion === 6 ? ['IPv6'] : sa.ipVersion === 4 ? ['IPv4'] : ['IPv4', 'IPv6']) {
      const fields = [
        proto,
        sa.src ?? '*',
        sa.dst ?? '*',
        '0x' + sa.spi.toString(16).padStart(8, '0'),
        enc,
        sa.key ? '0x' + sa.key : '',
        WS_AUTH[sa.auth ?? 'none'],
        sa.authKey ? '0x' + sa.authKey : '',
      ];
      lines.push(fields.map((f) => `"${wsEscape(f)}"`).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** Split one UAT record into its fields (quoted strings with \xNN escapes, or bare tokens). */
function splitRecord(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new SaError(`${where}: unterminated quoted field`);
        const ch = line[i]!;
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === '\\') {
          const next = line[i + 1];
          if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
            value += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          if (next === undefined) throw new SaError(`${where}: a backslash ends the line`);
          value += next;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
    } else {
      const stop = line.indexOf(',', i);
      value = (stop < 0 ? line.slice(i) : line.slice(i, stop)).trim();
      i = stop < 0 ? line.length : stop;
    }
    fields.push(value);
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) return fields;
    if (line[i] !== ',') throw new SaError(`${where}: expected ',' at column ${i + 1}`);
    i++;
  }
}

/** A Wireshark key field: `0x` hex, else the text's bytes (as Wireshark takes them). */
function wsKey(text: string, where: string, what: string): string {
  if (text === '') return '';
  if (/^0x/i.test(text)) {
    const bytes = hexToBytes(text.slice(2));
    if (!bytes) throw new SaError(`${where}: ${what} '${text}' is not 0x followed by hex digits`);
    return bytesToHex(bytes);
  }
  let hex = '';
  for (const ch of text) hex += (ch.charCodeAt(0) & 0xff).toString(16).padStart(2, '0');
  return hex;
}

/** Read a Wireshark esp_sa file; each record becomes an SA (errors name the line). */
export function parseEspSaFile(text: string, name = 'esp_sa'): SecurityAssociation[] {
  const out: SecurityAssociation[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${name}:${n + 1}`;
    const f = splitRecord(line, where);
    if (f.length < 8) throw new SaError(`${where}: ${f.length} fields, an esp_sa record has 8 (protocol, src, dst, spi, encryption, key, authentication, auth key)`);
    const [proto, src, dst, spiText, enc, keyText, authText, authKeyText] = f as [string, string, string, string, string, string, string, string];
    if (proto !== 'IPv4' && proto !== 'IPv6') throw new SaError(`${where}: protocol '${proto}' is not IPv4 or IPv6`);
    const spi = /^0x[0-9a-f]+$/i.test(spiText) ? parseInt(spiText.slice(2), 16) : /^\d+$/.test(spiText) ? Number(spiText) : NaN;
    if (!(spi >= 0 && spi <= 0xffffffff)) throw new SaError(`${where}: spi '${spiText}' is not a number (0x… or decimal) in 0..0xffffffff`);
    const key = wsKey(keyText, where, 'encryption key');
    let cipher: EspCipher;
    const gcmIcv = [16, 12, 8].find((icv) => enc === wsGcm(icv));
    if (gcmIcv !== undefined) {
      const base = key.length / 2 === 36 ? 'aes-gcm-256' : 'aes-gcm-128';
      cipher = gcmIcv === 16 ? base : `${base}-icv${gcmIcv as 8 | 12}`;
    } else if (enc === WS_CBC) {
      cipher = key.length / 2 === 32 ? 'aes-cbc-256' : 'aes-cbc-128';
    } else if (enc === WS_NULL) {
      cipher = 'null';
    } else {
      throw new SaError(`${where}: encryption '${enc}' is not one virtkit has ('${wsGcm(16)}', '${wsGcm(12)}', '${wsGcm(8)}', '${WS_CBC}', '${WS_NULL}')`);
    }
    const auth = (Object.keys(WS_AUTH) as EspAuth[]).find((a) => WS_AUTH[a] === authText);
    if (!auth) throw new SaError(`${where}: authentication '${authText}' is not one virtkit has (${Object.values(WS_AUTH).map((s) => `'${s}'`).join(', ')})`);
    const sa: SecurityAssociation = { spi, cipher, ipVersion: proto === 'IPv6' ? 6 : 4 };
    if (src !== '*') sa.src = src;
    if (dst !== '*') sa.dst = dst;
    if (cipher !== 'null') sa.key = key;
    if (auth !== 'none') {
      sa.auth = auth;
      sa.authKey = wsKey(authKeyText, where, 'authentication key');
    } else if (cipher !== 'null' && CIPHER_SUITES[cipher].mode === 'cbc') {
      sa.auth = 'none';
    }
    const compiled = compileSa(sa, where).sa;
    // The IPv4 and IPv6 records formatEspSaFile writes for one SA read back as that one SA.
    const twin = out.find((o) => o.spi === spi && o.ipVersion !== compiled.ipVersion && sameSa(o, compiled) && o.src === compiled.src && o.dst === compiled.dst);
    if (twin) delete twin.ipVersion;
    else out.push(compiled);
  }
  return out;
}

/**
 * Read SAs from text: a JSON list (or `{"sa": [...]}`), else a Wireshark esp_sa file.
 * `name` (a file name) goes into error messages.
 */
export function parseSaText(text: string, name = 'sa'): SecurityAssociation[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new SaError(`${name}: not valid JSON (${(e as Error).message})`);
    }
    const list = Array.isArray(doc) ? doc : (doc as { sa?: unknown }).sa;
    if (!Array.isArray(list)) throw new SaError(`${name}: expected a JSON list of SAs or {"sa": [...]}`);
    return list.map((sa, i) => compileSa(sa as SecurityAssociation, `${name}: sa[${i}]`).sa);
  }
  return parseEspSaFile(text, name);
}
