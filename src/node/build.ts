/**
 * Spec packets → capture file: each packet's layers are encoded (src/net), stamped (its `time`,
 * or the previous time plus a fixed step) and streamed to the file. Also what `virtkit demo`
 * uses to write out/demo.pcapng.
 */
import { VirtkitError } from '../errors.js';
import { encodeFrame, linkTypeMismatch } from '../net/index.js';
import type { SaTable } from '../net/esp/sa.js';
import { DEFAULT_START, DEFAULT_STEP, PacketClock, SpecError, type CaptureFormat, type SpecPacket, type Timestamp } from '../pcap/index.js';
import { CaptureFileWriter } from './capture-file.js';

export interface BuildOptions {
  format: CaptureFormat;
  /** pcap: microsecond timestamps. */
  usec?: boolean;
  /** Link type of the file (default 1, Ethernet); each frame's first layer must fit it. */
  linkType?: number;
  /** Time of the first packet without `time` (default 1700000000). */
  start?: Timestamp;
  /** Added to the previous packet's time for packets without `time` (default 1 µs). */
  step?: Timestamp;
  /** Called every `progressEvery` packets with the count so far. */
  onProgress?: (packets: number) => void;
  progressEvery?: number;
  /** Files the packets come from: the output may not be one of them. */
  inputs?: readonly string[];
  /** Security associations for `esp` layers. */
  sa?: SaTable;
}

export interface BuildSummary {
  file: string;
  format: CaptureFormat;
  packets: number;
  bytes: number;
}

/** The capture format a file name implies (.pcapng / .pcap), or undefined. */
export function formatFromPath(path: string): CaptureFormat | undefined {
  if (/\.pcapng$/i.test(path)) return 'pcapng';
  if (/\.(pcap|cap)$/i.test(path)) return 'pcap';
  return undefined;
}

/**
 * Encode and write packets (an array or any sync/async iterable) to `path` through a temporary
 * file renamed over it at the end (src/node/safe-output.ts; `-` is stdout, a device or FIFO is
 * written straight through). An encoder error names the packet index; on any error the
 * temporary file is removed and `path` is left as it was.
 */
export async function writeCaptureFile(
  path: string,
  packets: Iterable<SpecPacket> | AsyncIterable<SpecPacket>,
  opts: BuildOptions,
): Promise<BuildSummary> {
  const writer = await CaptureFileWriter.open(path, { format: opts.format, usec: opts.usec, inputs: opts.inputs, linkType: opts.linkType });
  const clock = new PacketClock(opts.start ?? DEFAULT_START, opts.step ?? DEFAULT_STEP);
  const every = opts.progressEvery ?? 4096;
  let index = 0;
  try {
    for await (const p of packets) {
      let frame: Uint8Array;
      let t: Timestamp;
      try {
        const linkType = p.linkType ?? opts.linkType;
        const mismatch = linkType === undefined ? undefined : linkTypeMismatch(p.layers[0]?.layer, linkType);
        if (mismatch) throw new SpecError(index, mismatch, p.where);
        frame = encodeFrame(p.layers, opts.sa ? { sa: opts.sa } : undefined);
        t = clock.stamp(p.time);
        const wait = writer.add(frame, t.sec, t.nsec, p.comments ?? p.comment, p.interface, p.linkType);
        if (wait) await wait;
      } catch (e) {
        if (e instanceof VirtkitError && !(e instanceof SpecError) && e.name !== 'FileError') throw new SpecError(index, e.message, p.where);
        throw e;
      }
      index++;
      if (opts.onProgress && index % every === 0) opts.onProgress(index);
    }
    const { packets: n, bytes } = await writer.close();
    return { file: path, format: opts.format, packets: n, bytes };
  } catch (e) {
    await writer.destroy();
    throw e;
  }
}
