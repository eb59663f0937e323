/** `virtkit decode` on the vendored real captures: the new layers by name, and TSO notes. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const cap = (name: string) => join(ROOT, 'fixtures', 'captures', name);

describe('virtkit decode on tunnel captures', () => {
  it('an IPv4 total length of 0 (TSO) decodes to TCP with a note, no error', async () => {
    const r = await runCli(['decode', '--json', cap('ipv4_tcp_http_xml_tso.pcap')]);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout).packets[0];
    expect(p.error).toBeUndefined();
    expect(p.note).toBe('ipv4 at 14: total length 0, taken as the rest of the frame (TSO/GSO capture)');
    expect(p.layers.map((l: { layer: string }) => l.layer).slice(0, 3)).toEqual(['ether', 'ipv4', 'tcp']);
    expect(p.layers[1].len).toBe(0);
  });

  it('the summary names PPTP GRE, PPP, ERSPAN, GTP-U, VXLAN-GPE and NSH', async () => {
    const lines = async (f: string) => (await runCli(['decode', cap(f)])).stdout;
    expect(await lines('pptp.pcap')).toContain('ETH/IPv4/GRE/PPP/DATA');
    expect(await lines('erspan-type-ii-1.pcap')).toContain('ETH/IPv4/GRE/ERSPAN/ETH/IPv4/PIM/DATA');
    expect(await lines('zeek-gtp7_ipv6.pcap')).toContain('ETH/IPv4/UDP/GTP-U/IPv6/ICMPv6');
    expect(await lines('nsh-over-vxlan-gpe.pcap')).toContain('ETH/IPv4/UDP/VXLAN-GPE/NSH/IPv4/UDP/DATA');
    expect(await lines('zeek-pppoe-over-qinq.pcap')).toContain('ETH/802.1Q/802.1Q/PPPoE/PPP/IPv4/TCP');
  });
});

describe('virtkit decode on Teredo and AYIYA', () => {
  it('a Teredo bubble (IPv6 payload length 0, nothing after the header) has no note; replies from port 3544 are Teredo too', async () => {
    const r = await runCli(['decode', '--json', cap('zeek-Teredo.pcap')]);
    const packets = JSON.parse(r.stdout).packets as { layers: { layer: string; plen?: number; orig_port?: number }[]; note?: string }[];
    const bubble = packets[3]!;
    expect(bubble.layers.find((l) => l.layer === 'ipv6')!.plen).toBe(0);
    expect(bubble.note).toBeUndefined();
    expect(packets[1]!.layers.find((l) => l.layer === 'teredo')).toMatchObject({ auth_id: '', auth_value: '', conf: 0, orig_port: 3797, orig_addr: '70.55.215.234' });
    // Between two clients (neither port 3544) nothing says Teredo, for tshark either.
    expect(packets[4]!.layers.map((l) => l.layer)).toEqual(['ether', 'ipv4', 'udp', 'raw']);
  });
});

describe('auto fields of the new layers reproduce the captured values', () => {
  it('PIM checksum: a Register covers its first 8 bytes only, a Register-Stop its whole message', async () => {
    const { readFileSync } = await import('node:fs');
    const { readCapture } = await import('../../src/pcap/index.js');
    const { decodeFrame, encodeFrame } = await import('../../src/net/index.js');
    const packets = readCapture(new Uint8Array(readFileSync(cap('PIM_register_register-stop.pcap'))));
    expect(packets).toHaveLength(2);
    for (const p of packets) {
      const layers = decodeFrame(p.data).layers.map((l) => (l.layer === 'pim' || l.layer === 'ipv4' ? (({ chksum: _c, ...rest }) => rest)(l) : l));
      expect(Buffer.from(encodeFrame(layers as never)).equals(Buffer.from(p.data))).toBe(true);
    }
  });
});
