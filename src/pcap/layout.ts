/**
 * The on-disk layouts of pcap and pcapng, each described once. From a description come
 * - the field offsets (`at`) the writer and the hot read path use, and
 * - binary-parser parsers (little- and big-endian) that the reader uses for the blocks it sees
 *   once per section or interface.
 *
 * References: the pcap format (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng).
 */
import { Parser } from 'binary-parser';

export type FieldKind = 'u16' | 'u32';

const WIDTH: Record<FieldKind, number> = { u16: 2, u32: 4 };

/**
 * What a layout's compiled parser offers: parse the layout's bytes into a record of its
 * fields. (binary-parser's own Parser type stays inside: its types would leak into the
 * package's declarations, which a strict TypeScript project could then not resolve.)
 */
export interface LayoutParser {
  parse(bytes: Uint8Array): unknown;
}

export interface Layout<F extends string> {
  readonly name: string;
  /** Bytes the fields take together. */
  readonly size: number;
  /** Byte offset of each field from the start of the layout. */
  readonly at: Readonly<Record<F, number>>;
  readonly fields: readonly (readonly [F, FieldKind])[];
  /** A compiled binary-parser for this layout in the given byte order. */
  parser(littleEndian: boolean): LayoutParser;
}

export function defineLayout<F extends string>(name: string, fields: readonly (readonly [F, FieldKind])[]): Layout<F> {
  const at = {} as Record<F, number>;
  let size = 0;
  for (const [f, k] of fields) {
    at[f] = size;
    size += WIDTH[k];
  }
  const parsers: (Parser | undefined)[] = [undefined, undefined];
  return {
    name,
    size,
    at,
    fields,
    parser(littleEndian) {
      const i = littleEndian ? 1 : 0;
      let p = parsers[i];
      if (!p) {
        p = new Parser().endianness(littleEndian ? 'little' : 'big');
        for (const [f, k] of fields) p = k === 'u16' ? p.uint16(f) : p.uint32(f);
        p.compile();
        parsers[i] = p;
      }
      return p;
    },
  };
}

// ---- pcap ----------------------------------------------------------------------------------

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** The magics as they read when the file's byte order is the other one. */
export const PCAP_MAGIC_USEC_SWAPPED = 0xd4c3b2a1;
export const PCAP_MAGIC_NSEC_SWAPPED = 0x4d3cb2a1;
export const LINKTYPE_ETHERNET = 1;
/**
 * The capture link types virtkit reads and writes (tcpdump.org/linktypes.html), by number, with
 * the names `build --linktype` takes and `decode` prints.
 */
export const LINKTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'null'],
  [1, 'ethernet'],
  [101, 'raw'],
  [113, 'linux_sll'],
  [228, 'ipv4'],
  [229, 'ipv6'],
  [276, 'linux_sll2'],
]);

/** A link type given as a number or one of LINKTYPE_NAMES (case-insensitive); undefined if neither. */
export function parseLinkType(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 0xffff ? n : undefined;
  }
  for (const [n, name] of LINKTYPE_NAMES) if (name === text.toLowerCase()) return n;
  return undefined;
}

/** "113 (linux_sll)", or the number alone for a link type without a name here. */
export function linkTypeText(n: number): string {
  const name = LINKTYPE_NAMES.get(n);
  return name ? `${n} (${name})` : String(n);
}
export const SNAPLEN = 262144;

export const PCAP_FILE_HEADER = defineLayout('pcap file header', [
  ['magic', 'u32'],
  ['versionMajor', 'u16'],
  ['versionMinor', 'u16'],
  ['thiszone', 'u32'],
  ['sigfigs', 'u32'],
  ['snaplen', 'u32'],
  ['linktype', 'u32'],
] as const);

export const PCAP_RECORD_HEADER = defineLayout('pcap record header', [
  ['tsSec', 'u32'],
  ['tsFrac', 'u32'],
  ['capLen', 'u32'],
  ['origLen', 'u32'],
] as const);

// ---- pcapng --------------------------------------------------------------------------------

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_SPB = 0x00000003;
/** The obsolete Packet Block, which the EPB replaced; old writers still made them and readers still read them. */
export const BT_PB = 0x00000002;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const SHB_USERAPPL = 4;
export const IF_NAME = 2;
/** Enhanced Packet Block option: 32 flag bits, bits 0-1 the direction (1 inbound, 2 outbound). */
export const EPB_FLAGS = 2;
export const IF_TSRESOL = 9;
export const IF_TSOFFSET = 14;

/** Every block starts with type and total length and ends with the total length again. */
export const BLOCK_HEADER = defineLayout('pcapng block header', [
  ['type', 'u32'],
  ['totalLength', 'u32'],
] as const);
export const BLOCK_TRAILER_SIZE = 4;

/** Section Header Block body (after the block header). Section length is a signed 64-bit -1. */
export const SHB_BODY = defineLayout('pcapng section header', [
  ['byteOrderMagic', 'u32'],
  ['versionMajor', 'u16'],
  ['versionMinor', 'u16'],
  ['sectionLengthA', 'u32'],
  ['sectionLengthB', 'u32'],
] as const);

/** Interface Description Block body. */
export const IDB_BODY = defineLayout('pcapng interface description', [
  ['linkType', 'u16'],
  ['reserved', 'u16'],
  ['snapLen', 'u32'],
] as const);

/** Enhanced Packet Block body before the packet data. */
export const EPB_BODY = defineLayout('pcapng enhanced packet', [
  ['interfaceId', 'u32'],
  ['tsHigh', 'u32'],
  ['tsLow', 'u32'],
  ['capLen', 'u32'],
  ['origLen', 'u32'],
] as const);

/** Obsolete Packet Block body before the packet data: a 16-bit interface id and drop count. */
export const PB_BODY = defineLayout('pcapng packet block', [
  ['interfaceId', 'u16'],
  ['dropsCount', 'u16'],
  ['tsHigh', 'u32'],
  ['tsLow', 'u32'],
  ['capLen', 'u32'],
  ['origLen', 'u32'],
] as const);

/** Simple Packet Block body before the packet data. */
export const SPB_BODY = defineLayout('pcapng simple packet', [['origLen', 'u32']] as const);

/** Option header: code and value length (the value is padded to 4 bytes). */
export const OPTION_HEADER = defineLayout('pcapng option', [
  ['code', 'u16'],
  ['length', 'u16'],
] as const);

/** Bytes to add to n to reach a multiple of 4. */
export function pad4(n: number): number {
  return (4 - (n & 3)) & 3;
}
