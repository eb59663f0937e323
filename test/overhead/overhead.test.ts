import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encapsulationOverhead, OverheadError, parseStack } from '../../src/net/overhead.js';
import { encodeFrame, decodeFrame } from '../../src/net/index.js';
import { overheadTable, OVERHEAD_TABLE_STACKS } from '../../src/demo/overhead.js';
import { ROOT } from '../helpers/cli.js';

/**
 * Hand-derived figures. Header sizes from the RFCs/standards: Ethernet II 14 (6 dst + 6 src +
 * 2 type), 802.1Q / 802.1ad tag 4, IPv4 20 (no options), IPv6 40, UDP 8, VXLAN 8 (RFC 7348),
 * Geneve 8 + options (RFC 8926), GRE 4 + 4 per present checksum/key/sequence (RFC 2784/2890),
 * MPLS label 4 (RFC 3032).
 *   link   = leading ether/dot1q/dot1ad bytes (outside the underlay MTU)
 *   tunnel = overhead − link
 *   inner  = inner Ethernet 14 / a label 4 / IP 0
 *   innerMtu = mtu − tunnel − inner; maxInnerFrame = mtu − tunnel; requiredMtu = innerMtuWanted + inner + tunnel
 */
interface Case {
  stack: string;
  layers: number[];
  overhead: number;
  derivation: string;
  mtu?: number;
  innerMtuWanted?: number;
  innerMtu: number;
  maxInnerFrame: number;
  requiredMtu: number;
}

const CASES: Case[] = [
  {
    stack: 'ether,ipv4,udp,vxlan,ether', layers: [14, 20, 8, 8], overhead: 50,
    derivation: '14 + 20 + 8 + 8 = 50; tunnel 50 − 14 = 36; innerMtu 1500 − 36 − 14 = 1450; frame 1500 − 36 = 1464; required 1500 + 14 + 36 = 1550',
    innerMtu: 1450, maxInnerFrame: 1464, requiredMtu: 1550,
  },
  {
    stack: 'ether,ipv6,udp,vxlan,ether', layers: [14, 40, 8, 8], overhead: 70,
    derivation: '14 + 40 + 8 + 8 = 70; tunnel 56; innerMtu 1500 − 56 − 14 = 1430; frame 1444; required 1500 + 70 = 1570',
    innerMtu: 1430, maxInnerFrame: 1444, requiredMtu: 1570,
  },
  {
    stack: 'ether,dot1q,ipv4,udp,vxlan,ether', layers: [14, 4, 20, 8, 8], overhead: 54,
    derivation: '14 + 4 + 20 + 8 + 8 = 54; the tag is part of the link header (18): tunnel 36, innerMtu 1450, required 1550',
    innerMtu: 1450, maxInnerFrame: 1464, requiredMtu: 1550,
  },
  {
    stack: 'ether,ipv4,udp,geneve,ether', layers: [14, 20, 8, 8], overhead: 50,
    derivation: '14 + 20 + 8 + 8 = 50 (Geneve base header 8, no options): same as VXLAN',
    innerMtu: 1450, maxInnerFrame: 1464, requiredMtu: 1550,
  },
  {
    stack: 'ether,ipv4,udp,geneve:8,ether', layers: [14, 20, 8, 16], overhead: 58,
    derivation: '14 + 20 + 8 + (8 + 8 options) = 58; tunnel 44; innerMtu 1500 − 44 − 14 = 1442; required 1500 + 14 + 44 = 1558',
    innerMtu: 1442, maxInnerFrame: 1456, requiredMtu: 1558,
  },
  {
    stack: 'ether,ipv4,gre,ipv4', layers: [14, 20, 4], overhead: 38,
    derivation: '14 + 20 + 4 = 38; tunnel 24; inner IP has no link header: innerMtu 1500 − 24 = 1476; required 1524',
    innerMtu: 1476, maxInnerFrame: 1476, requiredMtu: 1524,
  },
  {
    stack: 'ether,ipv4,gre:key+seq+chksum,ipv4', layers: [14, 20, 16], overhead: 50,
    derivation: '14 + 20 + (4 + 4 chksum/reserved + 4 key + 4 seq) = 50; tunnel 36; innerMtu 1464; required 1536',
    innerMtu: 1464, maxInnerFrame: 1464, requiredMtu: 1536,
  },
  {
    stack: 'ether,ipv4,gre:key,ether', layers: [14, 20, 8], overhead: 42,
    derivation: 'NVGRE: 14 + 20 + (4 + 4 key) = 42; tunnel 28; innerMtu 1500 − 28 − 14 = 1458; frame 1472; required 1542',
    innerMtu: 1458, maxInnerFrame: 1472, requiredMtu: 1542,
  },
  {
    stack: 'ether,ipv4,ipv4', layers: [14, 20], overhead: 34,
    derivation: 'IP-in-IP: 14 + 20 = 34; tunnel 20; innerMtu 1480; required 1520',
    innerMtu: 1480, maxInnerFrame: 1480, requiredMtu: 1520,
  },
  {
    stack: 'ether,ipv4,ipv6', layers: [14, 20], overhead: 34,
    derivation: '6in4: 14 + 20 = 34; innerMtu 1480 (the usual 6in4 tunnel MTU); required 1520',
    innerMtu: 1480, maxInnerFrame: 1480, requiredMtu: 1520,
  },
  {
    stack: 'ether,mpls,mpls,ipv4', layers: [14, 4, 4], overhead: 22,
    derivation: '14 + 4 + 4 = 22; labels count against the MTU: tunnel 8; innerMtu 1492; required 1508 (the classic MPLS MTU)',
    innerMtu: 1492, maxInnerFrame: 1492, requiredMtu: 1508,
  },
  {
    stack: 'ether,dot1ad,dot1q,ipv4', layers: [14, 4, 4], overhead: 22,
    derivation: 'QinQ: 14 + 4 + 4 = 22, all link header: tunnel 0; innerMtu 1500; required 1500 (the frame grows to 1522 + FCS, not the MTU)',
    innerMtu: 1500, maxInnerFrame: 1500, requiredMtu: 1500,
  },
  {
    stack: 'ether,ipv4,gre,mpls', layers: [14, 20, 4], overhead: 38,
    derivation: 'MPLS over GRE: 14 + 20 + 4 = 38; tunnel 24; the inner label is 4: innerMtu 1500 − 24 − 4 = 1472; required 1500 + 4 + 24 = 1528',
    innerMtu: 1472, maxInnerFrame: 1476, requiredMtu: 1528,
  },
  {
    stack: 'ether,ipv4,udp,vxlan,ether', layers: [14, 20, 8, 8], overhead: 50, mtu: 9000, innerMtuWanted: 8000,
    derivation: 'jumbo: innerMtu 9000 − 36 − 14 = 8950; frame 8964; an inner MTU of 8000 needs 8000 + 50 = 8050',
    innerMtu: 8950, maxInnerFrame: 8964, requiredMtu: 8050,
  },
  {
    stack: 'ipv6,udp,vxlan,ether', layers: [40, 8, 8], overhead: 56,
    derivation: 'no outer link layer: 40 + 8 + 8 = 56, all of it tunnel; innerMtu 1500 − 56 − 14 = 1430; required 1570',
    innerMtu: 1430, maxInnerFrame: 1444, requiredMtu: 1570,
  },
];

describe('encapsulationOverhead: hand-derived figures', () => {
  for (const c of CASES) {
    it(`${c.stack}${c.mtu ? ` mtu ${c.mtu}` : ''}: ${c.derivation}`, () => {
      const o = encapsulationOverhead(c.stack, { mtu: c.mtu, innerMtu: c.innerMtuWanted });
      expect(o.layers.map((l) => l.bytes)).toEqual(c.layers);
      expect(c.layers.reduce((a, b) => a + b, 0)).toBe(c.overhead);
      expect(o.overhead).toBe(c.overhead);
      expect(o.mtu).toBe(c.mtu ?? 1500);
      expect(o.innerMtu).toBe(c.innerMtu);
      expect(o.maxInnerFrame).toBe(c.maxInnerFrame);
      expect(o.requiredMtu).toBe(c.requiredMtu);
    });
  }

  it('the vectors README figures: VXLAN 50/70, +4 for a tag, GRE 38, +4 per option, NVGRE 42', () => {
    const ov = (s: string) => encapsulationOverhead(s).overhead;
    expect(ov('ether,ipv4,udp,vxlan,ether')).toBe(50);
    expect(ov('ether,ipv6,udp,vxlan,ether')).toBe(70);
    expect(ov('ether,dot1q,ipv4,udp,vxlan,ether')).toBe(54);
    expect(ov('ether,ipv4,gre,ipv4')).toBe(38);
    expect(ov('ether,ipv4,gre:key,ipv4')).toBe(42);
    expect(ov('ether,ipv4,gre:seq,ipv4')).toBe(42);
    expect(ov('ether,ipv4,gre:chksum,ipv4')).toBe(42);
    expect(ov('ether,ipv4,gre:key+seq,ipv4')).toBe(46);
    expect(ov('ether,ipv4,gre:key,ether')).toBe(42);
  });

  it('Geneve options of every size 0..252 add exactly their bytes', () => {
    for (let n = 0; n <= 252; n += 4) {
      expect(encapsulationOverhead(`ether,ipv4,udp,geneve:${n},ether`).overhead).toBe(50 + n);
    }
  });
});

describe('every figure is a length difference of an actually encoded frame', () => {
  // ESP stacks encrypt the inner packet and pad it: test/overhead/esp-overhead.test.ts checks them.
  const stacks = [...new Set([...CASES.map((c) => c.stack), ...OVERHEAD_TABLE_STACKS.map((r) => r.stack)])].filter((s) => !s.includes('esp'));
  for (const stack of stacks) {
    it(stack, () => {
      const o = encapsulationOverhead(stack);
      const whole = encodeFrame(o.frame);
      const inner = encodeFrame(o.frame.slice(o.innerStart));
      // The inner packet's bytes sit exactly after `overhead` bytes of outer headers…
      expect(whole.length - inner.length).toBe(o.overhead);
      expect(Array.from(whole.subarray(o.overhead))).toEqual(Array.from(inner));
      // The decoder sees the same layers the stack names (it dissects what was measured)…
      if (o.frame[0]!.layer !== 'ether') return; // a capture frame starts with Ethernet
      const decoded = decodeFrame(whole, stack.includes('mpls,mpls,ether') ? { mplsEthernet: 'nocw' } : {}).layers;
      expect(decoded.slice(0, o.layers.length).map((l) => l.layer)).toEqual(o.layers.map((l) => l.layer));
      // …and each outer layer's figure is what taking it off the wire removes: the decoded
      // layers carry every field explicitly, so any tail of them re-encodes on its own.
      let off = 0;
      for (let i = 0; i < o.layers.length; i++) {
        const rest = encodeFrame(decoded.slice(i + 1));
        expect(whole.length - off - rest.length).toBe(o.layers[i]!.bytes);
        expect(Array.from(whole.subarray(off + o.layers[i]!.bytes))).toEqual(Array.from(rest));
        off += o.layers[i]!.bytes;
      }
    });
  }
});

describe('stack errors name the culprit and list the valid ones', () => {
  it('unknown layer', () => {
    expect(() => parseStack('ether,ipv4,udp,vxlam,ether')).toThrow(OverheadError);
    expect(() => parseStack('ether,ipv4,udp,vxlam,ether')).toThrow(/unknown layer 'vxlam'.*valid: ether, dot1q, dot1ad, mpls, ipv4, ipv6, udp, vxlan, gre.*geneve/);
  });
  it('unknown option', () => {
    expect(() => parseStack('ether,ipv4,gre:kee,ipv4')).toThrow(/unknown option 'kee' for gre \(valid: key, seq, chksum/);
    expect(() => parseStack('ether,ipv4,udp,geneve:6,ether')).toThrow(/unknown option '6' for geneve.*multiple of 4/);
    expect(() => parseStack('ether,ipv4,udp,geneve:256,ether')).toThrow(/unknown option '256' for geneve/);
    expect(() => parseStack('ether:x,ipv4')).toThrow(/unknown option 'x' for ether/);
  });
  it('a bad inner layer or too short a stack', () => {
    expect(() => parseStack('ether,ipv4,udp')).toThrow(/first inner layer.*ether, mpls, ipv4, ipv6.*'udp'/);
    expect(() => parseStack('ether')).toThrow(/outer layers followed by the first inner layer/);
  });
  it('pairings no tunnel uses', () => {
    expect(() => parseStack('ether,ipv4,udp,vxlan,ipv4')).toThrow(/layer after vxlan must be ether \(got 'ipv4'\)/);
    expect(() => parseStack('ether,ipv4,udp,ipv4')).toThrow(/udp must be followed by a UDP tunnel/);
    expect(() => encapsulationOverhead('ether,ether')).toThrow(OverheadError);
    expect(() => encapsulationOverhead('ether,ether')).toThrow(/stack ether,ether cannot be encoded: layer 0 \(ether\): type/);
  });
  it('an MTU too small for the stack', () => {
    expect(() => encapsulationOverhead('ether,ipv4,udp,vxlan,ether', { mtu: 49 })).toThrow(/mtu 49 is too small.*50 bytes/);
    expect(encapsulationOverhead('ether,ipv4,udp,vxlan,ether', { mtu: 50 }).innerMtu).toBe(0);
  });
});

describe('the README overhead table', () => {
  it('has the generated rows with the right figures', () => {
    const md = overheadTable('markdown');
    expect(md).toContain('| VXLAN over IPv4 | `ether,ipv4,udp,vxlan,ether` | 50 = 14 + 20 + 8 + 8 | 1450 | 1550 |');
    expect(md).toContain('| VXLAN over IPv6 | `ether,ipv6,udp,vxlan,ether` | 70 = 14 + 40 + 8 + 8 | 1430 | 1570 |');
    expect(md).toContain('| NVGRE (Ethernet in GRE with key) over IPv4 | `ether,ipv4,gre:key,ether` | 42 = 14 + 20 + 8 | 1458 | 1542 |');
    expect(md.trim().split('\n')).toHaveLength(2 + OVERHEAD_TABLE_STACKS.length);
    const text = overheadTable('text');
    expect(text).toMatch(/VXLAN over IPv4 +ether,ipv4,udp,vxlan,ether +50 = 14 \+ 20 \+ 8 \+ 8 +1450 +1550/);
  });

  it('README.md between the overhead-table markers equals overheadTable("markdown")', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = '<!-- overhead-table:start -->';
    const end = '<!-- overhead-table:end -->';
    const a = readme.indexOf(start);
    const b = readme.indexOf(end);
    expect(a, `README.md needs the marker ${start}`).toBeGreaterThanOrEqual(0);
    expect(b, `README.md needs the marker ${end}`).toBeGreaterThan(a);
    expect(readme.slice(a + start.length, b).trim()).toBe(overheadTable('markdown').trim());
  });
});
