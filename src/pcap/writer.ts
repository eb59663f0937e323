/**
 * Capture-file writers for pcap and pcapng, in the browser-safe core: they write into a caller's
 * Uint8Array at an offset and allocate nothing per packet, so the same code fills a Blob in a
 * browser and a file stream in Node (src/node/capture-file.ts).
 *
 * Output depends only on the frames, times and comments given: the clock is never read, so the
 * bytes are reproducible.
 */
import { VirtkitError } from '../errors.js';
import {
  BLOCK_HEADER,
  BLOCK_TRAILER_SIZE,
  BT_EPB,
  BT_IDB,
  BT_SHB,
  BYTE_ORDER_MAGIC,
  EPB_BODY,
  IDB_BODY,
  IF_NAME,
  IF_TSRESOL,
  LINKTYPE_ETHERNET,
  OPTION_HEADER,
  OPT_COMMENT,
  OPT_ENDOFOPT,
  EPB_FLAGS,
  PCAP_FILE_HEADER,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
  PCAP_RECORD_HEADER,
  SHB_BODY,
  SHB_USERAPPL,
  SNAPLEN,
  pad4,
} from './layout.js';
import { NS_PER_SEC, formatTime } from './time.js';
import { MAX_BLOCK } from './reader.js';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureWriterOptions {
  format: CaptureFormat;
  /** pcap only: microsecond timestamps (magic 0xa1b2c3d4) instead of nanoseconds. */
  usec?: boolean;
  /** pcapng: name of interface 0, the one packets without an interface go to. */
  interfaceName?: string;
  /** Link type of the frames (pcap header, every pcapng interface): LINKTYPE_ETHERNET (1) unless given. */
  linkType?: number;
}

export const DEFAULT_INTERFACE = 'virtkit0';
const USERAPPL = 'virtkit';
/** Captures written here are little-endian, as on the machines Wireshark mostly runs on. */
const LE = true;
const TWO32 = 4294967296;

const utf8 = new TextEncoder();

/** The longest option value pcapng can hold: its length is a 16-bit field. */
const MAX_OPTION = 0xffff;

/** An interface name pcapng cannot hold (its if_name option length would wrap) is bad input. */
function checkInterfaceName(name: string): void {
  const n = utf8.encode(name).length;
  if (n > MAX_OPTION) throw new VirtkitError(`interface name of ${n} bytes is longer than a pcapng option can hold (65535)`);
}

/**
 * The largest frame written: what the reader takes back (a record or block of up to MAX_BLOCK,
 * headers and padding included). Frames above the usual snaplen (SNAPLEN, 256 KiB) are
 * written, so that whatever decode reads builds back; tshark refuses records above 256 KiB.
 */
export const MAX_FRAME = MAX_BLOCK - 36;

/** Frames the format cannot hold are bad input, reported with their size. */
function checkFrame(frame: Uint8Array): void {
  if (frame.length > MAX_FRAME) throw new VirtkitError(`frame of ${frame.length} bytes exceeds the largest record virtkit reads back (${MAX_FRAME} bytes)`);
}

/**
 * Writes the header and records of one capture file. The caller provides the buffer; every
 * write returns the offset after what it wrote. `maxRecordLength` tells how much room a record
 * needs at most.
 */
export class CaptureWriter {
  readonly format: CaptureFormat;
  readonly usec: boolean;
  readonly linkType: number;
  /** pcapng interface names, index = interface id. */
  readonly interfaces: string[];
  /** Link type of each interface (pcapng), index = interface id; pcap: the file's one. */
  readonly linkTypes: number[];
  private readonly interfaceIds = new Map<string, number>();
  /** Split of the last pcapng timestamp (kept in fields so splitting allocates nothing). */
  private tsHigh = 0;
  private tsLow = 0;

  constructor(opts: CaptureWriterOptions) {
    this.format = opts.format;
    this.usec = opts.usec === true;
    this.linkType = opts.linkType ?? LINKTYPE_ETHERNET;
    if (!Number.isInteger(this.linkType) || this.linkType < 0 || this.linkType > 0xffff) throw new VirtkitError(`link type ${String(opts.linkType)} is not 0..65535`);
    if (this.usec && this.format !== 'pcap') throw new VirtkitError('microsecond timestamps (--usec) are for pcap only; pcapng is written in nanoseconds');
    const name = opts.interfaceName ?? DEFAULT_INTERFACE;
    checkInterfaceName(name);
    this.interfaces = [name];
    this.linkTypes = [this.linkType];
    this.interfaceIds.set(name, 0);
  }

  /** Bytes of the file header (pcap) or the section header and first interface (pcapng). */
  headerLength(): number {
    if (this.format === 'pcap') return PCAP_FILE_HEADER.size;
    return this.sectionHeaderLength() + this.interfaceBlockLength(this.interfaces[0]!);
  }

  writeHeader(buf: Uint8Array, off: number): number {
    const v = viewOf(buf);
    if (this.format === 'pcap') {
      const H = PCAP_FILE_HEADER.at;
      v.setUint32(off + H.magic, this.usec ? PCAP_MAGIC_USEC : PCAP_MAGIC_NSEC, LE);
      v.setUint16(off + H.versionMajor, 2, LE);
      v.setUint16(off + H.versionMinor, 4, LE);
      v.setUint32(off + H.thiszone, 0, LE);
      v.setUint32(off + H.sigfigs, 0, LE);
      v.setUint32(off + H.snaplen, SNAPLEN, LE);
      v.setUint32(off + H.linktype, this.linkType, LE);
      return off + PCAP_FILE_HEADER.size;
    }
    off = this.writeSectionHeader(buf, v, off);
    return this.writeInterfaceBlock(buf, off, 0);
  }

  /**
   * Interface id for a name (pcapng), adding it when new. `isNew` is set when the caller must
   * write its Interface Description Block (writeInterfaceBlock) before the next record using it.
   */
  interfaceId(name: string | undefined, linkType = this.linkType): number {
    if (name === undefined && linkType === this.linkType) return 0;
    const itfName = name ?? this.interfaces[0]!;
    // An interface is a name and a link type (a capture may name two links alike).
    const key = linkType === this.linkType ? itfName : `${itfName}\u0000${linkType}`;
    const id = this.interfaceIds.get(key);
    if (id !== undefined) return id;
    checkInterfaceName(itfName);
    if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0xffff) throw new VirtkitError(`link type ${linkType} is not 0..65535`);
    const added = this.interfaces.length;
    this.interfaces.push(itfName);
    this.linkTypes.push(linkType);
    this.interfaceIds.set(key, added);
    return added;
  }

  interfaceBlockLength(name: string): number {
    const nameLen = utf8.encode(name).length;
    return (
      BLOCK_HEADER.size +
      IDB_BODY.size +
      OPTION_HEADER.size + nameLen + pad4(nameLen) +
      OPTION_HEADER.size + 4 + // if_tsresol: 1 byte, padded
      OPTION_HEADER.size + // opt_endofopt
      BLOCK_TRAILER_SIZE
    );
  }

  /** The Interface Description Block of interface `id`: the link type, snaplen, if_name, if_tsresol 9. */
  writeInterfaceBlock(buf: Uint8Array, off: number, id: number): number {
    const v = viewOf(buf);
    const start = off;
    const name = utf8.encode(this.interfaces[id]!);
    off += BLOCK_HEADER.size;
    v.setUint16(off + IDB_BODY.at.linkType, this.linkTypes[id] ?? this.linkType, LE);
    v.setUint16(off + IDB_BODY.at.reserved, 0, LE);
    v.setUint32(off + IDB_BODY.at.snapLen, SNAPLEN, LE);
    off += IDB_BODY.size;
    off = writeOption(buf, v, off, IF_NAME, name, start);
    off = writeOptionHead(v, off, IF_TSRESOL, 1);
    v.setUint32(off, 0, LE);
    buf[off] = 9; // 10^-9 s: nanoseconds
    off += 4;
    off = writeOptionHead(v, off, OPT_ENDOFOPT, 0);
    return closeBlock(v, start, off, BT_IDB);
  }

  /** Upper bound of the bytes a record for this frame, comment (or comments) and epb_flags takes. */
  maxRecordLength(frameLength: number, comment?: string | readonly string[], flags?: number): number {
    if (this.format === 'pcap') return PCAP_RECORD_HEADER.size + frameLength;
    let n = BLOCK_HEADER.size + EPB_BODY.size + frameLength + 3 + BLOCK_TRAILER_SIZE;
    if (typeof comment === 'string') {
      if (comment.length > 0) n += 2 * OPTION_HEADER.size + comment.length * 3 + 3;
    } else if (comment !== undefined) {
      n += OPTION_HEADER.size;
      for (const c of comment) n += OPTION_HEADER.size + c.length * 3 + 3;
    }
    if (flags !== undefined) n += 2 * OPTION_HEADER.size + 4;
    return n;
  }

  /**
   * One packet record: a pcap record header and the frame, or an Enhanced Packet Block with
   * the comment as opt_comment and `flags` as epb_flags (bits 0-1: direction, 1 inbound,
   * 2 outbound); pcap has nowhere to put either, they are left out.
   */
  writeRecord(buf: Uint8Array, off: number, frame: Uint8Array, sec: number, nsec: number, comment?: string | readonly string[], interfaceId = 0, flags?: number): number {
    checkFrame(frame);
    if (sec < 0) throw new VirtkitError(`time ${formatTime(sec, nsec)} is before 1970: capture timestamps count up from 1970 (a negative if_tsoffset is not written)`);
    if (!(nsec >= 0 && nsec < NS_PER_SEC)) throw new VirtkitError(`timestamp ${sec}s ${nsec}ns is out of range`);
    const v = viewOf(buf);
    if (this.format === 'pcap') {
      if (sec >= TWO32) throw new VirtkitError(`time ${sec} s does not fit a pcap timestamp (32-bit seconds)`);
      const R = PCAP_RECORD_HEADER.at;
      v.setUint32(off + R.tsSec, sec, LE);
      v.setUint32(off + R.tsFrac, this.usec ? Math.floor(nsec / 1000) : nsec, LE);
      v.setUint32(off + R.capLen, frame.length, LE);
      v.setUint32(off + R.origLen, frame.length, LE);
      off += PCAP_RECORD_HEADER.size;
      buf.set(frame, off);
      return off + frame.length;
    }
    const start = off;
    this.splitNanoseconds(sec, nsec);
    off += BLOCK_HEADER.size;
    const E = EPB_BODY.at;
    v.setUint32(off + E.interfaceId, interfaceId, LE);
    v.setUint32(off + E.tsHigh, this.tsHigh, LE);
    v.setUint32(off + E.tsLow, this.tsLow, LE);
    v.setUint32(off + E.capLen, frame.length, LE);
    v.setUint32(off + E.origLen, frame.length, LE);
    off += EPB_BODY.size;
    buf.set(frame, off);
    off += frame.length;
    off = zeroPad(buf, off, start);
    let options = false;
    if (typeof comment === 'string') {
      if (comment.length > 0) {
        off = writeComment(buf, v, off, comment, start);
        options = true;
      }
    } else if (comment !== undefined && comment.length > 0) {
      // Several opt_comment options, in order (what decode gives for a packet with several).
      for (const c of comment) off = writeComment(buf, v, off, c, start);
      options = true;
    }
    if (flags !== undefined) {
      off = writeOptionHead(v, off, EPB_FLAGS, 4);
      v.setUint32(off, flags, LE);
      off += 4;
      options = true;
    }
    if (options) off = writeOptionHead(v, off, OPT_ENDOFOPT, 0);
    return closeBlock(v, start, off, BT_EPB);
  }

  private sectionHeaderLength(): number {
    return BLOCK_HEADER.size + SHB_BODY.size + OPTION_HEADER.size + USERAPPL.length + pad4(USERAPPL.length) + OPTION_HEADER.size + BLOCK_TRAILER_SIZE;
  }

  private writeSectionHeader(buf: Uint8Array, v: DataView, off: number): number {
    const start = off;
    off += BLOCK_HEADER.size;
    const S = SHB_BODY.at;
    v.setUint32(off + S.byteOrderMagic, BYTE_ORDER_MAGIC, LE);
    v.setUint16(off + S.versionMajor, 1, LE);
    v.setUint16(off + S.versionMinor, 0, LE);
    // Section length -1: "not specified", which lets the file be written as a stream.
    v.setUint32(off + S.sectionLengthA, 0xffffffff, LE);
    v.setUint32(off + S.sectionLengthB, 0xffffffff, LE);
    off += SHB_BODY.size;
    off = writeOption(buf, v, off, SHB_USERAPPL, utf8.encode(USERAPPL), start);
    off = writeOptionHead(v, off, OPT_ENDOFOPT, 0);
    return closeBlock(v, start, off, BT_SHB);
  }

  /**
   * sec·10^9 + nsec as two 32-bit halves, exactly, without a bigint: the product is built from
   * 16-bit pieces so every intermediate stays below 2^53.
   */
  private splitNanoseconds(sec: number, nsec: number): void {
    const secHi = Math.floor(sec / 65536);
    const secLo = sec - secHi * 65536;
    const a = secHi * NS_PER_SEC; // times 2^16 below
    const b = secLo * NS_PER_SEC + nsec;
    const aHi = Math.floor(a / 65536);
    let lo = (a - aHi * 65536) * 65536 + (b % TWO32);
    let hi = aHi + Math.floor(b / TWO32);
    if (lo >= TWO32) {
      lo -= TWO32;
      hi += 1;
    }
    if (hi >= TWO32) throw new VirtkitError(`time ${sec} s is beyond a 64-bit nanosecond timestamp`);
    this.tsHigh = hi;
    this.tsLow = lo;
  }
}

// One DataView per distinct buffer: callers reuse their buffers, so this is a cache hit.
let lastBuf: Uint8Array | undefined;
let lastView: DataView | undefined;
function viewOf(buf: Uint8Array): DataView {
  if (buf !== lastBuf || lastView === undefined) {
    lastBuf = buf;
    lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return lastView;
}

/**
 * UTF-8 of `text` at `off`; returns the byte count. ASCII (the usual comment) is copied char by
 * char, which is several times faster than a TextEncoder call plus the subarray it needs.
 */
function writeUtf8(buf: Uint8Array, off: number, text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return utf8.encodeInto(text, buf.subarray(off, off + n * 3)).written;
    buf[off + i] = c;
  }
  return n;
}

/** One opt_comment: the UTF-8 encoded straight into place, then its length filled in. */
function writeComment(buf: Uint8Array, v: DataView, off: number, comment: string, blockStart: number): number {
  const valueAt = off + OPTION_HEADER.size;
  const written = writeUtf8(buf, valueAt, comment);
  if (written > MAX_OPTION) throw new VirtkitError(`comment of ${written} bytes is longer than a pcapng option can hold (65535)`);
  writeOptionHead(v, off, OPT_COMMENT, written);
  return zeroPad(buf, valueAt + written, blockStart);
}

function writeOptionHead(v: DataView, off: number, code: number, length: number): number {
  v.setUint16(off + OPTION_HEADER.at.code, code, LE);
  v.setUint16(off + OPTION_HEADER.at.length, length, LE);
  return off + OPTION_HEADER.size;
}

function writeOption(buf: Uint8Array, v: DataView, off: number, code: number, value: Uint8Array, blockStart: number): number {
  off = writeOptionHead(v, off, code, value.length);
  buf.set(value, off);
  return zeroPad(buf, off + value.length, blockStart);
}

/** Zero bytes up to the next multiple of 4 counted from the block's start. */
function zeroPad(buf: Uint8Array, off: number, blockStart: number): number {
  for (let n = pad4(off - blockStart); n > 0; n--) buf[off++] = 0;
  return off;
}

/** Fill in type and total length at the start and the total length again as the trailer. */
function closeBlock(v: DataView, start: number, off: number, type: number): number {
  const total = off - start + BLOCK_TRAILER_SIZE;
  if (total > MAX_BLOCK) throw new VirtkitError(`a block of ${total} bytes (frame and options) exceeds the largest virtkit reads back (${MAX_BLOCK})`);
  v.setUint32(start + BLOCK_HEADER.at.type, type, LE);
  v.setUint32(start + BLOCK_HEADER.at.totalLength, total, LE);
  v.setUint32(off, total, LE);
  return off + BLOCK_TRAILER_SIZE;
}
