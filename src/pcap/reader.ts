/**
 * Reads pcap (either byte order, micro- or nanoseconds) and pcapng (any number of sections, each
 * in its own byte order, any number of interfaces; EPB, SPB, the obsolete PB, comments, if_tsresol in both its
 * 10^-n and 2^-n forms, if_tsoffset; other block types skipped by their length).
 *
 * It is a pull parser fed with chunks, so a file of any size streams through in bounded memory:
 * push(chunk) bytes as they arrive, call next() until it returns null (needs more), and end()
 * when the input is over. A damaged file throws a CaptureError with the byte offset of the
 * damage, after next() has returned every packet before it.
 *
 * binary-parser reads the headers met once per file, section or interface. The per-packet
 * headers are read at the same layouts' offsets with a DataView by default: binary-parser's
 * parse() makes a DataView and a result object per call (see bench/pcap.ts,
 * `pcap-read-156B-binary-parser`, for the comparison); `recordParser: 'binary-parser'` selects it.
 */
import {
  BLOCK_HEADER,
  BT_EPB,
  BT_IDB,
  BT_PB,
  BT_SHB,
  BT_SPB,
  BYTE_ORDER_MAGIC,
  EPB_BODY,
  IDB_BODY,
  IF_NAME,
  IF_TSOFFSET,
  IF_TSRESOL,
  OPTION_HEADER,
  OPT_COMMENT,
  OPT_ENDOFOPT,
  PB_BODY,
  PCAP_FILE_HEADER,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_NSEC_SWAPPED,
  PCAP_MAGIC_USEC,
  PCAP_MAGIC_USEC_SWAPPED,
  PCAP_RECORD_HEADER,
  SHB_BODY,
  SPB_BODY,
  pad4,
} from './layout.js';
import { CaptureError } from './errors.js';
import { NS_PER_SEC } from './time.js';

/** Largest record or block accepted; beyond it a length field is taken to be damage. */
export const MAX_BLOCK = 16 * 1024 * 1024;
const TWO32 = 4294967296;

export interface CaptureInterface {
  name: string | undefined;
  linkType: number;
  snapLen: number;
  /** Timestamp units per second when it fits a fast exact path (10^4..10^9), else 0. */
  unitsPerSecond: number;
  /** The same as a bigint, for every resolution. */
  unitsPerSecondBig: bigint;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffset: number;
  /** The same, exactly (a 64-bit signed count of seconds). */
  tsOffsetBig?: bigint;
}

/**
 * The packet next() returned. The reader reuses this object and its `buffer`; copy what you
 * keep (`data` is a view, valid until the next push()).
 */
export class CaptureRecord {
  /** Byte offset of the record or block in the file. */
  offset = 0;
  /** Index of the packet in the file, from 0. */
  index = -1;
  /** pcapng section (from 0) and interface within it; 0 for pcap. */
  section = 0;
  interfaceId = 0;
  linkType = 1;
  sec = 0;
  /**
   * The seconds exactly, set only when they are beyond ±2^53 (a pcapng timestamp in whole
   * seconds, or a large if_tsoffset), where `sec` is rounded.
   */
  secBig: bigint | undefined = undefined;
  nsec = 0;
  /** False for a Simple Packet Block, which has no timestamp (sec and nsec are then 0). */
  hasTime = true;
  capturedLength = 0;
  originalLength = 0;
  /** The packet's comments joined with newlines (pcapng opt_comment; pcap has none). */
  comment: string | undefined = undefined;
  /** Each comment on its own when there are several (else undefined: see `comment`). */
  comments: string[] | undefined = undefined;
  buffer: Uint8Array = new Uint8Array(0);
  dataStart = 0;
  get data(): Uint8Array {
    return this.buffer.subarray(this.dataStart, this.dataStart + this.capturedLength);
  }
}

export interface CaptureReaderOptions {
  recordParser?: 'dataview' | 'binary-parser';
}

const utf8 = new TextDecoder('utf-8');

/** One more opt_comment of the record being read. */
function addComment(r: CaptureRecord, c: string): void {
  if (r.comment === undefined) {
    r.comment = c;
    return;
  }
  if (r.comments === undefined) r.comments = [r.comment];
  r.comments.push(c);
  r.comment = r.comment + '\n' + c;
}

export class CaptureReader {
  /** Known after the first 4 bytes. */
  format: 'pcap' | 'pcapng' | undefined;
  /** pcap: microsecond (true) or nanosecond timestamps. */
  usec = false;
  /** Byte order of the current pcap file or pcapng section. */
  littleEndian = true;
  /** pcapng interfaces of the current section (pcap: one, from the file header). */
  interfaces: CaptureInterface[] = [];
  sections = 0;
  readonly record = new CaptureRecord();
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  /** Next unread byte in buf, and file offset of buf[0]. */
  private pos = 0;
  private base = 0;
  private headerDone = false;
  private ended = false;
  private readonly useParser: boolean;

  constructor(opts: CaptureReaderOptions = {}) {
    this.useParser = opts.recordParser === 'binary-parser';
  }

  /** Add bytes. The reader keeps a reference to `chunk` (do not modify it afterwards). */
  push(chunk: Uint8Array): void {
    const rest = this.buf.length - this.pos;
    if (rest === 0) {
      this.base += this.buf.length;
      this.buf = chunk;
    } else {
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.buf.subarray(this.pos), 0);
      joined.set(chunk, rest);
      this.base += this.pos;
      this.buf = joined;
    }
    this.pos = 0;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Mark the input as complete: next() then reports a record cut short instead of waiting. */
  end(): void {
    this.ended = true;
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /**
   * The next packet, or null when more input is needed (before end()) or the file is over
   * (after end()). Throws CaptureError on damage.
   */
  next(): CaptureRecord | null {
    if (!this.headerDone && !this.readFileHeader()) return null;
    if (this.format === 'pcap') return this.nextPcap();
    return this.nextPcapng();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private available(): number {
    return this.buf.length - this.pos;
  }

  /** Not enough bytes for `need` at the current position: wait, or report the cut. */
  private short(need: number, what: string): null {
    if (this.ended && this.available() > 0) {
      throw new CaptureError(this.offset, `${what} cut short: needs ${need} bytes, ${this.available()} present`);
    }
    return null;
  }

  private u32(at: number): number {
    return this.view.getUint32(at, this.littleEndian);
  }

  private readFileHeader(): boolean {
    if (this.available() < 4) {
      if (this.ended) throw new CaptureError(this.offset, this.available() === 0 ? 'empty file: no capture header' : 'file too short for a capture header');
      return false;
    }
    const magic = this.view.getUint32(this.pos, true);
    if (magic === BT_SHB) {
      this.format = 'pcapng';
      this.headerDone = true;
      return true;
    }
    let le: boolean;
    switch (magic) {
      case PCAP_MAGIC_USEC: le = true; this.usec = true; break;
      case PCAP_MAGIC_NSEC: le = true; this.usec = false; break;
      case PCAP_MAGIC_USEC_SWAPPED: le = false; this.usec = true; break;
      case PCAP_MAGIC_NSEC_SWAPPED: le = false; this.usec = false; break;
      default:
        throw new CaptureError(this.offset, `bad magic 0x${magic.toString(16).padStart(8, '0')}: not a pcap or pcapng file`);
    }
    if (this.available() < PCAP_FILE_HEADER.size) {
      if (this.ended) this.short(PCAP_FILE_HEADER.size, 'pcap file header');
      return false;
    }
    const h = PCAP_FILE_HEADER.parser(le).parse(this.buf.subarray(this.pos, this.pos + PCAP_FILE_HEADER.size)) as Record<string, number>;
    if (h.versionMajor !== 2) throw new CaptureError(this.offset + PCAP_FILE_HEADER.at.versionMajor, `pcap version ${h.versionMajor}.${h.versionMinor} is not 2.x`);
    this.format = 'pcap';
    this.littleEndian = le;
    this.interfaces = [
      {
        name: undefined,
        // The upper bits of the link-type field carry FCS information (pcap spec); the type is the low 16.
        linkType: h.linktype! & 0xffff,
        snapLen: h.snaplen!,
        unitsPerSecond: this.usec ? 1_000_000 : NS_PER_SEC,
        unitsPerSecondBig: this.usec ? 1_000_000n : 1_000_000_000n,
        tsOffset: 0,
      },
    ];
    this.pos += PCAP_FILE_HEADER.size;
    this.headerDone = true;
    return true;
  }

  private nextPcap(): CaptureRecord | null {
    const start = this.pos;
    if (this.available() < PCAP_RECORD_HEADER.size) return this.available() === 0 ? null : this.short(PCAP_RECORD_HEADER.size, 'record header');
    let tsSec: number, tsFrac: number, capLen: number, origLen: number;
    if (this.useParser) {
      const h = PCAP_RECORD_HEADER.parser(this.littleEndian).parse(this.buf.subarray(start, start + PCAP_RECORD_HEADER.size)) as Record<string, number>;
      tsSec = h.tsSec!;
      tsFrac = h.tsFrac!;
      capLen = h.capLen!;
      origLen = h.origLen!;
    } else {
      const R = PCAP_RECORD_HEADER.at;
      tsSec = this.u32(start + R.tsSec);
      tsFrac = this.u32(start + R.tsFrac);
      capLen = this.u32(start + R.capLen);
      origLen = this.u32(start + R.origLen);
    }
    if (capLen > MAX_BLOCK) throw new CaptureError(this.offset, `record claims ${capLen} captured bytes, more than any capture holds`);
    const need = PCAP_RECORD_HEADER.size + capLen;
    if (this.available() < need) return this.short(need, 'record');
    // A fraction of a second or more is out of spec, but tshark reads such files: carry the
    // whole seconds over rather than stop the decode (the time stays exact).
    const perSecond = this.usec ? 1_000_000 : NS_PER_SEC;
    if (tsFrac >= perSecond) {
      const carry = Math.floor(tsFrac / perSecond);
      tsSec += carry;
      tsFrac -= carry * perSecond;
    }
    const r = this.record;
    r.offset = this.offset;
    r.index++;
    r.section = 0;
    r.interfaceId = 0;
    r.linkType = this.interfaces[0]!.linkType;
    r.sec = tsSec;
    r.secBig = undefined;
    r.nsec = this.usec ? tsFrac * 1000 : tsFrac;
    r.hasTime = true;
    r.capturedLength = capLen;
    r.originalLength = origLen;
    r.comment = undefined;
    r.comments = undefined;
    r.buffer = this.buf;
    r.dataStart = start + PCAP_RECORD_HEADER.size;
    this.pos = start + need;
    return r;
  }

  private nextPcapng(): CaptureRecord | null {
    for (;;) {
      const start = this.pos;
      if (this.available() < 12) return this.available() === 0 ? null : this.short(12, 'block');
      const type = this.view.getUint32(start, this.littleEndian);
      if (type === BT_SHB) {
        // The byte order of the length is the section's, given by the magic that follows it.
        const bom = this.view.getUint32(start + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.littleEndian = true;
        else if (bom === 0x4d3c2b1a) this.littleEndian = false;
        else throw new CaptureError(this.offset + 8, `bad byte-order magic 0x${bom.toString(16).padStart(8, '0')} in section header`);
      } else if (start === 0 && this.base === 0) {
        throw new CaptureError(0, 'a pcapng file must start with a section header block');
      }
      const total = this.u32(start + BLOCK_HEADER.at.totalLength);
      if (total < 12 || (total & 3) !== 0 || total > MAX_BLOCK) {
        throw new CaptureError(this.offset, `block length ${total} is not a multiple of 4 between 12 and ${MAX_BLOCK}`);
      }
      if (this.available() < total) return this.short(total, `block of type 0x${type.toString(16)}`);
      const trailer = this.u32(start + total - 4);
      if (trailer !== total) throw new CaptureError(this.offset, `block length ${total} disagrees with its trailer ${trailer}`);
      const r = type === BT_EPB ? this.enhancedPacket(start, total) : this.block(type, start, total);
      this.pos = start + total;
      if (r) return r;
    }
  }

  /**
   * An Enhanced Packet Block, the hot path: kept apart from the other blocks, whose option
   * callbacks would otherwise make every call allocate a closure context.
   */
  private enhancedPacket(start: number, total: number): CaptureRecord {
    const body = start + BLOCK_HEADER.size;
    const end = start + total - 4;
    if (total < BLOCK_HEADER.size + EPB_BODY.size + 4) throw new CaptureError(this.offset, `enhanced packet block of ${total} bytes is too short`);
    let id: number, tsHigh: number, tsLow: number, capLen: number, origLen: number;
    if (this.useParser) {
      const e = EPB_BODY.parser(this.littleEndian).parse(this.buf.subarray(body, body + EPB_BODY.size)) as Record<string, number>;
      id = e.interfaceId!;
      tsHigh = e.tsHigh!;
      tsLow = e.tsLow!;
      capLen = e.capLen!;
      origLen = e.origLen!;
    } else {
      const E = EPB_BODY.at;
      id = this.u32(body + E.interfaceId);
      tsHigh = this.u32(body + E.tsHigh);
      tsLow = this.u32(body + E.tsLow);
      capLen = this.u32(body + E.capLen);
      origLen = this.u32(body + E.origLen);
    }
    const dataStart = body + EPB_BODY.size;
    if (dataStart + capLen > end) throw new CaptureError(this.offset, `enhanced packet block of ${total} bytes cannot hold ${capLen} captured bytes`);
    const itf = this.interfaces[id];
    if (!itf) throw new CaptureError(this.offset, `packet refers to interface ${id}, but the section describes ${this.interfaces.length}`);
    const r = this.record;
    this.setTime(r, itf, tsHigh, tsLow);
    r.hasTime = true;
    r.comment = undefined;
    r.comments = undefined;
    // Options walked inline (no closure per packet): only comments matter here.
    let at = dataStart + capLen + pad4(capLen);
    while (at + OPTION_HEADER.size <= end) {
      const code = this.view.getUint16(at + OPTION_HEADER.at.code, this.littleEndian);
      const len = this.view.getUint16(at + OPTION_HEADER.at.length, this.littleEndian);
      if (code === OPT_ENDOFOPT) break;
      const valueAt = at + OPTION_HEADER.size;
      if (valueAt + len > end) throw new CaptureError(this.base + at, `option ${code} of ${len} bytes runs past the end of its block`);
      if (code === OPT_COMMENT) addComment(r, utf8.decode(this.buf.subarray(valueAt, valueAt + len)));
      at = valueAt + len + pad4(len);
    }
    return this.fill(r, id, itf, capLen, origLen, dataStart);
  }

  /** Handle one complete block other than an EPB; returns the record for an SPB. */
  private block(type: number, start: number, total: number): CaptureRecord | null {
    const body = start + BLOCK_HEADER.size;
    const end = start + total - 4;
    switch (type) {
      case BT_SHB: {
        // The length is checked before the body is read: a short block is damage, not a RangeError.
        if (total < BLOCK_HEADER.size + SHB_BODY.size + 4) throw new CaptureError(this.offset, `section header of ${total} bytes is too short (at least ${BLOCK_HEADER.size + SHB_BODY.size + 4})`);
        const s = SHB_BODY.parser(this.littleEndian).parse(this.buf.subarray(body, body + SHB_BODY.size)) as Record<string, number>;
        if (s.versionMajor !== 1) throw new CaptureError(this.offset + BLOCK_HEADER.size + SHB_BODY.at.versionMajor, `pcapng version ${s.versionMajor}.${s.versionMinor} is not 1.x`);
        // Its options are walked for their bounds only (shb_hardware, shb_os, shb_userappl…).
        this.options(body + SHB_BODY.size, end, () => undefined);
        this.sections++;
        this.interfaces = [];
        return null;
      }
      case BT_IDB: {
        if (total < BLOCK_HEADER.size + IDB_BODY.size + 4) throw new CaptureError(this.offset, `interface description of ${total} bytes is too short`);
        const d = IDB_BODY.parser(this.littleEndian).parse(this.buf.subarray(body, body + IDB_BODY.size)) as Record<string, number>;
        const itf: CaptureInterface = {
          name: undefined,
          linkType: d.linkType!,
          snapLen: d.snapLen!,
          unitsPerSecond: 1_000_000,
          unitsPerSecondBig: 1_000_000n,
          tsOffset: 0,
        };
        this.options(body + IDB_BODY.size, end, (code, at, len) => {
          if (code === IF_NAME) itf.name = utf8.decode(this.buf.subarray(at, at + len));
          else if (code === IF_TSRESOL && len >= 1) {
            const v = this.buf[at]!;
            const big = v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
            itf.unitsPerSecondBig = big;
            itf.unitsPerSecond = big >= 10_000n && big <= 1_000_000_000n ? Number(big) : 0;
          } else if (code === IF_TSOFFSET && len >= 8) {
            const hi = this.view.getInt32(at + (this.littleEndian ? 4 : 0), this.littleEndian);
            const lo = this.view.getUint32(at + (this.littleEndian ? 0 : 4), this.littleEndian);
            itf.tsOffset = hi * TWO32 + lo;
            itf.tsOffsetBig = (BigInt(hi) << 32n) + BigInt(lo);
          }
        });
        this.interfaces.push(itf);
        return null;
      }
      case BT_PB: {
        if (total < BLOCK_HEADER.size + PB_BODY.size + 4) throw new CaptureError(this.offset, `packet block of ${total} bytes is too short`);
        const P = PB_BODY.at;
        const id = this.view.getUint16(body + P.interfaceId, this.littleEndian);
        const capLen = this.u32(body + P.capLen);
        const origLen = this.u32(body + P.origLen);
        const dataStart = body + PB_BODY.size;
        if (dataStart + capLen > end) throw new CaptureError(this.offset, `packet block of ${total} bytes cannot hold ${capLen} captured bytes`);
        const itf = this.interfaces[id];
        if (!itf) throw new CaptureError(this.offset, `packet refers to interface ${id}, but the section describes ${this.interfaces.length}`);
        const r = this.record;
        this.setTime(r, itf, this.u32(body + P.tsHigh), this.u32(body + P.tsLow));
        r.hasTime = true;
        r.comment = undefined;
    r.comments = undefined;
        this.options(dataStart + capLen + pad4(capLen), end, (code, at, len) => {
          if (code === OPT_COMMENT) addComment(r, utf8.decode(this.buf.subarray(at, at + len)));
        });
        return this.fill(r, id, itf, capLen, origLen, dataStart);
      }
      case BT_SPB: {
        if (total < BLOCK_HEADER.size + SPB_BODY.size + 4) throw new CaptureError(this.offset, `simple packet block of ${total} bytes is too short`);
        const itf = this.interfaces[0];
        if (!itf) throw new CaptureError(this.offset, 'simple packet block before any interface description');
        const origLen = this.u32(body + SPB_BODY.at.origLen);
        const dataStart = body + SPB_BODY.size;
        // Captured length: the original length cut to the snap length and to the block.
        let capLen = origLen;
        if (itf.snapLen !== 0 && capLen > itf.snapLen) capLen = itf.snapLen;
        if (capLen > end - dataStart) throw new CaptureError(this.offset, `simple packet block of ${total} bytes cannot hold ${capLen} bytes`);
        const r = this.record;
        r.sec = 0;
        r.secBig = undefined;
        r.nsec = 0;
        r.hasTime = false;
        r.comment = undefined;
    r.comments = undefined;
        return this.fill(r, 0, itf, capLen, origLen, dataStart);
      }
      default:
        return null; // Name resolution, statistics, secrets, custom...: skipped by their length.
    }
  }

  private fill(r: CaptureRecord, id: number, itf: CaptureInterface, capLen: number, origLen: number, dataStart: number): CaptureRecord {
    r.offset = this.offset;
    r.index++;
    r.section = this.sections - 1;
    r.interfaceId = id;
    r.linkType = itf.linkType;
    r.capturedLength = capLen;
    r.originalLength = origLen;
    r.buffer = this.buf;
    r.dataStart = dataStart;
    return r;
  }

  /** Walk the options between `at` and `end`, calling `each(code, valueAt, length)`. */
  private options(at: number, end: number, each: (code: number, valueAt: number, length: number) => void): void {
    while (at + OPTION_HEADER.size <= end) {
      const code = this.view.getUint16(at + OPTION_HEADER.at.code, this.littleEndian);
      const len = this.view.getUint16(at + OPTION_HEADER.at.length, this.littleEndian);
      if (code === OPT_ENDOFOPT) return;
      const valueAt = at + OPTION_HEADER.size;
      if (valueAt + len > end) throw new CaptureError(this.base + at, `option ${code} of ${len} bytes runs past the end of its block`);
      each(code, valueAt, len);
      at = valueAt + len + pad4(len);
    }
  }

  /** 64-bit timestamp in interface units → seconds + nanoseconds, exactly. */
  private setTime(r: CaptureRecord, itf: CaptureInterface, hi: number, lo: number): void {
    const d = itf.unitsPerSecond;
    if (d !== 0) {
      // Long division of the four 16-bit limbs by d: every step stays below 2^53.
      let rem = 0;
      let q = 0;
      let cur = rem * 65536 + (hi >>> 16);
      let qd = Math.floor(cur / d);
      rem = cur - qd * d;
      q = qd;
      cur = rem * 65536 + (hi & 0xffff);
      qd = Math.floor(cur / d);
      rem = cur - qd * d;
      q = q * 65536 + qd;
      cur = rem * 65536 + (lo >>> 16);
      qd = Math.floor(cur / d);
      rem = cur - qd * d;
      q = q * 65536 + qd;
      cur = rem * 65536 + (lo & 0xffff);
      qd = Math.floor(cur / d);
      rem = cur - qd * d;
      q = q * 65536 + qd;
      r.nsec = d === NS_PER_SEC ? rem : Math.floor((rem * NS_PER_SEC) / d);
      const sec = q + itf.tsOffset;
      if (Number.isSafeInteger(sec)) {
        r.sec = sec;
        r.secBig = undefined;
      } else this.setBigSeconds(r, BigInt(q) + (itf.tsOffsetBig ?? 0n));
      return;
    }
    // Other resolutions (2^-n, or finer than a nanosecond): exact in bigints, truncated to ns.
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    const per = itf.unitsPerSecondBig;
    r.nsec = Number(((units % per) * 1_000_000_000n) / per);
    this.setBigSeconds(r, units / per + (itf.tsOffsetBig ?? 0n));
  }

  /** Seconds that may pass 2^53: `sec` rounded, `secBig` exact when they do. */
  private setBigSeconds(r: CaptureRecord, sec: bigint): void {
    r.sec = Number(sec);
    r.secBig = Number.isSafeInteger(r.sec) ? undefined : sec;
  }
}

/** A packet as readAll() returns it: copied out of the reader's buffers. */
export interface CapturedPacket {
  sec: number;
  nsec: number;
  hasTime: boolean;
  data: Uint8Array;
  originalLength: number;
  linkType: number;
  interfaceId: number;
  interfaceName: string | undefined;
  comment: string | undefined;
  /** Each comment when there are several. */
  comments?: string[];
}

/** A real copy, also when the input was a Node Buffer (whose slice() is a view). */
function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

export function copyRecord(r: CaptureRecord, reader: CaptureReader): CapturedPacket {
  return {
    sec: r.sec,
    nsec: r.nsec,
    hasTime: r.hasTime,
    data: copyBytes(r.data),
    originalLength: r.originalLength,
    linkType: r.linkType,
    interfaceId: r.interfaceId,
    interfaceName: reader.interfaces[r.interfaceId]?.name,
    comment: r.comment,
    ...(r.comments ? { comments: [...r.comments] } : {}),
  };
}

/**
 * Every packet of a capture held in memory. On damage it throws a CaptureError whose `packets`
 * holds the packets before the damage.
 */
export function readCapture(bytes: Uint8Array, opts: CaptureReaderOptions = {}): CapturedPacket[] {
  const reader = new CaptureReader(opts);
  reader.push(bytes);
  reader.end();
  const out: CapturedPacket[] = [];
  try {
    for (let r = reader.next(); r; r = reader.next()) out.push(copyRecord(r, reader));
  } catch (e) {
    if (e instanceof CaptureError) e.packets = out;
    throw e;
  }
  return out;
}
