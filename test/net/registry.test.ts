/**
 * Property tests over the protocol registry (the one list of descriptors):
 * - every next-protocol binding, encoded (the auto field filled from the following layer's kind)
 *   then decoded, selects the same kind again — the drift this catches is MPLS in IP (137)
 *   encoded but decoded as raw when the two directions were listed by hand;
 * - every kind the decoder dispatches to round-trips random values (the new kinds here; the
 *   older ones in roundtrip.test.ts);
 * - FrameView.layer(i) is decodeFrame's layer i, and FrameView.field refuses a field of another kind.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { bytesToHex, decodeFrame, encodeFrame, FrameView, PROTOCOLS, type Layer } from '../../src/net/index.js';
import { VXLAN } from '../../src/net/vxlan.js';
import { UDP } from '../../src/net/udp.js';
import { KIND_NAMES } from '../../src/net/kinds.js';
import { bindingInScope, type Binding } from '../../src/net/protocols.js';
import { ipv4Addr, ipv6Addr, mac } from './arbitraries.js';

const E: Layer = { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' };
const IP4: Layer = { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' };
const IP6: Layer = { layer: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' };

/** How to reach a layer of each kind that has an auto next-protocol field (and the link type to decode with). */
const PARENT_CONTEXT: Record<string, { before: Layer[]; linkType?: number }> = {
  ether: { before: [] },
  dot1q: { before: [E] },
  dot1ad: { before: [E] },
  ipv4: { before: [E] },
  ipv6: { before: [E] },
  ipv6hbh: { before: [E, IP6] },
  ipv6dest: { before: [E, IP6] },
  ipv6rh: { before: [E, IP6] },
  ipv6frag: { before: [E, IP6] },
  gre: { before: [E, IP4] },
  geneve: { before: [E, IP4, { layer: 'udp', sport: 1, dport: 6081 }] },
  sll: { before: [], linkType: 113 },
  sll2: { before: [], linkType: 276 },
  loopback: { before: [], linkType: 0 },
  ppp: { before: [E, { layer: 'pppoe', sessionid: 1 }] },
  vxlangpe: { before: [E, IP4, { layer: 'udp', sport: 1, dport: 4790 }] },
  nsh: { before: [E, IP4, { layer: 'udp', sport: 1, dport: 4790 }, { layer: 'vxlangpe', vni: 1 }] },
  ayiya: { before: [E, IP4, { layer: 'udp', sport: 1, dport: 5072 }] },
};

/** A minimal layer of each kind that can be selected, with what must follow it to decode whole. */
const CHILD: Record<string, Layer[]> = {
  ether: [{ ...E, type: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  dot1q: [{ layer: 'dot1q', vid: 5, type: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  dot1ad: [{ layer: 'dot1ad', vid: 5, type: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  arp: [{ layer: 'arp', hwsrc: '02:00:00:00:00:01', psrc: '10.0.0.1', pdst: '10.0.0.2' }],
  ipv4: [{ ...IP4, proto: 253 }, { layer: 'raw', hex: 'aa' }],
  ipv6: [{ ...IP6, nh: 59 }],
  udp: [{ layer: 'udp', sport: 1, dport: 2 }, { layer: 'raw', hex: 'aa' }],
  tcp: [{ layer: 'tcp', sport: 1, dport: 2 }],
  icmp: [{ layer: 'icmp', type: 8, id: 1, seq: 2 }],
  icmpv6: [{ layer: 'icmpv6', type: 128, id: 1, seq: 2 }],
  gre: [{ layer: 'gre', proto: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  mpls: [{ layer: 'mpls', label: 100 }, { layer: 'raw', hex: 'ff' }],
  vxlan: [{ layer: 'vxlan', vni: 7 }, { ...E, type: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  geneve: [{ layer: 'geneve', vni: 7, proto: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  ipv6hbh: [{ layer: 'ipv6hbh', nh: 59 }],
  ipv6dest: [{ layer: 'ipv6dest', nh: 59 }],
  ipv6rh: [{ layer: 'ipv6rh', type: 0, segleft: 0, data: '00000000', nh: 59 }],
  ipv6frag: [{ layer: 'ipv6frag', nh: 59 }],
  // Without SAs an esp carries its protected bytes as data (IV, ciphertext, ICV).
  esp: [{ layer: 'esp', spi: 0x1001, seq: 1, data: '000102030405060708090a0b0c0d0e0f' }],
  ppp: [{ layer: 'ppp', proto: 0xc021 }, { layer: 'raw', hex: 'aa' }],
  pppoe: [{ layer: 'pppoe', sessionid: 1 }, { layer: 'ppp', proto: 0xc021 }, { layer: 'raw', hex: 'aa' }],
  // PADI with a Service-Name and a Host-Uniq tag.
  pppoed: [{ layer: 'pppoed', code: 0x09, tags: '0101000001030004deadbeef' }],
  // GRE 0x88be without a sequence number: type I (type II needs the GRE sequence number).
  erspan: [{ layer: 'erspan', ver: 0 }, { ...E, type: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  gtpu: [{ layer: 'gtpu', teid: 1, gtp_type: 1 }, { layer: 'raw', hex: 'aa' }],
  rarp: [{ layer: 'rarp', op: 3, hwsrc: '02:00:00:00:00:01', psrc: '0.0.0.0', pdst: '0.0.0.0' }],
  vxlangpe: [{ layer: 'vxlangpe', vni: 7, nextproto: 0x99 }, { layer: 'raw', hex: 'aa' }],
  nsh: [{ layer: 'nsh', spi: 7, nextproto: 0x99 }, { layer: 'raw', hex: 'aa' }],
  teredo: [{ layer: 'teredo' }, { layer: 'raw', hex: 'aa' }],
  ayiya: [{ layer: 'ayiya', identity: '20010db8000000000000000000000001', nh: 59 }],
  pim: [{ layer: 'pim', type: 0 }, { layer: 'raw', hex: 'aa' }],
};

/**
 * Where a child needs something else under one binding or one parent: ERSPAN type III under its
 * own protocol type 0x22eb; under AYIYA no IP layer comes before an upper layer, so checksums
 * that cover a pseudo-header are given.
 */
const CHILD_IN: Record<string, Layer[]> = {
  'erspan@8939': [{ layer: 'erspan', ver: 2, session_id: 1 }, { ...E, type: 0x88b5 }, { layer: 'raw', hex: 'aa' }],
  'ayiya>udp': [{ layer: 'udp', sport: 1, dport: 2, chksum: 0 }, { layer: 'raw', hex: 'aa' }],
  'ayiya>tcp': [{ layer: 'tcp', sport: 1, dport: 2, chksum: 0 }],
  'ayiya>icmpv6': [{ layer: 'icmpv6', type: 128, id: 1, seq: 2, chksum: 0 }],
};
const childLayers = (parent: string, child: string, value: number): Layer[] => CHILD_IN[`${child}@${value}`] ?? CHILD_IN[`${parent}>${child}`] ?? CHILD[child]!;

const encodable = PROTOCOLS.filter((d) => d.codec);

describe('registry: every binding, both directions', () => {
  it('every parent kind and every selectable kind has a test context here', () => {
    for (const d of encodable) {
      if (d.next) expect(PARENT_CONTEXT[d.kind], `context for parent ${d.kind}`).toBeDefined();
      if ((d.selectedBy ?? []).length) expect(CHILD[d.kind], `example of ${d.kind}`).toBeDefined();
    }
  });

  const cases: { parent: string; child: string; binding: Binding }[] = [];
  for (const p of encodable) {
    if (!p.next) continue;
    for (const c of encodable) {
      for (const b of c.selectedBy ?? []) {
        if (b.table !== p.next.table.name || !bindingInScope(b, p.next.table.scope)) continue;
        cases.push({ parent: p.kind, child: c.kind, binding: b });
      }
    }
  }

  it('has the bindings one expects (a sample)', () => {
    const names = cases.map((x) => `${x.parent}>${x.child}:${x.binding.value}`);
    for (const n of ['ipv4>mpls:137', 'ipv6>mpls:137', 'ipv6>tcp:6', 'ipv6hbh>icmpv6:58', 'gre>ether:25944', 'ether>dot1ad:37120', 'sll>ipv6:34525', 'loopback>ipv6:30']) expect(names).toContain(n);
    expect(names).not.toContain('ether>ether:25944'); // 0x6558 is Ethernet only after GRE/Geneve
  });

  it.each(cases)('$parent → $child ($binding.table $binding.value)', ({ parent, child, binding }) => {
    const ctx = PARENT_CONTEXT[parent]!;
    const parentLayer = encodable.find((d) => d.kind === parent)!;
    const field = parentLayer.next!.field.name;
    const base = (CHILD[parent] ?? [{ layer: parent }])[0]!;
    const { [field]: _drop, ...p } = base as Record<string, unknown>;
    const dir = binding.direction ?? 'both';
    // Encode: the auto field is filled from the child's kind (both/encode), or given (decode-only alias).
    const parentOut = (dir === 'decode' ? { ...p, [field]: binding.value } : p) as Layer;
    const frame = [...ctx.before, parentOut, ...childLayers(parent, child, binding.value)];
    const bytes = encodeFrame(frame);
    const d = decodeFrame(bytes, ctx.linkType === undefined ? {} : { linkType: ctx.linkType });
    const at = ctx.before.length;
    if (dir !== 'encode') {
      expect(d.error).toBeUndefined();
      expect(d.layers[at + 1]!.layer).toBe(child);
      if (dir === 'both') expect(d.layers[at]![field]).toBe(binding.value);
    }
    expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
  });

  it('UDP destination ports select their kind when decoding', () => {
    for (const c of encodable) {
      for (const b of c.selectedBy ?? []) {
        if (b.table !== 'udp.dport') continue;
        const bytes = encodeFrame([E, IP4, { layer: 'udp', sport: 1, dport: b.value }, ...CHILD[c.kind]!]);
        expect(decodeFrame(bytes).layers[3]!.layer, `port ${b.value}`).toBe(c.kind);
      }
    }
  });
});

const nz = (bits: number) => fc.integer({ min: 1, max: 2 ** bits - 1 });
const hexBytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => bytesToHex(b));
const tcp = fc.record({
  layer: fc.constant('tcp'),
  sport: nz(16),
  dport: nz(16),
  seq: nz(32),
  ack: nz(32),
  flags: nz(8),
  window: nz(16),
  urgptr: nz(16),
  reserved: nz(4),
  options: fc.integer({ min: 0, max: 10 }).chain((n) => hexBytes(4 * n, 4 * n)),
});
const optionsHex = fc.integer({ min: 0, max: 4 }).chain((n) => hexBytes(8 * n + 6, 8 * n + 6));
const ext = fc.oneof(
  fc.record({ layer: fc.constant('ipv6hbh'), options: optionsHex }),
  fc.record({ layer: fc.constant('ipv6dest'), options: optionsHex }),
  fc.record({ layer: fc.constant('ipv6rh'), type: fc.constantFrom(0, 2, 4, 253), segleft: nz(8), data: fc.integer({ min: 1, max: 4 }).chain((n) => hexBytes(8 * n + 4, 8 * n + 4)) }),
  fc.record({ layer: fc.constant('ipv6frag'), offset: fc.constant(0), m: fc.constant(0), id: nz(32), res: nz(8), res2: nz(2) }),
);
const icmpv6 = fc.oneof(
  fc.record({ layer: fc.constant('icmpv6'), type: fc.constantFrom(128, 129), code: nz(8), id: nz(16), seq: nz(16) }),
  fc.record({ layer: fc.constant('icmpv6'), type: fc.constantFrom(135, 136), code: nz(8), flags: nz(8), target: ipv6Addr, options: hexBytes(0, 16) }),
  fc.record({ layer: fc.constant('icmpv6'), type: fc.constantFrom(133, 134, 137, 200), code: nz(8), data: hexBytes(0, 16) }),
);
const ipv6 = fc.record({ layer: fc.constant('ipv6'), src: ipv6Addr, dst: ipv6Addr, hlim: nz(8), tc: nz(8), fl: nz(20) });
const ipv4 = fc.record({ layer: fc.constant('ipv4'), src: ipv4Addr, dst: ipv4Addr, ttl: nz(8), id: nz(16) });
const link = fc.oneof(
  fc.record({ layer: fc.constant('ether'), dst: mac, src: mac }).map((l): [Layer, number] => [l, 1]),
  fc.record({ layer: fc.constant('sll'), pkttype: nz(16), hatype: nz(16), halen: nz(16), addr: hexBytes(8, 8) }).map((l): [Layer, number] => [l, 113]),
  fc.record({ layer: fc.constant('sll2'), pkttype: nz(8), hatype: nz(16), halen: nz(8), ifindex: nz(32), addr: hexBytes(8, 8) }).map((l): [Layer, number] => [l, 276]),
  fc.record({ layer: fc.constant('loopback'), byteorder: fc.constantFrom('le', 'be') }).map((l): [Layer, number] => [l, 0]),
);
const newKindsFrame = fc.tuple(
  link,
  fc.oneof(
    fc.tuple(ipv6, fc.array(ext, { maxLength: 3 }), fc.oneof(tcp, icmpv6)).map(([ip, exts, upper]) => [ip, ...exts, upper] as Layer[]),
    fc.tuple(ipv4, tcp).map(([ip, t]) => [ip, t] as Layer[]),
  ),
  fc.option(hexBytes(1, 20)),
);

describe('round trip of the new kinds with random values', () => {
  it('decode(encode(x)) gives back every field; the decoded layers rebuild the bytes', () => {
    fc.assert(
      fc.property(newKindsFrame, ([[first, linkType], rest, tail]) => {
        const upper = rest.at(-1)!;
        // ICMPv6 other types and ND options run to the end: no raw after them.
        const layers: Layer[] = [first, ...rest, ...(tail && upper.layer !== 'icmpv6' ? [{ layer: 'raw', hex: tail }] : [])];
        const bytes = encodeFrame(layers);
        const d = decodeFrame(bytes, { linkType });
        expect(d.error).toBeUndefined();
        expect(d.layers.map((l) => l.layer)).toEqual(layers.map((l) => l.layer));
        layers.forEach((l, i) => {
          for (const [k, v] of Object.entries(l)) {
            if (k === 'byteorder' && v === 'le') continue; // the default is not written
            if (k === 'addr' || k === 'target') continue; // checked through the bytes below
            expect(d.layers[i]![k], `layer ${i} (${l.layer}) ${k}`).toEqual(v);
          }
        });
        expect(bytesToHex(encodeFrame(d.layers))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 300 },
    );
  });
});

describe('FrameView', () => {
  it('layer(i) equals decodeFrame layer i for random new-kind frames', () => {
    fc.assert(
      fc.property(newKindsFrame, ([[first, linkType], rest]) => {
        const bytes = encodeFrame([first, ...rest]);
        const v = new FrameView({ linkType });
        const n = v.scan(bytes);
        const d = decodeFrame(bytes, { linkType });
        for (let i = 0; i < n; i++) expect(v.layer(i)).toEqual(d.layers[i]);
      }),
      { numRuns: 100 },
    );
  });

  it('field() reads only fields of the layer kind', () => {
    const bytes = encodeFrame([E, IP4, { layer: 'udp', sport: 9, dport: 4789 }, { layer: 'vxlan', vni: 77 }, E, IP4, { layer: 'udp', sport: 1, dport: 2 }]);
    const v = new FrameView();
    v.scan(bytes);
    expect(v.field(3, VXLAN.f.vni)).toBe(77);
    expect(() => v.field(2, VXLAN.f.vni)).toThrow(VirtkitError);
    expect(() => v.field(2, VXLAN.f.vni)).toThrow(/layer 2 is udp, which has no field 'vni'/);
    expect(v.field(2, UDP.f.sport)).toBe(9);
    expect(() => v.field(99, UDP.f.sport)).toThrow(/layer 99 does not exist/);
    expect(() => v.field(-1, UDP.f.sport)).toThrow(/layer -1 does not exist/);
    expect(() => v.field(7, UDP.f.sport)).toThrow(/layer 7 does not exist \(the frame has 7\)/);
    expect(() => v.field(1.5, UDP.f.sport)).toThrow(VirtkitError);
  });

  it('KIND keeps fast (non-dictionary) properties, so a dissector\'s KIND.x is a plain field load', () => {
    // Filling it one computed key at a time turned it into a hash table: 10-15% of the zero-copy scan.
    const script = `const k = await import(${JSON.stringify(new URL('../../dist/src/net/index.js', import.meta.url).href)}).then(() => import(${JSON.stringify(new URL('../../dist/src/net/kinds.js', import.meta.url).href)})); console.log(%HasFastProperties(k.KIND), Object.keys(k.KIND).length);`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.trim()).toBe(`true ${KIND_NAMES.length}`);
  });

  it('kind codes are the registry order: raw first, then by name', () => {
    expect(KIND_NAMES[0]).toBe('raw');
    expect(KIND_NAMES.slice(1)).toEqual([...KIND_NAMES.slice(1)].sort());
  });
});
