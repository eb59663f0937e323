/** Frames by hand and a sink that records every crossing, for the netsim tests. */
import { DIR_IN, simulateScenario, type FrameSink } from '../../src/netsim/index.js';

export const BCAST = 'ffffffffffff';
export const mac = (n: number) => '0200000000' + n.toString(16).padStart(2, '0');

/** An Ethernet frame: dst, src (12 hex digits each), optional tags ("8100:000a" = TPID:TCI), EtherType, `payload` bytes of 0xab. */
export function frame(dst: string, src: string, opts: { tags?: string[]; type?: number; payload?: number } = {}): string {
  const tags = (opts.tags ?? []).map((t) => t.replace(':', '')).join('');
  const type = (opts.type ?? 0x0800).toString(16).padStart(4, '0');
  return dst + src + tags + type + 'ab'.repeat(opts.payload ?? 46);
}

export interface Crossing {
  port: string;
  dir: 'in' | 'out';
  hex: string;
  comment?: string;
}

export function recorder(): { sink: FrameSink; log: Crossing[] } {
  const log: Crossing[] = [];
  const sink: FrameSink = {
    frame(port, direction, _time, bytes, length, comment) {
      const c: Crossing = { port: port.name, dir: direction === DIR_IN ? 'in' : 'out', hex: Buffer.from(bytes.subarray(0, length)).toString('hex') };
      if (comment !== undefined) c.comment = comment;
      log.push(c);
    },
  };
  return { sink, log };
}

/** Run a scenario; returns records, tables and the crossings. */
export function run(doc: object, maxFrames?: number) {
  const { sink, log } = recorder();
  const r = simulateScenario(doc, { sink, maxFrames });
  const out = (port: string) => log.filter((c) => c.port === port && c.dir === 'out').map((c) => c.hex);
  return { ...r, log, out };
}
