/**
 * Capture-file speed. The frame is the 156-byte VXLAN frame of the encode suite (outer
 * Ether/IPv4 DF/UDP 4789 checksum 0/VXLAN, inner Ether/IPv4/UDP/64-byte payload), with a
 * comment on every tenth frame.
 *
 * - pcapng-write-156B         frames/s written to a file (records into a 1 MiB buffer, written
 *                             with writeSync when full; the file wraps at 256 MiB so a long
 *                             run does not fill the disk)
 * - pcapng-write-156B-buffer  the same records into a reused buffer, no I/O: the writer alone
 * - pcap-read-156B            frames/s read from a pcap in memory (DataView record headers)
 * - pcap-read-156B-binary-parser  the same with binary-parser parsing each record header
 * - pcapng-read-156B          frames/s read from a pcapng in memory (EPB + comments)
 * - decode-captures           frames/s: every frame of the real captures vendored in
 *                             fixtures/captures (tcpdump's and Zeek's test files: Ethernet,
 *                             raw IP, Linux cooked, QinQ, GRE, ERSPAN, GTP, PPPoE, Teredo, TCP
 *                             with options, fragments…) scanned by FrameView with each file's
 *                             link type, the layer count read. Only in a source checkout, where
 *                             the captures are.
 * - decode-captures-objects   the same frames through decodeFrame into layer objects.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchCase } from './harness.js';
import { benchFrame156 } from './encode.js';
import { CaptureChunker, CaptureReader, CaptureWriter, joinChunks, readCapture } from '../src/pcap/index.js';
import { decodeFrame, FrameView } from '../src/net/index.js';
import { fileURLToPath } from 'node:url';

const BATCH = 10_000;

/** fixtures/captures of a source checkout (dist/bench/ is two levels below the root). */
const CAPTURES = fileURLToPath(new URL('../../fixtures/captures', import.meta.url));

/** Every frame of every capture under `dir` (one level of subfolders), with its link type. */
function realFrames(dir: string): { data: Uint8Array; linkType: number }[] {
  const out: { data: Uint8Array; linkType: number }[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.pcap(ng)?$/.test(e.name)) for (const p of readCapture(readFileSync(join(d, e.name)))) out.push({ data: p.data, linkType: p.linkType });
    }
  };
  walk(dir);
  return out;
}

/** decode-captures and decode-captures-objects, when the vendored captures are there. */
function captureDecodeCases(): BenchCase[] {
  if (!existsSync(CAPTURES)) return [];
  const frames = realFrames(CAPTURES);
  // One view per link type, made once: scanning allocates nothing per frame.
  const views = new Map<number, FrameView>();
  for (const f of frames) if (!views.has(f.linkType)) views.set(f.linkType, new FrameView({ linkType: f.linkType }));
  const viewOf = frames.map((f) => views.get(f.linkType)!);
  const optsOf = frames.map((f) => ({ linkType: f.linkType }));
  let sink = 0;
  return [
    {
      name: 'decode-captures',
      batch: frames.length,
      fn: () => {
        let acc = 0;
        for (let i = 0; i < frames.length; i++) acc += viewOf[i]!.scan(frames[i]!.data);
        sink += acc;
      },
    },
    {
      name: 'decode-captures-objects',
      batch: frames.length,
      fn: () => {
        for (let i = 0; i < frames.length; i++) sink += decodeFrame(frames[i]!.data, optsOf[i]).layers.length;
      },
    },
  ];
}
const COMMENT = 'every tenth frame carries this comment';

/** A capture of BATCH copies of the frame, in memory. */
function captureOf(format: 'pcap' | 'pcapng', frame: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  const c = new CaptureChunker({ format }, (ch) => chunks.push(ch));
  for (let i = 0; i < BATCH; i++) c.add(frame, 1_700_000_000 + Math.floor(i / 1000), (i % 1000) * 1000, i % 10 === 0 ? COMMENT : undefined);
  c.flush();
  return joinChunks(chunks);
}

export function cases(): BenchCase[] {
  let frame: Uint8Array = new Uint8Array(0);
  const writer = new CaptureWriter({ format: 'pcapng' });
  const buf = new Uint8Array(1 << 20);
  let sec = 1_700_000_000;
  let nsec = 0;

  /** Write BATCH records; `sink` takes the full buffer when the next record might not fit. */
  function writeBatch(sink: (end: number) => void): void {
    let off = 0;
    for (let i = 0; i < BATCH; i++) {
      if (off + 512 > buf.length) {
        sink(off);
        off = 0;
      }
      nsec += 1000;
      if (nsec >= 1_000_000_000) {
        nsec = 0;
        sec++;
      }
      off = writer.writeRecord(buf, off, frame, sec, nsec, i % 10 === 0 ? COMMENT : undefined, 0);
    }
    sink(off);
  }

  let fd = -1;
  let pos = 0;
  const path = join(tmpdir(), `virtkit-bench-${process.pid}.pcapng`);
  const toFile = (end: number): void => {
    writeSync(fd, buf, 0, end, pos);
    pos += end;
    if (pos > 256 * 1024 * 1024) {
      ftruncateSync(fd, 0);
      pos = 0;
    }
  };
  let sunk = 0;
  const toNowhere = (end: number): void => {
    sunk += end;
  };

  let pcapBytes: Uint8Array = new Uint8Array(0);
  let pcapngBytes: Uint8Array = new Uint8Array(0);
  const readAll = (bytes: Uint8Array, parser: 'dataview' | 'binary-parser'): void => {
    const r = new CaptureReader({ recordParser: parser });
    r.push(bytes);
    r.end();
    let n = 0;
    for (let p = r.next(); p; p = r.next()) n += p.capturedLength;
    if (n !== BATCH * 156) throw new Error(`read ${n} bytes`);
  };

  return [
    {
      name: 'pcapng-write-156B',
      batch: BATCH,
      setup() {
        frame = benchFrame156();
        if (fd < 0) {
          fd = openSync(path, 'w');
          process.once('exit', () => {
            try {
              closeSync(fd);
              unlinkSync(path);
            } catch {
              // best effort
            }
          });
        }
        const out = new Uint8Array(writer.headerLength());
        writer.writeHeader(out, 0);
        writeSync(fd, out, 0, out.length, 0);
        pos = out.length;
      },
      fn: () => writeBatch(toFile),
    },
    {
      name: 'pcapng-write-156B-buffer',
      batch: BATCH,
      setup() {
        frame = benchFrame156();
      },
      fn: () => writeBatch(toNowhere),
    },
    {
      name: 'pcap-read-156B',
      batch: BATCH,
      setup() {
        pcapBytes = captureOf('pcap', benchFrame156());
      },
      fn: () => readAll(pcapBytes, 'dataview'),
    },
    {
      name: 'pcap-read-156B-binary-parser',
      batch: BATCH,
      setup() {
        pcapBytes = captureOf('pcap', benchFrame156());
      },
      fn: () => readAll(pcapBytes, 'binary-parser'),
    },
    {
      name: 'pcapng-read-156B',
      batch: BATCH,
      setup() {
        pcapngBytes = captureOf('pcapng', benchFrame156());
      },
      fn: () => readAll(pcapngBytes, 'dataview'),
    },
    ...captureDecodeCases(),
  ];
}
