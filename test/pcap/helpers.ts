import { GOLDEN_PATH } from '../helpers/golden.js';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CaptureChunker, joinChunks, type CaptureWriterOptions } from '../../src/pcap/index.js';

export interface GoldenVector {
  name: string;
  description: string;
  layers: { layer: string; [k: string]: unknown }[];
  hex: string;
}

export const GOLDEN: GoldenVector[] = (
  JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as { vectors: GoldenVector[] }
).vectors;

export function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'virtkit-pcap-'));
}

export interface TestPacket {
  data: Uint8Array;
  sec: number;
  nsec: number;
  comment?: string;
  iface?: string;
}

/** A whole capture in memory through the chunker (small chunks, so chunk edges get exercised). */
export function capture(packets: TestPacket[], opts: CaptureWriterOptions, chunkSize = 4096): Uint8Array {
  const chunks: Uint8Array[] = [];
  const c = new CaptureChunker({ ...opts, chunkSize }, (ch) => chunks.push(ch));
  for (const p of packets) c.add(p.data, p.sec, p.nsec, p.comment, p.iface);
  c.flush();
  return joinChunks(chunks);
}

export function run(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
