/**
 * `virtkit decode FILE [--json] [-v]`: a pcap or pcapng file, streamed, each frame decoded into
 * the JSON layer format; text output is one summary line a frame, like tshark's.
 */
import { UsageError } from '../../errors.js';
import { parseArgs, flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { decodeFrame, protocolOf, type DecodeOptions, type Layer } from '../../net/index.js';
import { CaptureError, CaptureReader, LINKTYPE_ETHERNET, formatTime, linkTypeText, type CaptureRecord } from '../../pcap/index.js';
import { readCaptureFile } from '../../node/capture-file.js';
import { checkReadable } from '../../node/spec-file.js';
import { SaTable } from '../../net/esp/sa.js';
import { addSaFile } from '../../node/sa-file.js';

const help = `usage: virtkit decode FILE|- [--json] [-v] [--mpls-ethernet cw|nocw] [--sa FILE]

Reads a pcap (either byte order, micro- or nanoseconds) or pcapng file ("-": standard input)
and decodes every frame into the JSON layer format (docs/layers.md). Frames of link types other
than Ethernet (1) — raw IP (101), Linux cooked SLL (113) and SLL2 (276), BSD loopback (0),
IPv4/IPv6 (228/229) — decode from their own first layer; text output says the link type in a
"# link type" line.
  --json                  {"packets": [{"time", "layers", "interface"?, "linkType"?,
                          "comment"? or "comments"?, "error"?}]}, time as decimal seconds with
                          all nine decimals; the interface name (pcapng), the link type when
                          not Ethernet and every comment are kept, so build gives the packets
                          back
  -v, --verbose           text: the layers of each frame indented under its summary line
  --mpls-ethernet cw|nocw decode MPLS payloads as Ethernet pseudowires, with or without the
                          control word (like tshark's Decode As pwethcw / pwethnocw)
  --sa FILE               security associations (a JSON list or Wireshark's esp_sa table):
                          ESP payloads are decrypted, their ICV checked and the inner layers
                          decoded; a bad ICV or padding or an unknown SPI is that frame's
                          "error" (without --sa, "esp" carries its protected bytes as "data")

A frame that cannot be decoded whole gets "error" and its undecoded rest as a "raw" layer. A
damaged file (bad magic, a block length disagreeing with its trailer, a record cut short) prints
the frames before the damage, then exits 2 with the byte offset of the damage on stderr.
`;

interface Decoded {
  layers: Layer[];
  error?: string;
}

function decodeRecord(r: CaptureRecord, opts: DecodeOptions): Decoded {
  const d = decodeFrame(r.data, r.linkType === LINKTYPE_ETHERNET ? opts : { ...opts, linkType: r.linkType });
  return d.error ? { layers: d.layers, error: d.error.message } : { layers: d.layers };
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');

/**
 * One line like tshark's summary: addresses of the innermost network layer (else the link
 * layer), the stack, and what each layer says; all from the protocols' display descriptions.
 */
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
    const show = protocolOf(l.layer)?.display;
    if (!show) continue;
    if (show.addresses === 'network' || (show.addresses === 'link' && !haveIp)) {
      haveIp ||= show.addresses === 'network';
      src = str(l.src);
      dst = str(l.dst);
    }
    if (show.ports) ports = `${str(l.sport)} → ${str(l.dport)}`;
    const said = show.info?.(l);
    if (said) info.push(said);
    if (show.quotes) quoted = true;
  }
  if (ports) info.push(ports);
  if (d.error) info.push(`[${d.error}]`);
  const stack = d.layers.map((l) => protocolOf(l.layer)?.display.name ?? l.layer).join('/');
  return `${String(n).padStart(5)} ${time}  ${src} → ${dst}  ${stack}  ${length}  ${info.join(', ')}`.trimEnd();
}

function layerLine(l: Layer): string {
  const hex = protocolOf(l.layer)?.display.hex;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(l)) {
    if (k === 'layer') continue;
    const text = typeof v === 'number' && hex?.includes(k) ? '0x' + v.toString(16).padStart(4, '0') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    parts.push(`${k}=${text}`);
  }
  return `        ${l.layer}${parts.length ? ' ' + parts.join(' ') : ''}`;
}

export const command: Command = {
  summary: 'decode a pcap/pcapng file into JSON layers or tshark-like lines',
  help,
  async run(argv, io) {
    const p = parseArgs(argv, { json: 'bool', verbose: 'bool', 'mpls-ethernet': 'string', sa: 'string' }, { v: 'verbose' });
    if (p.positional.length !== 1) throw new UsageError(`expected one capture FILE, got ${p.positional.length ? p.positional.join(' ') : 'none'} (see --help)`);
    const file = p.positional[0]!;
    const json = flagBool(p, 'json');
    const verbose = flagBool(p, 'verbose');
    const mpls = flagString(p, 'mpls-ethernet');
    if (mpls !== undefined && mpls !== 'cw' && mpls !== 'nocw') throw new UsageError(`--mpls-ethernet: '${mpls}' is not cw or nocw`);
    const opts: DecodeOptions = mpls ? { mplsEthernet: mpls } : {};
    await checkReadable(file);
    const saFile = flagString(p, 'sa');
    if (saFile !== undefined) {
      const sa = new SaTable();
      addSaFile(sa, saFile);
      opts.sa = sa;
    }
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
    // Text output names the link type when it is not Ethernet, and again whenever it changes.
    let shownLinkType = LINKTYPE_ETHERNET;
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
          if (r.linkType !== shownLinkType) {
            out(`# link type ${linkTypeText(r.linkType)}\n`);
            shownLinkType = r.linkType;
          }
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
