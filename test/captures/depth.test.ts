/**
 * Real captures of other projects (fixtures/captures, see SOURCES.md there) against tshark, the
 * ground truth for the wire: every frame decodes without a crash, rebuilds byte for byte
 * (build(decode(x)) = x), and is dissected as deep as tshark dissects it through the protocols
 * virtkit has, with the same value for every compared field (`tshark -T fields -E
 * occurrence=a`: every occurrence, outer layers first, as virtkit lists its layers).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeFrame, encodeFrame, FrameView, hexToBytes, type Layer } from '../../src/net/index.js';
import { readCapture } from '../../src/pcap/index.js';
import { ROOT } from '../helpers/cli.js';
import { toolsAvailable } from '../helpers/tools.js';
import { tsharkDepth } from '../helpers/tshark-depth.js';
import { handPcap as pcap } from '../helpers/hand-pcap.js';

const DIR = join(ROOT, 'fixtures', 'captures');
const FILES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
const LINKTYPE_ETHERNET = 1;

type Conv = (s: string) => string | number;
const num: Conv = (s) => Number(s);
const str: Conv = (s) => s;
/**
 * Compared fields: virtkit kind, its field, tshark's field, how tshark prints it. A layer
 * without the field (an optional word not present) has no occurrence on either side.
 */
const FIELDS: [string, string, string, Conv][] = [
  ['ether', 'dst', 'eth.dst', str],
  ['ether', 'src', 'eth.src', str],
  ['ether', 'type', 'eth.type', num],
  ['dot1q', 'vid', 'vlan.id', num],
  ['dot1q', 'pcp', 'vlan.priority', num],
  ['dot1ad', 'vid', 'ieee8021ad.id', num],
  ['arp', 'op', 'arp.opcode', num],
  ['arp', 'psrc', 'arp.src.proto_ipv4', str],
  ['arp', 'pdst', 'arp.dst.proto_ipv4', str],
  ['arp', 'hwtype', 'arp.hw.type', num],
  ['arp', 'hwsrc', 'arp.src.hw_mac', str],
  ['ipv4', 'src', 'ip.src', str],
  ['ipv4', 'dst', 'ip.dst', str],
  ['ipv4', 'ttl', 'ip.ttl', num],
  ['ipv4', 'id', 'ip.id', num],
  ['ipv4', 'proto', 'ip.proto', num],
  ['ipv4', 'frag', 'ip.frag_offset', num],
  ['ipv6', 'src', 'ipv6.src', str],
  ['ipv6', 'dst', 'ipv6.dst', str],
  ['ipv6', 'nh', 'ipv6.nxt', num],
  ['ipv6', 'hlim', 'ipv6.hlim', num],
  ['udp', 'sport', 'udp.srcport', num],
  ['udp', 'dport', 'udp.dstport', num],
  ['udp', 'len', 'udp.length', num],
  ['tcp', 'sport', 'tcp.srcport', num],
  ['tcp', 'dport', 'tcp.dstport', num],
  ['tcp', 'seq', 'tcp.seq_raw', num],
  ['tcp', 'ack', 'tcp.ack_raw', num],
  ['tcp', 'flags', 'tcp.flags', num],
  ['tcp', 'window', 'tcp.window_size_value', num],
  ['icmpv6', 'type', 'icmpv6.type', num],
  ['icmpv6', 'code', 'icmpv6.code', num],
  ['gre', 'proto', 'gre.proto', num],
  ['gre', 'version', 'gre.flags.version', num],
  ['gre', 'key', 'gre.key', num],
  ['gre', 'seq', 'gre.sequence_number', num],
  ['gre', 'callid', 'gre.key.call_id', num],
  ['gre', 'paylen', 'gre.key.payload_length', num],
  ['gre', 'ack', 'gre.ack_number', num],
  ['ppp', 'proto', 'ppp.protocol', num],
  ['ppp', 'address', 'ppp.address', num],
  ['ppp', 'control', 'ppp.control', num],
  ['pppoe', 'version', 'pppoe.version', num],
  ['pppoe', 'type', 'pppoe.type', num],
  ['pppoe', 'code', 'pppoe.code', num],
  ['pppoe', 'sessionid', 'pppoe.session_id', num],
  ['pppoe', 'len', 'pppoe.payload_length', num],
  // Discovery packets: the same header fields (Wireshark names them pppoe.* in both stages) and
  // each tag's type.
  ['pppoed', 'version', 'pppoe.version', num],
  ['pppoed', 'code', 'pppoe.code', num],
  ['pppoed', 'sessionid', 'pppoe.session_id', num],
  ['pppoed', 'len', 'pppoe.payload_length', num],
  ['erspan', 'ver', 'erspan.version', num],
  ['erspan', 'vlan', 'erspan.vlan', num],
  ['erspan', 'cos', 'erspan.cos', num],
  ['erspan', 'session_id', 'erspan.spanid', num],
  ['erspan', 'index', 'erspan.index', num],
  ['erspan', 'timestamp', 'erspan.timestamp', num],
  ['erspan', 'sgt_other', 'erspan.sgt', num],
  ['erspan', 'ft', 'erspan.ft', num],
  ['erspan', 'hw', 'erspan.hw', num],
  ['erspan', 'd', 'erspan.direction', num],
  ['erspan', 'gra', 'erspan.gra', num],
  ['erspan', 'o', 'erspan.o', num],
  ['gtpu', 'teid', 'gtp.teid', num],
  ['gtpu', 'gtp_type', 'gtp.message', num],
  ['gtpu', 'length', 'gtp.length', num],
  ['gtpu', 'seq', 'gtp.seq_number', num],
  ['erspan', 'platf_id', 'erspan.platid', num],
  ['vxlangpe', 'vni', 'vxlan.vni', num],
  ['vxlangpe', 'nextproto', 'vxlan.next_proto', num],
  ['teredo', 'orig_port', 'teredo.orig.port', num],
  ['teredo', 'orig_addr', 'teredo.orig.addr', str],
  ['ayiya', 'opcode', 'ayiya.opcode', num],
  ['ayiya', 'nh', 'ayiya.nextheader', num],
  ['pim', 'type', 'pim.type', num],
  ['pim', 'version', 'pim.version', num],
  ['pim', 'chksum', 'pim.cksum', num],
  ['nsh', 'spi', 'nsh.spi', num],
  ['nsh', 'si', 'nsh.si', num],
  ['nsh', 'mdtype', 'nsh.mdtype', num],
  ['nsh', 'nextproto', 'nsh.nextproto', num],
  ['nsh', 'length', 'nsh.length', num],
];

/** tshark's booleans and hex print as they do; numbers may be "0x…", "True"/"False". */
function tsharkNumber(s: string): number {
  if (s === 'True' || s === '1') return 1;
  if (s === 'False') return 0;
  return Number(s);
}

interface TsharkFrame {
  protocols: string[];
  fields: Map<string, string[]>;
}

function tshark(file: string): TsharkFrame[] {
  // Dissect each frame alone, as virtkit does: no reassembly of IP fragments or TCP streams.
  const args = ['-r', file, '-o', 'ip.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=|', '-E', 'occurrence=a', '-e', 'frame.protocols'];
  for (const [, , t] of FIELDS) args.push('-e', t);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const cols = l.split('\t');
      const fields = new Map<string, string[]>();
      FIELDS.forEach(([, , t], k) => fields.set(t, cols[k + 1] ? cols[k + 1]!.split('|') : []));
      return { protocols: cols[0]!.split(':'), fields };
    });
}

/**
 * tshark's depth; Wireshark 4.0 shows VXLAN-GPE as a `vxlan` tree item but lists no protocol for
 * it in frame.protocols: its next-protocol field says it is there.
 */
function depthOf(t: TsharkFrame): string[] {
  return tsharkDepth(t.protocols, (k, soFar) => (k === 'nsh' && soFar.at(-1) === 'udp' && (t.fields.get('vxlan.next_proto') ?? []).length > 0 ? 'vxlangpe' : undefined));
}

const haveTshark = toolsAvailable('tshark');

const tmp = mkdtempSync(join(tmpdir(), 'virtkit-depth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The scapy-made golden tunnel frames, as a capture of their own. */
function goldenCapture(): string {
  const g = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'vectors', 'golden-tunnels.json'), 'utf8')) as { vectors: { hex: string }[] };
  const file = join(tmp, 'golden-tunnels.pcap');
  writeFileSync(file, pcap(g.vectors.map((v) => hexToBytes(v.hex)!)));
  return file;
}


/**
 * What GRE carries (ERSPAN II and III, PPP) taken out of the real captures and put after Geneve
 * with the same protocol type, next to the GRE originals: Wireshark dissects ERSPAN and PPP only
 * after GRE (its gre.proto table), so after Geneve they are data, as virtkit's `gre` scope says.
 */
function geneveScopeCapture(): string {
  const frames: Uint8Array[] = [];
  const view = new FrameView();
  for (const f of ['erspan-type-ii-1.pcap', 'erspan-type-iii-ft-0.pcap', 'pptp.pcap']) {
    const data = readCapture(new Uint8Array(readFileSync(join(DIR, f)))).map((p) => p.data);
    const frame = data.find((d) => {
      view.scan(d);
      const g = view.find('gre');
      return g >= 0 && (view.kind(g + 1) === 'erspan' || view.kind(g + 1) === 'ppp');
    });
    if (!frame) throw new Error(`${f} has no GRE frame carrying ERSPAN or PPP`);
    view.scan(frame);
    const g = view.find('gre');
    const proto = decodeFrame(frame).layers[g]!.proto as number;
    frames.push(frame);
    frames.push(
      encodeFrame([
        { layer: 'ether', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01' },
        { layer: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' },
        { layer: 'udp', sport: 49152, dport: 6081 },
        { layer: 'geneve', vni: 77, proto },
        { layer: 'raw', hex: bytesToHex(frame.subarray(view.start(g + 1))) },
      ]),
    );
  }
  const file = join(tmp, 'geneve-scope.pcap');
  writeFileSync(file, pcap(frames));
  return file;
}

describe.each([...FILES.map((f) => [f, join(DIR, f)]), ['golden-tunnels.json', goldenCapture()], ['geneve-scope (ERSPAN, PPP after GRE and after Geneve)', geneveScopeCapture()]])('%s', (name, file) => {
  const packets = readCapture(new Uint8Array(readFileSync(file)));
  // Frames of other link types (raw IP, SLL, loopback) decode from their own first layer.
  const decode = (p: (typeof packets)[number]) => decodeFrame(p.data, p.linkType === LINKTYPE_ETHERNET ? {} : { linkType: p.linkType });

  it('every frame decodes and rebuilds byte for byte', () => {
    expect(packets.length).toBeGreaterThan(0);
    for (const p of packets) {
      const d = decode(p);
      expect(Buffer.from(encodeFrame(d.layers)).toString('hex')).toBe(Buffer.from(p.data).toString('hex'));
    }
  });

  it.runIf(haveTshark)('is as deep as tshark, with the same field values', () => {
    const rows = tshark(file);
    expect(rows).toHaveLength(packets.length);
    packets.forEach((p, n) => {
      const d = decode(p);
      const where = `${name} frame ${n + 1}`;
      // A record cut by the capture's snap length ends in a header cut short: that is an error
      // here, while tshark shows the fields it has; compare the layers before the cut.
      const cut = p.data.length < p.originalLength;
      if (!cut) expect(d.error, where).toBeUndefined();
      // Wireshark dissects RARP with its ARP dissector (protocol `arp`, fields arp.*).
      const ours = d.layers.filter((l) => l.layer !== 'raw').map((l) => (l.layer === 'rarp' ? { ...l, layer: 'arp' } : l));
      const full = depthOf(rows[n]!);
      const want = cut ? full.slice(0, ours.length) : full;
      expect(
        ours.map((l) => l.layer),
        where,
      ).toEqual(want);
      for (const [kind, field, tfield, conv] of FIELDS) {
        // ERSPAN type I has no header: its `ver` 0 is virtkit's name for that, not a field on the wire.
        // tshark's arp.src.hw_mac exists for 6-byte hardware addresses only.
        const skip = (l: Layer) => (kind === 'erspan' && l.ver === 0) || (tfield === 'arp.src.hw_mac' && !String(l.hwsrc).includes(':'));
        // The decoder leaves out hidden fields at their default (ARP's hardware type 1).
        const value = (l: Layer) => l[field] ?? (kind === 'arp' && field === 'hwtype' ? 1 : undefined);
        const mine = ours.filter((l: Layer) => l.layer === kind && value(l) !== undefined && !skip(l)).map((l) => (typeof value(l) === 'number' ? value(l) : String(value(l))));
        const theirs = (rows[n]!.fields.get(tfield) ?? []).map((s) => (conv === num ? tsharkNumber(s) : conv(s)));
        // tshark has the field in layers virtkit leaves raw (beyond its depth): compare the ones both have.
        expect(theirs.slice(0, mine.length), `${where}: ${kind}.${field} vs ${tfield}`).toEqual(mine);
        if (want.includes(kind)) expect(theirs.length, `${where}: ${tfield} occurrences`).toBe(mine.length);
      }
    });
  });
});
