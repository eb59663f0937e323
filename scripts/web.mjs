// `npm run web`: serve the built page (dist/web) on 127.0.0.1 and print its URL.
// PORT=8080 npm run web picks the port (default 8017; 0 = any free port).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../dist/src/node/static-server.js';

const root = fileURLToPath(new URL('../dist/web/', import.meta.url));
if (!existsSync(root + 'index.html')) {
  console.error('dist/web/index.html is missing: run npm run build first');
  process.exit(2);
}
const port = process.env.PORT === undefined ? 8017 : Number(process.env.PORT);
const server = await serveStatic(root, port);
console.log(`virtkit page: ${server.url}  (Ctrl-C stops the server)`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
