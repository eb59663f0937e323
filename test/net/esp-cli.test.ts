/**
 * ESP through the command line: `build` with the spec's "sa", --sa FILE (JSON or esp_sa) and
 * --write-esp-sa; `decode --sa`; decode's JSON builds back into the same capture; tshark opens
 * the capture decrypted with the esp_sa file build wrote; bad SA files exit 2 with one line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'virtkit-esp-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GCM = { spi: 4097, cipher: 'aes-gcm-128', key: '000102030405060708090a0b0c0d0e0fa0a1a2a3' };
const CBC = { spi: 4099, cipher: 'aes-cbc-128', key: '404142434445464748494a4b4c4d4e4f', auth: 'hmac-sha256-128', authKey: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f' };
const frame = (spi: number, extra: Record<string, unknown> = {}): unknown[] => [
  { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
  { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', id: 1 },
  { layer: 'esp', spi, seq: 1, ...extra },
  { layer: 'ipv4', src: '10.1.0.1', dst: '10.2.0.1', id: 7 },
  { layer: 'udp', sport: 1234, dport: 5678 },
  { layer: 'raw', hex: '68656c6c6f' },
];
const path = (name: string): string => join(dir, name);

describe('virtkit build/decode with security associations', () => {
  it('the layers.md example: the spec\'s "sa", --write-esp-sa, decode --sa, and back', async () => {
    writeFileSync(path('spec.json'), JSON.stringify({ sa: [GCM, CBC], packets: [{ layers: frame(4097, { iv: '0001020304050607' }) }, { layers: frame(4099) }] }));
    const b = await runCli(['build', path('spec.json'), '-o', path('esp.pcapng'), '--write-esp-sa', path('esp_sa'), '--json']);
    expect(b.stderr).toBe('');
    expect(JSON.parse(b.stdout)).toMatchObject({ packets: 2, bytes: 380 });
    expect(readFileSync(path('esp_sa'), 'utf8')).toContain('"IPv4","*","*","0x00001001","AES-GCM with 16 octet ICV [RFC4106]","0x000102030405060708090a0b0c0d0e0fa0a1a2a3","NULL",""');

    const plain = JSON.parse((await runCli(['decode', path('esp.pcapng'), '--json'])).stdout);
    expect(plain.packets[0].layers[2]).toEqual({ layer: 'esp', spi: 4097, seq: 1, data: expect.stringMatching(/^0001020304050607[0-9a-f]+$/) });

    const d = await runCli(['decode', path('esp.pcapng'), '--sa', path('esp_sa'), '--json']);
    const doc = JSON.parse(d.stdout);
    expect(doc.packets[0].layers.map((l: { layer: string }) => l.layer)).toEqual(['ether', 'ipv4', 'esp', 'ipv4', 'udp', 'raw']);
    expect(doc.packets[1].layers[2]).toMatchObject({ layer: 'esp', spi: 4099, padlen: 13, nh: 4 });
    writeFileSync(path('decoded.json'), d.stdout);
    // The same SAs as JSON through --sa: decode's output builds back into the same capture.
    writeFileSync(path('sa.json'), JSON.stringify([GCM, CBC]));
    await runCli(['build', path('decoded.json'), '-o', path('back.pcapng'), '--sa', path('sa.json')]);
    expect(readFileSync(path('back.pcapng')).equals(readFileSync(path('esp.pcapng')))).toBe(true);
  });

  it.runIf(toolsAvailable('tshark'))('tshark opens the capture decrypted with the esp_sa file build wrote', () => {
    mkdirSync(path('cfg/wireshark'), { recursive: true });
    writeFileSync(path('cfg/wireshark/esp_sa'), readFileSync(path('esp_sa')));
    const r = spawnSync('tshark', ['-r', path('esp.pcapng'), '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE', '-T', 'fields', '-e', 'esp.icv_good', '-e', 'udp.dstport', '-e', 'data.data'], {
      encoding: 'utf8',
      env: { ...process.env, XDG_CONFIG_HOME: path('cfg') },
    });
    expect(r.stdout.trim().split('\n')).toEqual(['1\t5678\t68656c6c6f', '1\t5678\t68656c6c6f']);
  });

  it('a frame with an unknown SPI is that frame\'s error; bad SA input exits 2 with one line', async () => {
    writeFileSync(path('gcm_only.json'), JSON.stringify([GCM]));
    const d = JSON.parse((await runCli(['decode', path('esp.pcapng'), '--sa', path('gcm_only.json'), '--json'])).stdout);
    expect(d.packets[0].error).toBeUndefined();
    expect(d.packets[1].error).toMatch(/esp at byte 34: no security association for spi 4099 \(0x00001003\)/);

    writeFileSync(path('nosa.json'), JSON.stringify([frame(4097)]));
    const noSa = await runCli(['build', path('nosa.json'), '-o', path('x.pcap')]);
    expect(noSa.code).toBe(2);
    expect(noSa.stderr.trim().split('\n')).toHaveLength(1);
    expect(noSa.stderr).toMatch(/packet 0.*layer 2 \(esp\): spi 4097 \(0x00001001\) has no security association/);
    expect(existsSync(path('x.pcap'))).toBe(false);

    writeFileSync(path('bad_sa'), '"IPv4","*","*","0x1001","AES-GCM with 16 octet ICV [RFC4106]","0x00","NULL",""\n');
    const bad = await runCli(['decode', path('esp.pcapng'), '--sa', path('bad_sa')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad_sa:1: key has 1 bytes; aes-gcm-128 needs 20/);
    const none = await runCli(['build', path('nosa.json'), '-o', path('x.pcap'), '--write-esp-sa', path('y')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--write-esp-sa: no security associations/);
  });
});
