/** `virtkit pt build | walk | dump` against cli.md's shapes, with values computed from the SDM layout. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'virtkit-pt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeMap(name: string, map: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(map));
  return path;
}

const MAP = {
  levels: 4, memBytes: '16M', tablesAt: '0x100000', nxe: true,
  mappings: [
    { va: '0x400000', pa: '0x200000', size: '4K', flags: ['w', 'u'] },
    { va: '0xffff800000000000', pa: '0x40000000', size: '1G', flags: ['w', 'g', 'nx'] },
    { va: '0x600000', pa: '0x800000', size: '2M', flags: ['pat', 'pcd', 'a', 'd'] },
  ],
};

describe('pt build', () => {
  it('writes the image and prints cr3, levels, tables, bytes', async () => {
    const map = writeMap('map.json', MAP);
    const img = join(dir, 'mem.bin');
    const r = await runCli(['pt', 'build', map, '-o', img, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Tables: PML4, PDPT + PD + PT for the low half, PDPT for the upper half = 5.
    expect(JSON.parse(r.stdout)).toEqual({ cr3: '0x100000', levels: 4, tables: 5, bytes: 16 * 1024 * 1024 });
    expect(statSync(img).size).toBe(16 * 1024 * 1024);
    const bytes = readFileSync(img);
    // PML4[256] (upper half) → 2nd table allocated after the low-half path: 0x104000, P|RW|US.
    expect(bytes.readBigUInt64LE(0x100000 + 256 * 8)).toBe(0x104007n);
    // The 1G leaf: XD | pa | G | PS | RW | P.
    expect(bytes.readBigUInt64LE(0x104000)).toBe((1n << 63n) | 0x4000_0000n | 0x183n);
    const text = await runCli(['pt', 'build', map, '-o', img]);
    expect(text.stdout).toMatch(/16777216 bytes, 5 page-table frames, cr3 0x100000/);
  });

  it("builds cli.md's example map (fixtures/pt/example-map.json)", async () => {
    const img = join(dir, 'example.bin');
    const r = await runCli(['pt', 'build', join(ROOT, 'fixtures', 'pt', 'example-map.json'), '-o', img, '--json']);
    // PML4, then PDPT/PD/PT for 0x400000, then one PDPT for the upper-half 1G page.
    expect(JSON.parse(r.stdout)).toEqual({ cr3: '0x100000', levels: 4, tables: 5, bytes: 0x100_0000 });
    const d = await runCli(['pt', 'dump', img, '--cr3', '0x100000', '--json']);
    expect(JSON.parse(d.stdout).mappings).toEqual([
      { va: '0x400000', pa: '0x200000', size: '4K', flags: ['w', 'u'] },
      { va: '0xffff800000000000', pa: '0x40000000', size: '1G', flags: ['w', 'g', 'nx'] },
    ]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['an unknown flag', { mappings: [{ va: '0x1000', pa: '0', size: '4K', flags: ['w', 'rx'] }] }, /mapping 0 \(va 0x1000\): unknown flag "rx"/],
    ['a misaligned va', { mappings: [{ va: '0x1000', pa: '0', size: '4K' }, { va: '0x201000', pa: '0x200000', size: '2M' }] }, /mapping 1 \(va 0x201000\): .*not aligned to its 2M page/],
    ['overlapping mappings', { mappings: [{ va: '0x200000', pa: '0', size: '2M' }, { va: '0x0', pa: '0', size: '4K' }, { va: '0x3ff000', pa: '0', size: '4K' }] }, /mapping 2 \(va 0x3ff000\): overlaps the 2M page/],
    ['tables that do not fit', { memBytes: '0x102000', mappings: [{ va: '0x400000', pa: '0', size: '4K' }] }, /mapping 0 \(va 0x400000\): no frame left/],
    ['a bad size', { mappings: [{ va: '0x0', pa: '0', size: '8K' }] }, /mapping 0 \(va 0x0\): size "8K"/],
    ['a non-canonical va', { mappings: [{ va: '0x800000000000', pa: '0', size: '4K' }] }, /mapping 0 \(va 0x800000000000\): .*not canonical/],
    ['an unknown key', { mappings: [], cr3: 1 }, /unknown key 'cr3'/],
    ['nx without nxe', { nxe: false, mappings: [{ va: '0x0', pa: '0', size: '4K', flags: ['nx'] }] }, /mapping 0 .*nxe/],
  ];
  for (const [what, map, message] of bad) {
    it(`exits 2 with one line naming the mapping for ${what}`, async () => {
      const r = await runCli(['pt', 'build', writeMap('bad.json', map), '-o', join(dir, 'bad.bin')]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('exits 2 for a missing file, missing -o, bad JSON', async () => {
    expect((await runCli(['pt', 'build', join(dir, 'nope.json'), '-o', join(dir, 'x.bin')])).code).toBe(2);
    expect((await runCli(['pt', 'build', writeMap('ok.json', MAP)])).code).toBe(2);
    writeFileSync(join(dir, 'broken.json'), '{"levels": 4,');
    const r = await runCli(['pt', 'build', join(dir, 'broken.json'), '-o', join(dir, 'x.bin')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
  });
});

describe('pt walk', () => {
  const img = join(dir, 'walk.bin');
  beforeAll(async () => {
    expect((await runCli(['pt', 'build', writeMap('walk.json', MAP), '-o', img])).code).toBe(0);
  });
  const walk = async (...args: string[]) => {
    const r = await runCli(['pt', 'walk', img, '--cr3', '0x100000', '--json', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  it('translates a 4K page and lists the entries read', async () => {
    expect(await walk('--va', '0x400123', '--access', 'w', '--user', '--nxe')).toEqual({
      va: '0x400123', pa: '0x200123', pageSize: '4K', flags: ['w', 'u'],
      refs: ['0x100000', '0x101000', '0x102010', '0x103000'],
    });
  });

  it('translates an upper-half 1G page (flags are the effective rights plus leaf attributes)', async () => {
    expect(await walk('--va', '0xffff800012345678', '--nxe')).toEqual({
      va: '0xffff800012345678', pa: '0x52345678', pageSize: '1G', flags: ['w', 'nx', 'g'], refs: ['0x100800', '0x104000'],
    });
  });

  it('2M page with PAT, PCD, A, D', async () => {
    const r = await walk('--va', '0x7fffff');
    expect(r).toMatchObject({ pa: '0x9fffff', pageSize: '2M', flags: ['pcd', 'pat', 'a', 'd'] });
  });

  it('reports #PF with the SDM error code and its bits', async () => {
    // User write to a supervisor page: P | W | U.
    expect(await walk('--va', '0x600000', '--access', 'w', '--user')).toEqual({
      va: '0x600000', fault: { exception: 'PF', errorCode: 7, bits: ['P', 'W', 'U'] }, refs: ['0x100000', '0x101000', '0x102018'],
    });
    // XD is reserved without --nxe: P | RSVD, and I/D stays clear (NXE = 0, SMEP = 0).
    expect(await walk('--va', '0xffff800000000000', '--access', 'x')).toMatchObject({ fault: { exception: 'PF', errorCode: 9, bits: ['P', 'RSVD'] } });
    // Fetch from an XD page with NXE: P | I.
    expect(await walk('--va', '0xffff800000000000', '--access', 'x', '--nxe')).toMatchObject({ fault: { errorCode: 0x11, bits: ['P', 'I'] } });
    // Not present.
    expect(await walk('--va', '0x1000')).toMatchObject({ fault: { exception: 'PF', errorCode: 0, bits: [] } });
    // WP: supervisor write to the read-only 2M page.
    expect(await walk('--va', '0x600000', '--access', 'w')).toMatchObject({ pa: '0x800000' });
    expect(await walk('--va', '0x600000', '--access', 'w', '--wp')).toMatchObject({ fault: { errorCode: 3 } });
    // SMAP / SMEP on the user 4K page.
    expect(await walk('--va', '0x400000', '--smap')).toMatchObject({ fault: { errorCode: 1 } });
    expect(await walk('--va', '0x400000', '--access', 'x', '--smep')).toMatchObject({ fault: { errorCode: 0x11 } });
    // A small MAXPHYADDR: the 1 GiB frame 0x40000000 (bit 30) is still below 2^32.
    expect(await walk('--va', '0xffff800000000000', '--nxe', '--maxphyaddr', '32')).toMatchObject({ pa: '0x40000000' });
  });

  it('reports #GP for a non-canonical address with no refs', async () => {
    expect(await walk('--va', '0x800000000000')).toEqual({ va: '0x800000000000', fault: { exception: 'GP' }, refs: [] });
  });

  it('prints readable text without --json', async () => {
    const r = await runCli(['pt', 'walk', img, '--cr3', '0x100000', '--va', '0x400123', '--access', 'w', '--user']);
    expect(r.stdout).toBe('va 0x400123 -> pa 0x200123 (4K page, w u)\nentries read: 0x100000 0x101000 0x102010 0x103000\n');
    const f = await runCli(['pt', 'walk', img, '--cr3', '0x100000', '--va', '0x1000']);
    expect(f.stdout).toMatch(/#PF error code 0x0 .*not present at the level-2 entry 0x102000/);
  });

  it('exits 2 on bad options', async () => {
    for (const args of [['--va', '0x1000'], ['--cr3', '0x100000'], ['--cr3', '0x100000', '--va', 'zz'], ['--cr3', '0x100000', '--va', '0', '--access', 'q'], ['--cr3', '0x2000000', '--va', '0'], ['--cr3', '0x100000', '--va', '0', '--levels', '3'], ['--cr3', '0x100000', '--va', '0', '--bogus']]) {
      const r = await runCli(['pt', 'walk', img, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('pt dump', () => {
  it('lists every present leaf in virtual-address order with sign-extended upper-half addresses', async () => {
    const img = join(dir, 'dump.bin');
    const map = { ...MAP, mappings: [...MAP.mappings].reverse().concat([{ va: '0xfffffffffffff000', pa: '0x1000', size: '4K', flags: ['nx'] }]) };
    await runCli(['pt', 'build', writeMap('dump.json', map), '-o', img]);
    const r = await runCli(['pt', 'dump', img, '--cr3', '0x100000', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      mappings: [
        { va: '0x400000', pa: '0x200000', size: '4K', flags: ['w', 'u'] },
        { va: '0x600000', pa: '0x800000', size: '2M', flags: ['pcd', 'a', 'd', 'pat'] },
        { va: '0xffff800000000000', pa: '0x40000000', size: '1G', flags: ['w', 'g', 'nx'] },
        { va: '0xfffffffffffff000', pa: '0x1000', size: '4K', flags: ['nx'] },
      ],
    });
    const t = await runCli(['pt', 'dump', img, '--cr3', '0x100000']);
    expect(t.stdout.split('\n')[3]).toBe('0xffff800000000000       0x40000000  1G    w g nx');
    expect(t.stdout).toMatch(/4 mappings\n$/);
  });

  it('round-trips: dump output is a valid map that builds the same tables', async () => {
    const img = join(dir, 'rt.bin');
    await runCli(['pt', 'build', writeMap('rt.json', { ...MAP, levels: 5 }), '-o', img]);
    const d1 = JSON.parse((await runCli(['pt', 'dump', img, '--cr3', '0x100000', '--levels', '5', '--json'])).stdout);
    await runCli(['pt', 'build', writeMap('rt2.json', { levels: 5, mappings: d1.mappings }), '-o', join(dir, 'rt2.bin')]);
    const d2 = JSON.parse((await runCli(['pt', 'dump', join(dir, 'rt2.bin'), '--cr3', '0x100000', '--levels', '5', '--json'])).stdout);
    expect(d2).toEqual(d1);
  });

  it('has --help and rejects unknown subcommands', async () => {
    const h = await runCli(['pt', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/virtkit pt walk MEM.bin --cr3 X --va Y/);
    const u = await runCli(['pt', 'frob']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown pt subcommand 'frob'/);
  });
});
