/**
 * Wireshark decrypts what virtkit encrypts: ESP frames of every cipher suite, tunnel and
 * transport mode, IPv4 and IPv6 outer, NAT-T, short and 1400-byte payloads, given IVs and derived
 * ones, written to a pcap with the esp_sa file virtkit writes (formatEspSaFile) in a temporary
 * Wireshark configuration folder. For each frame tshark must find the ICV good, the padding
 * minimal and 1, 2, 3, …, and the decrypted payload equal to the inner packet; a tampered frame
 * must be ICV-bad there and an error in virtkit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toolsAvailable } from '../helpers/tools.js';
import { bytesToHex, decodeFrame, encodeFrame, type Layer } from '../../src/net/index.js';
import { formatEspSaFile, type SecurityAssociation } from '../../src/net/esp/sa.js';
import { CIPHER_SUITES, minimalPadLength } from '../../src/net/esp/suites.js';
import { handPcap as pcap } from '../helpers/hand-pcap.js';

const SAS: SecurityAssociation[] = [
  { spi: 0x2001, cipher: 'aes-gcm-128', key: '0f0e0d0c0b0a09080706050403020100c0c1c2c3' },
  { spi: 0x2002, cipher: 'aes-gcm-256', key: '1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100d0d1d2d3' },
  { spi: 0x2003, cipher: 'aes-cbc-128', key: '2f2e2d2c2b2a29282726252423222120', auth: 'hmac-sha256-128', authKey: '3f3e3d3c3b3a393837363534333231302f2e2d2c2b2a29282726252423222120' },
  { spi: 0x2004, cipher: 'aes-cbc-256', key: '4f4e4d4c4b4a494847464544434241403f3e3d3c3b3a39383736353433323130', auth: 'hmac-sha1-96', authKey: '5f5e5d5c5b5a59585756555453525150' },
  { spi: 0x2005, cipher: 'aes-cbc-128', key: '6f6e6d6c6b6a69686766656463626160', auth: 'none' },
  { spi: 0x2006, cipher: 'null', auth: 'hmac-sha256-128', authKey: '7f7e7d7c7b7a79787776757473727170' },
  { spi: 0x2007, cipher: 'null', auth: 'hmac-sha1-96', authKey: '8f8e8d8c8b8a89888786858483828180' },
  // GCM with the tag cut to 12 and 8 bytes (RFC 4106 §6).
  { spi: 0x2008, cipher: 'aes-gcm-128-icv12', key: '9f9e9d9c9b9a99989796959493929190e0e1e2e3' },
  { spi: 0x2009, cipher: 'aes-gcm-256-icv8', key: 'afaeadacabaaa9a8a7a6a5a4a3a2a1a09f9e9d9c9b9a99989796959493929190e4e5e6e7' },
];

const ETHER: Layer = { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' };
const OUTER4: Layer = { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' };
const OUTER6: Layer = { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' };

function payload(n: number, seed: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((i * 7 + seed) & 0xff).toString(16).padStart(2, '0');
  return s;
}

interface Case {
  name: string;
  sa: SecurityAssociation;
  layers: Layer[];
  /** The ESP's protected payload: index of the first inner layer. */
  innerAt: number;
  /** Outer IP layer index (for the transport-mode pseudo-header). */
  ipAt: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  let seq = 1;
  for (const sa of SAS) {
    for (const size of [0, 5, 13, 1400]) {
      const inner: Layer[] = [{ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', id: seq }, { layer: 'udp', sport: 1000 + size, dport: 2000 }, { layer: 'raw', hex: payload(size, seq) }];
      out.push({ name: `${sa.cipher}+${sa.auth ?? 'none'} tunnel v4 ${size}B`, sa, layers: [ETHER, OUTER4, { layer: 'esp', spi: sa.spi, seq: seq++ }, ...inner], innerAt: 3, ipAt: 1 });
    }
    out.push({
      name: `${sa.cipher} tunnel over IPv6`,
      sa,
      layers: [ETHER, OUTER6, { layer: 'esp', spi: sa.spi, seq: seq++ }, { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'icmp', type: 8, id: 1, seq: 1 }, { layer: 'raw', hex: payload(32, 1) }],
      innerAt: 3,
      ipAt: 1,
    });
    out.push({
      name: `${sa.cipher} transport UDP`,
      sa,
      layers: [ETHER, OUTER4, { layer: 'esp', spi: sa.spi, seq: seq++ }, { layer: 'udp', sport: 49152, dport: 40000 }, { layer: 'raw', hex: payload(21, 2) }],
      innerAt: 3,
      ipAt: 1,
    });
    out.push({
      name: `${sa.cipher} NAT-T (UDP 4500)`,
      sa,
      layers: [ETHER, OUTER4, { layer: 'udp', sport: 4500, dport: 4500, chksum: 0 }, { layer: 'esp', spi: sa.spi, seq: seq++ }, { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'udp', sport: 1, dport: 2 }, { layer: 'raw', hex: payload(3, 3) }],
      innerAt: 4,
      ipAt: 1,
    });
  }
  return out;
}

/** The protected payload's bytes as they are before encryption (transport: with the outer IP's pseudo-header). */
function innerBytes(c: Case): string {
  const inner = c.layers.slice(c.innerAt);
  if (inner[0]!.layer === 'ipv4' || inner[0]!.layer === 'ipv6') return bytesToHex(encodeFrame(inner));
  const ip = c.layers[c.ipAt]!;
  const both = encodeFrame([ip, ...inner]);
  return bytesToHex(both, both.length - (both.length - (ip.layer === 'ipv4' ? 20 : 40)));
}


const run = toolsAvailable('tshark');
const dir = mkdtempSync(join(tmpdir(), 'virtkit-esp-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** tshark over `frames` with the SAs' esp_sa file; one row of fields per frame. */
function tshark(frames: Uint8Array[], fields: string[]): string[][] {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(file, pcap(frames));
  mkdirSync(join(dir, 'wireshark'), { recursive: true });
  writeFileSync(join(dir, 'wireshark', 'esp_sa'), formatEspSaFile(SAS));
  const args = ['-r', file, '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=l'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: dir, HOME: dir }, maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n').map((l) => l.split('|'));
}

describe.runIf(run)('tshark 4.0 decrypts every ESP frame virtkit writes', () => {
  const all = cases();
  const frames = all.map((c) => encodeFrame(c.layers, { sa: SAS }));

  it(`${all.length} frames: ICV good, padding minimal and 1, 2, 3, …, decrypted payload = the inner packet`, () => {
    const rows = tshark(frames, ['esp.spi', 'esp.icv_good', 'esp.icv_bad', 'esp.pad_len', 'esp.protocol', 'esp.decrypted_data']);
    expect(rows).toHaveLength(all.length);
    rows.forEach(([spi, good, bad, padLen, nh, decrypted], i) => {
      const c = all[i]!;
      const what = `${c.name}: ${rows[i]!.join('|').slice(0, 120)}`;
      expect(Number(spi), what).toBe(c.sa.spi);
      const suite = CIPHER_SUITES[c.sa.cipher];
      const authenticated = suite.mode === 'gcm' || (c.sa.auth ?? 'none') !== 'none';
      if (authenticated) {
        expect(good, what).toBe('1');
        expect(bad, what).toBe('0');
      }
      const inner = innerBytes(c);
      const pad = minimalPadLength(inner.length / 2, suite.align);
      expect(Number(padLen), what).toBe(pad);
      expect(Number(nh), what).toBe(c.layers[c.innerAt]!.layer === 'udp' ? 17 : 4);
      let trailer = '';
      for (let k = 1; k <= pad; k++) trailer += k.toString(16).padStart(2, '0');
      trailer += pad.toString(16).padStart(2, '0') + Number(nh).toString(16).padStart(2, '0');
      expect(decrypted, what).toBe(inner + trailer);
    });
  });

  it('a tampered frame is ICV-bad in tshark and an error in virtkit', () => {
    const picks = [0, 6, 12, 20, 26, 32, 7, 17].map((k) => all.findIndex((c) => c.sa === SAS[k % SAS.length]) + (k % 4));
    const bad = picks.map((i) => {
      const f = frames[i]!.slice();
      f[f.length - 3]! ^= 0x40; // inside the ICV
      return f;
    });
    const rows = tshark(bad, ['esp.icv_good', 'esp.icv_bad']);
    rows.forEach(([good, badIcv], k) => {
      const c = all[picks[k]!]!;
      const authenticated = CIPHER_SUITES[c.sa.cipher].mode === 'gcm' || (c.sa.auth ?? 'none') !== 'none';
      if (!authenticated) return;
      expect([good, badIcv], c.name).toEqual(['0', '1']);
      const d = decodeFrame(bad[k]!, { sa: SAS });
      expect(d.error?.message, c.name).toMatch(/ICV check failed/);
      expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bad[k]!));
    });
  });
});
