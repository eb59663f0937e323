// The browser build (part of `npm run build`):
//   dist/browser/virtkit.js  the package root (src/index.ts) as one ES module for browsers;
//                            --platform=browser, so a node: import reached from the core fails
//                            the build;
//   dist/web/                the page: index.html, style.css, app.js (web/*.ts) and a copy of
//                            virtkit.js, which app.js imports (the page runs the same bundle).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (p) => root + p;

const common = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  // Class names stay readable in the page's error messages and in instanceof-free checks.
  keepNames: true,
  logLevel: 'warning',
};

await build({ ...common, entryPoints: [at('src/index.ts')], outfile: at('dist/browser/virtkit.js') });

// The page imports `virtkit` (the package root); in the browser that is the bundle beside it.
const virtkitAsBundle = {
  name: 'virtkit-as-bundle',
  setup(b) {
    b.onResolve({ filter: /^virtkit$/ }, () => ({ path: './virtkit.js', external: true }));
  },
};
mkdirSync(at('dist/web'), { recursive: true });
await build({ ...common, entryPoints: [at('web/main.ts')], outfile: at('dist/web/app.js'), plugins: [virtkitAsBundle] });
copyFileSync(at('dist/browser/virtkit.js'), at('dist/web/virtkit.js'));
copyFileSync(at('dist/browser/virtkit.js.map'), at('dist/web/virtkit.js.map'));
for (const f of ['index.html', 'style.css']) writeFileSync(at('dist/web/' + f), readFileSync(at('web/' + f)));
