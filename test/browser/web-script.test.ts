/**
 * `npm run web` (scripts/web.mjs after the build): serves dist/web on 127.0.0.1, prints the URL,
 * serves the page and its bundle, nothing outside dist/web, and stops on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('npm run web', () => {
  it('prints a 127.0.0.1 URL that serves the page and its modules, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'web.mjs')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) ok(m[1]!);
        });
        child.on('exit', (code) => fail(new Error(`web.mjs exited with ${code}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
      for (const asset of ['app.js', 'virtkit.js', 'style.css']) expect((await fetch(url + asset)).status, asset).toBe(200);
      expect((await fetch(url + 'app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await fetch(url + 'missing.js')).status).toBe(404);
      // Nothing outside the served folder, however the path is spelt.
      expect((await fetch(url + '..%2f..%2fpackage.json')).status).not.toBe(200);
      expect((await fetch(url + '%2e%2e/%2e%2e/package.json')).status).not.toBe(200);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
