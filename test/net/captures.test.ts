/**
 * Real captures made by others (tcpdump's test suite, fixtures/captures/tcpdump, source and
 * licence in its README): every frame decodes without an exception, build(decode(x)) gives x
 * back byte for byte, and the dissection goes as deep as tshark's for the protocols virtkit has
 * (tshark's layers, up to the first protocol virtkit does not decode, are virtkit's layers).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';
import { tsharkDepth } from '../helpers/tshark-depth.js';
import { bytesToHex, decodeFrame, encodeFrame } from '../../src/net/index.js';
import { readCapture } from '../../src/pcap/index.js';

const DIR = join(ROOT, 'fixtures', 'captures', 'tcpdump');
const FILES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

describe.each(FILES)('%s', (file) => {
  const packets = readCapture(readFileSync(join(DIR, file)));

  it('every frame decodes and rebuilds byte for byte', () => {
    expect(packets.length).toBeGreaterThan(0);
    for (const p of packets) {
      const d = decodeFrame(p.data, { linkType: p.linkType });
      expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(p.data));
    }
  });

  it.skipIf(!toolsAvailable('tshark'))('goes as deep as tshark for the protocols virtkit has', () => {
    const r = spawnSync('tshark', ['-r', join(DIR, file), '-T', 'fields', '-e', 'frame.protocols'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(packets.length);
    packets.forEach((p, i) => {
      const ours = decodeFrame(p.data, { linkType: p.linkType }).layers.map((l) => l.layer).filter((k) => k !== 'raw');
      expect(ours, `frame ${i + 1}: tshark ${rows[i]}`).toEqual(tsharkDepth(rows[i]!.split(':')));
    });
  });
});
