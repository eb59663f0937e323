/**
 * The demo capture: every encapsulation once, comments with measured overheads, and Wireshark
 * dissecting each frame as the comment says, with nothing to flag.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SA, demoPackets } from '../../src/demo/frames.js';
import { SaTable } from '../../src/net/esp/sa.js';
import { writeCaptureFile } from '../../src/node/build.js';
import { readCapture, formatTime } from '../../src/pcap/index.js';
import { encodeFrame } from '../../src/net/index.js';
import { toolsAvailable } from '../helpers/tools.js';
import { tmp, run } from './helpers.js';

const demo = demoPackets();

describe('demo frames', () => {
  it('comments state overheads measured by encoding', () => {
    const byStart = (s: string) => demo.find((d) => d.comment.startsWith(s))!.comment;
    // Figures from the golden README (scapy-measured): VXLAN 50/70, +4 for an outer tag, NVGRE 42, GRE 24+4+4+4.
    expect(byStart('VXLAN VNI 5001 over IPv4')).toBe('VXLAN VNI 5001 over IPv4: 50 bytes of outer headers around a 58-byte inner frame');
    expect(byStart('VXLAN VNI 5002 over IPv6')).toMatch(/: 70 bytes of outer headers/);
    expect(byStart('VXLAN VNI 5003')).toMatch(/: 54 bytes of outer headers/);
    expect(byStart('NVGRE')).toMatch(/: 42 bytes of outer headers/);
    expect(byStart('GRE over IPv4 carrying IPv4')).toMatch(/: 38 bytes of outer headers/);
    expect(byStart('GRE with checksum')).toMatch(/: 50 bytes of outer headers/);
    expect(byStart('802.1Q VLAN 100')).toMatch(/the tag adds 4 bytes$/);
    expect(byStart('QinQ')).toMatch(/the tags add 8 bytes$/);
    expect(byStart('MPLS stack of three')).toMatch(/: 26 bytes of outer headers/);
    expect(byStart('IPv4-in-IPv4')).toMatch(/: 34 bytes of outer headers/);
    expect(byStart('Geneve VNI 7001')).toMatch(/: 62 bytes of outer headers/);
  });

  it('is deterministic: same layers, comments and times every call', () => {
    expect(demoPackets()).toEqual(demo);
    const times = demo.map((d) => d.time);
    expect(new Set(times).size).toBe(demo.length);
  });
});

describe.skipIf(!toolsAvailable('tshark'))('demo capture in Wireshark', () => {
  let file = '';
  beforeAll(async () => {
    file = join(tmp(), 'demo.pcapng');
    const s = await writeCaptureFile(file, demo, { format: 'pcapng', sa: new SaTable(DEMO_SA) });
    expect(s.packets).toBe(demo.length);
  });

  it('reads back with every frame, time and comment', () => {
    const back = readCapture(readFileSync(file));
    expect(back.map((p) => p.comment)).toEqual(demo.map((d) => d.comment));
    expect(back.map((p) => formatTime(p.sec, p.nsec))).toEqual(demo.map((d) => d.time));
    expect(back.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(demo.map((d) => Buffer.from(encodeFrame(d.layers, { sa: DEMO_SA })).toString('hex')));
  });

  it('tshark: every protocol is dissected, nothing flagged with checksum validation on', () => {
    const r = run('tshark', [
      '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
      '-T', 'fields', '-e', 'frame.protocols', '-e', 'frame.comment', '-e', '_ws.expert.severity', '-e', '_ws.malformed',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(demo.length);
    const protocols = rows.map((x) => x[0]!);
    const want: [string, string][] = [
      ['ARP', 'eth:ethertype:arp'],
      ['ICMP echo', 'eth:ethertype:ip:icmp:data'],
      ['802.1Q VLAN 100', 'eth:ethertype:vlan:ethertype:ip:udp:data'],
      ['QinQ', 'eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:udp:data'],
      ['VXLAN VNI 5001', 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp:data'],
      ['VXLAN VNI 5002', 'eth:ethertype:ipv6:udp:vxlan:eth:ethertype:ip:udp:data'],
      ['Geneve VNI 7001', 'eth:ethertype:ip:udp:geneve:eth:ethertype:ip:udp:data'],
      ['GRE with checksum', 'eth:ethertype:ip:gre:ip:udp:data'],
      ['NVGRE', 'eth:ethertype:ip:gre:eth:ethertype:ip:udp:data'],
      ['MPLS stack of three', 'eth:ethertype:mpls:ip:udp:data'],
      ['6in4', 'eth:ethertype:ip:ipv6:udp:data'],
      ['IPv6-in-IPv6', 'eth:ethertype:ipv6:ipv6:udp:data'],
    ];
    for (const [start, proto] of want) {
      const i = demo.findIndex((d) => d.comment.startsWith(start));
      expect(protocols[i], start).toBe(proto);
    }
    // Severity: tshark lists every expert item of the frame; comments are 0x00100000 (Comment).
    // Anything at warning (0x00600000) or above, or a malformed mark, is a defect.
    for (const [i, row] of rows.entries()) {
      const severities = (row[2] ?? '').split(',').filter(Boolean).map(Number);
      expect(severities.filter((s) => s >= 0x00600000), demo[i]!.comment).toEqual([]);
      expect(row[3] ?? '', demo[i]!.comment).toBe('');
    }
  });
});
