/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (which downloads no browser), a fresh profile per run, and the built dist/ served on an
 * ephemeral 127.0.0.1 port (module scripts do not run from file://).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { serveStatic, type StaticServer } from '../../src/node/static-server.js';
import { ROOT } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';

export const CHROMIUM = '/usr/bin/chromium';
export const DIST = join(ROOT, 'dist');
/** Screenshots of each view (git-ignored: out/). */
export const SHOTS = join(ROOT, 'out', 'browser');

/** True when Chromium is there (CI requires it: toolsAvailable throws there when it is not). */
export function haveChromium(): boolean {
  return toolsAvailable('chromium') && existsSync(CHROMIUM);
}

export interface Session {
  server: StaticServer;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far, in any page. */
  errors: string[];
  /** Every URL the pages requested (the page must need nothing but its own server). */
  requests: string[];
  close(): Promise<void>;
}

export async function openSession(): Promise<Session> {
  if (!existsSync(join(DIST, 'web', 'index.html')) || !existsSync(join(DIST, 'browser', 'virtkit.js'))) {
    throw new Error('dist/web or dist/browser is missing: run npm run build (npm test does)');
  }
  const server = await serveStatic(DIST);
  const profile = mkdtempSync(join(tmpdir(), 'virtkit-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1440, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (e) {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const errors: string[] = [];
  const requests: string[] = [];
  const watch = (p: Page): void => {
    p.on('request', (r) => requests.push(r.url()));
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  };
  context.on('page', watch);
  const first = context.pages()[0];
  if (first) watch(first);
  const page = first ?? (await context.newPage()); // a new page is watched by the 'page' handler
  return {
    server,
    context,
    page,
    errors,
    requests,
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
