/**
 * `virtkit decode FILE [--json] [-v]`: a pcap or pcapng file, streamed, each frame decoded into
 * the JSON layer format; text output is one summary line a frame, like tshark's.
 */
import { UsageError } from '../../errors.js';
import { parseArgs, flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { decodeFrame, type DecodeOptions, type Layer } from '../../net/index.js';
import { CaptureError, CaptureReader, LINKTYPE_ETHERNET, formatTime, type CaptureRecord } from '../../pcap/index.js';
import { readCaptureFile } from '../../node/capture-file.js';
import { checkReadable } from '../../node/spec-file.js';

const help = `usage: virtkit decode FILE|- [--json] [-v] [--mpls-ethernet cw|nocw]

Reads a pcap (either byte order, micro- or nanoseconds) or pcapng file ("-": standard input)
and decodes every frame into the JSON layer format (layers.md).
  --json                  {"packets": [{"time", "layers", "interface"?, "linkType"?,
                          "comment"? or "comments"?, "error"?}]}, time as decimal seconds with
                          all nine decimals; the interface name (pcapng), the link type when
                          not Ethernet and every comment are kept, so build gives the packets
                          back
  -v, --verbose           text: the layers of each frame indented under its summary line
  --mpls-ethernet cw|nocw decode MPLS payloads as Ethernet pseudowires, with or without the
                          control word (like tshark's Decode As pwethcw / pwethnocw)

A frame that cannot be decoded whole gets "error" and its undecoded rest as a "raw" layer. A
damaged file (bad magic, a block length disagreeing with its trailer, a record cut short) prints
the frames before the damage, then exits 2 with the byte offset of the damage on stderr.
`;

const SHORT: Record<string, string> = {
  ether: 'ETH',
  dot1q: '802.1Q',
  dot1ad: '802.1ad',
  arp: 'ARP',
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  udp: 'UDP',
  icmp: 'ICMP',
  vxlan: 'VXLAN',
  gre: 'GRE',
  mpls: 'MPLS',
  geneve: 'Geneve',
  raw: 'DATA',
};

interface Decoded {
  layers: Layer[];
  error?: string;
}

function decodeRecord(r: CaptureRecord, opts: DecodeOptions): Decoded {
  const data = r.data;
  if (r.linkType !== LINKTYPE_ETHERNET) {
    return { layers: [{ layer: 'raw', hex: Buffer.from(data).toString('hex') }], error: `link type ${r.linkType} is not Ethernet (1)` };
  }
  const d = decodeFrame(data, opts);
  return d.error ? { layers: d.layers, error: d.error.message } : { layers: d.layers };
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');

/** One line like tshark's summary: addresses of the innermost IP (else Ethernet), the stack, and what each tunnel says. */
export function summaryLine(n: number, time: string, length: number, d: Decoded): string {
  let src = '';
  let dst = '';
  const info: string[] = [];
  let ports = '';
  let haveIp = false;
  // What follows an ICMP error is the packet it quotes: the line keeps the outer addresses
  // and ports, as tshark's does.
  let quoted = false;
  for (const l of d.layers) {
    if (quoted) continue;
    switch (l.layer) {
      case 'ether':
        if (!haveIp) {
          src = str(l.src);
          dst = str(l.dst);
        }
        break;
      case 'ipv4':
      case 'ipv6':
        haveIp = true;
        src = str(l.src);
        dst = str(l.dst);
        break;
      case 'arp':
        info.push(l.op === 2 ? `${str(l.psrc)} is at ${str(l.hwsrc)}` : `Who has ${str(l.pdst)}? Tell ${str(l.psrc)}`);
        break;
      case 'dot1q':
      case 'dot1ad':
        info.push(`VLAN ${str(l.vid)}`);
        break;
      case 'vxlan':
        info.push(`VNI ${str(l.vni)}`);
        break;
      case 'geneve':
        info.push(`VNI ${str(l.vni)}${Array.isArray(l.options) && l.options.length ? ` +${l.options.length} opt` : ''}`);
        break;
      case 'gre':
        if (l.key !== undefined) info.push(`GRE key 0x${Number(l.key).toString(16)}`);
        break;
      case 'mpls':
        info.push(`label ${str(l.label)}`);
        break;
      case 'udp':
        ports = `${str(l.sport)} → ${str(l.dport)}`;
        break;
      case 'icmp':
        quoted = true;
        info.push(
          l.type === 8 ? `Echo request id=${str(l.id)} seq=${str(l.seq)}` : l.type === 0 ? `Echo reply id=${str(l.id)} seq=${str(l.seq)}` : `type ${str(l.type)} code ${str(l.code)}${l.mtu !== undefined ? ` mtu ${str(l.mtu)}` : ''}`,
        );
        break;
    }
  }
  if (ports) info.push(ports);
  if (d.error) info.push(`[${d.error}]`);
  const stack = d.layers.map((l) => SHORT[l.layer] ?? l.layer).join('/');
  return `${String(n).padStart(5)} ${time}  ${src} → ${dst}  ${stack}  ${length}  ${info.join(', ')}`.trimEnd();
}

/** Fields Wireshark shows in hex: EtherTypes and checksums. */
function isHexField(kind: string, field: string): boolean {
  return field === 'chksum' || ((field === 'type' || field === 'proto') && kind !== 'icmp' && kind !== 'ipv4');
}

function layerLine(l: Layer): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(l)) {
    if (k === 'layer') continue;
    const text = typeof v === 'number' && isHexField(l.layer, k) ? '0x' + v.toString(16).padStart(4, '0') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    parts.push(`${k}=${text}`);
  }
  return `        ${l.layer}${parts.length ? ' ' + parts.join(' ') : ''}`;
}

export const command: Command = {
  summary: 'decode a pcap/pcapng file into JSON layers or tshark-like lines',
  help,
  async run(argv, io) {
    const p = parseArgs(argv, { json: 'bool', verbose: 'bool', 'mpls-ethernet': 'string' }, { v: 'verbose' });
    if (p.positional.length !== 1) throw new UsageError(`expected one capture FILE, got ${p.positional.length ? p.positional.join(' ') : 'none'} (see --help)`);
    const file = p.positional[0]!;
    const json = flagBool(p, 'json');
    const verbose = flagBool(p, 'verbose');
    const mpls = flagString(p, 'mpls-ethernet');
    if (mpls !== undefined && mpls !== 'cw' && mpls !== 'nocw') throw new UsageError(`--mpls-ethernet: '${mpls}' is not cw or nocw`);
    const opts: DecodeOptions = mpls ? { mplsEthernet: mpls } : {};
    await checkReadable(file);
    const reader = new CaptureReader();
    // Output goes out in pieces of about 64 KiB rather than one write per line, and a piece
    // waits for the previous one to drain when stdout is a slower pipe (memory stays flat
    // whatever reads the output).
    let pending = '';
    const out = (text: string): void => {
      pending += text;
    };
    const flush = async (): Promise<void> => {
      if (pending === '') return;
      const wait = io.stdout(pending);
      pending = '';
      if (wait) await wait;
    };
    let n = 0;
    let damage: CaptureError | undefined;
    if (json) out('{"packets": [');
    try {
      for await (const r of readCaptureFile(file, reader)) {
        const d = decodeRecord(r, opts);
        const time = formatTime(r.secBig ?? r.sec, r.nsec);
        n++;
        if (json) {
          // Everything `build` needs to write the packet back: its interface's name and link
          // type (when not Ethernet) and each of its comments.
          const o: { time: string; layers: Layer[]; interface?: string; linkType?: number; comment?: string; comments?: string[]; error?: string } = { time, layers: d.layers };
          const itfName = reader.interfaces[r.interfaceId]?.name;
          if (itfName !== undefined) o.interface = itfName;
          if (r.linkType !== LINKTYPE_ETHERNET) o.linkType = r.linkType;
          if (r.comments !== undefined) o.comments = r.comments;
          else if (r.comment !== undefined) o.comment = r.comment;
          if (d.error !== undefined) o.error = d.error;
          out((n > 1 ? ',\n  ' : '\n  ') + JSON.stringify(o));
        } else {
          out(summaryLine(n, time, r.originalLength, d) + '\n');
          if (verbose) {
            if (r.comment !== undefined) out(`        # ${r.comment.replace(/\n/g, ' ')}\n`);
            for (const l of d.layers) out(layerLine(l) + '\n');
          }
        }
        if (pending.length >= 65536) await flush();
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) {
        // Whatever failed, the frames decoded before it are printed.
        if (n > 0) await flush();
        throw e;
      }
      damage = e;
    }
    if (json) out(n ? '\n]}\n' : ']}\n');
    await flush();
    if (damage) {
      io.stderr(`virtkit decode: ${file}: ${damage.message} (after ${n} packets)\n`);
      return 2;
    }
    return 0;
  },
};
