// The browser build (part of `npm run build`):
//   dist/browser/virtkit.js  the package root (src/index.ts) as one ES module for browsers;
//                            --platform=browser, so a node: import reached from the core fails
//                            the build;
//   dist/web/                the page: index.html, style.css, app.js (web/*.ts) and a copy of
//                            virtkit.js, which app.js imports (the page runs the same bundle).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (p) => root + p;

/** The esbuild options of both bundles (test/browser/core-guard.test.ts builds with them too). */
export const BROWSER_OPTIONS = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  // Function and class names survive minification (stack traces and constructor names stay readable).
  keepNames: true,
  logLevel: 'warning',
};

export async function buildBrowser() {
  await build({ ...BROWSER_OPTIONS, entryPoints: [at('src/index.ts')], outfile: at('dist/browser/virtkit.js') });

  // The page imports `virtkit` (the package root); in the browser that is the bundle beside it.
  const virtkitAsBundle = {
    name: 'virtkit-as-bundle',
    setup(b) {
      b.onResolve({ filter: /^virtkit$/ }, () => ({ path: './virtkit.js', external: true }));
    },
  };
  mkdirSync(at('dist/web'), { recursive: true });
  await build({ ...BROWSER_OPTIONS, entryPoints: [at('web/main.ts')], outfile: at('dist/web/app.js'), plugins: [virtkitAsBundle] });
  copyFileSync(at('dist/browser/virtkit.js'), at('dist/web/virtkit.js'));
  copyFileSync(at('dist/browser/virtkit.js.map'), at('dist/web/virtkit.js.map'));
  for (const f of ['index.html', 'style.css']) writeFileSync(at('dist/web/' + f), readFileSync(at('web/' + f)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildBrowser();
