/**
 * The field reference is generated from the protocol descriptors: docs/layers.md must be what
 * `virtkit layers --markdown` prints now (regenerate with `npm run layers-doc`), every layer kind
 * the encoder accepts has a section, and every field a kind accepts is described.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { layersMarkdown, layerReference, referenceKinds } from '../../src/net/reference.js';
import { CODECS } from '../../src/net/stack.js';

describe('field reference', () => {
  it('docs/layers.md is current (npm run layers-doc regenerates it)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'layers.md'), 'utf8')).toBe(layersMarkdown());
  });

  it('covers every kind the encoder accepts, and every field each accepts', () => {
    expect([...referenceKinds()].sort()).toEqual([...CODECS.keys()].sort());
    for (const [kind, codec] of CODECS) {
      expect(layerReference(kind)!.fields.map((f) => f.name).sort(), kind).toEqual([...codec.names].sort());
    }
  });

  it('gives widths, defaults and auto from the layouts', () => {
    const tcp = layerReference('tcp')!;
    expect(tcp.selectedBy).toEqual(['ipproto 6']);
    expect(tcp.fields.find((f) => f.name === 'window')).toMatchObject({ bits: 16, default: 8192, auto: false });
    expect(tcp.fields.find((f) => f.name === 'chksum')).toMatchObject({ bits: 16, auto: true });
    expect(tcp.fields.find((f) => f.name === 'options')!.bits).toBeUndefined();
    expect(layerReference('dot1ad')!.selectedBy).toEqual(['ethertype 0x88a8', 'ethertype 0x9100 (decode only)']);
    expect(layerReference('ether')!.selectedBy).toEqual(['ethertype 0x6558 (after a gre or geneve header only)', 'gpe 3']);
    expect(layerReference('gre')!.next).toBe('proto (ethertype, gre scope)');
  });

  it('virtkit layers KIND prints one kind; an unknown kind exits 2 listing the kinds', async () => {
    const r = await runCli(['layers', 'ipv6frag']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ipv6frag: IPv6 Fragment header/);
    expect(r.stdout).toMatch(/\n {2}offset +fragment offset in 8-byte units \(0\) \[13 bits, default 0\]\n/);
    const j = await runCli(['layers', 'vxlan', '--json']);
    expect(JSON.parse(j.stdout).layers[0].fields.map((f: { name: string }) => f.name)).toEqual(['vni', 'flags', 'reserved1', 'reserved2']);
    const bad = await runCli(['layers', 'vxlam']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`virtkit layers: unknown layer kind 'vxlam' (valid: ${referenceKinds().join(', ')})\n`);
  });
});
