/**
 * The demo capture's ESP frames (one per cipher suite, transport, NAT-T, VXLAN over ESP) open
 * decrypted in tshark with the esp_sa file the demo writes beside the capture, and decode with
 * it in virtkit without an error.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'virtkit-esp-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the demo writes esp_sa beside its capture', () => {
  const file = join(dir, 'demo.pcapng');
  const espSa = join(dir, 'esp_sa');

  it('virtkit decodes every demo frame with it, no error; 8 ESP frames decrypted', async () => {
    const r = await runCli(['demo', '-o', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(espSa)).toBe(true);
    const d = JSON.parse((await runCli(['decode', file, '--sa', espSa, '--json'])).stdout) as { packets: { layers: { layer: string; iv?: string }[]; error?: string }[] };
    expect(d.packets.filter((p) => p.error)).toEqual([]);
    const esp = d.packets.filter((p) => p.layers.some((l) => l.layer === 'esp'));
    expect(esp).toHaveLength(8);
    for (const p of esp) expect(p.layers[p.layers.length - 1]!.layer).toBe('raw'); // decrypted down to the payload
  });

  it.runIf(toolsAvailable('tshark'))('tshark: every ESP frame ICV-good, the inner protocols dissected', () => {
    mkdirSync(join(dir, 'cfg', 'wireshark'), { recursive: true });
    copyFileSync(espSa, join(dir, 'cfg', 'wireshark', 'esp_sa'));
    const r = spawnSync('tshark', ['-r', file, '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE', '-Y', 'esp', '-T', 'fields', '-e', 'esp.icv_good', '-e', 'frame.protocols'], {
      encoding: 'utf8',
      env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'cfg') },
    });
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(8);
    for (const [good, protocols] of rows) {
      expect(good).toBe('1');
      expect(protocols).toMatch(/esp:(ip|ipv6|udp)/);
      expect(protocols).toMatch(/:data$/);
    }
  });
});
