/**
 * The package as a user installs it: the `exports` map (root and subpaths) resolves at run time,
 * the declarations compile in a strict TypeScript project that does not skip library checks
 * (binary-parser's types once leaked into them: TS7016), and the tarball ships the LICENSE.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';

const BUILT = existsSync(join(ROOT, 'dist', 'src', 'index.d.ts'));
const SUBPATHS = ['virtkit', 'virtkit/net', 'virtkit/mem', 'virtkit/pcap', 'virtkit/bytes', 'virtkit/node'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'virtkit-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'virtkit'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!BUILT)('the published package', () => {
  it('every subpath of the exports map loads', () => {
    const code = SUBPATHS.map((s, i) => `import * as m${i} from '${s}'; if (Object.keys(m${i}).length === 0) throw new Error('${s} is empty');`).join('\n');
    writeFileSync(join(dir, 'load.mjs'), code + "\nconsole.log('ok');\n");
    const r = spawnSync(process.execPath, ['load.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
  });
  it('a strict TypeScript project without skipLibCheck compiles against the declarations', () => {
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022'], types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
        files: ['use.ts'],
      }),
    );
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import { encodeFrame } from 'virtkit/net';",
        "import { PhysicalMemory } from 'virtkit/mem';",
        "import { readCapture } from 'virtkit/pcap';",
        "import { openOutput, writeOutputFile } from 'virtkit/node';",
        "import * as all from 'virtkit';",
        'export const used = [encodeFrame, PhysicalMemory, readCapture, openOutput, writeOutputFile, all];',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('the tarball holds LICENSE and the declarations', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/src/node/index.js');
  });
});
