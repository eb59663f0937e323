// Regenerates the README's generated parts from the built tool (npm run readme):
// the overhead table comes from encoding each stack (src/demo/overhead.ts), never typed by hand.
// test/overhead checks that the README's table equals what the tool prints.
import { readFileSync, writeFileSync } from 'node:fs';
import { overheadTable } from '../dist/src/demo/overhead.js';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const start = '<!-- overhead-table:start -->';
const end = '<!-- overhead-table:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md lacks the overhead-table markers');
const next = readme.slice(0, a + start.length) + '\n' + overheadTable('markdown').trim() + '\n' + readme.slice(b);
writeFileSync(path, next);
console.log(next === readme ? 'README.md: overhead table already current' : 'README.md: overhead table regenerated');
