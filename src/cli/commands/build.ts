/**
 * `virtkit build SPEC -o OUT.pcap|OUT.pcapng` and `virtkit build SPEC --hex`: packets in the
 * JSON layer format (layers.md) to a capture file, streamed, or to hex lines.
 */
import { UsageError, VirtkitError } from '../../errors.js';
import { parseArgs, flagBool, flagString } from '../args.js';
import type { Command, CommandIO } from '../command.js';
import { encodeFrame } from '../../net/index.js';
import { DEFAULT_START, DEFAULT_STEP, LINKTYPE_NAMES, SpecError, parseLinkType, parseTime, type CaptureFormat, type SpecPacket, type Timestamp } from '../../pcap/index.js';
import { formatFromPath, writeCaptureFile } from '../../node/build.js';
import { checkReadable, isJsonLines, readJsonLinesSpec, readJsonSpecDocument } from '../../node/spec-file.js';
import { SaTable, type SecurityAssociation } from '../../net/esp/sa.js';
import { addSaFile, writeEspSaFile } from '../../node/sa-file.js';

const help = `usage: virtkit build SPEC.json|SPEC.jsonl|- -o OUT.pcap|OUT.pcapng [options]
       virtkit build SPEC.json --hex

Encodes packets in the JSON layer format (layers.md) and streams them to a capture file.
SPEC is an array of frames (each an array of layers), or {"packets": [{"layers", "time",
"comment", "interface"}]}; with --jsonl (implied by .jsonl/.ndjson) one packet a line, either
form, read as a stream. "-" reads standard input.

  -o, --output FILE      capture file to write ("-": standard output, pcapng unless
                         --format pcap; the summary line then goes to stderr). FILE is
                         replaced only once the whole capture is written: a temporary file
                         in its folder is renamed over it; devices and FIFOs are written
                         straight into. FILE may not be SPEC itself.
  --format pcap|pcapng   file format (default: from the extension of FILE)
  --usec                 pcap with microsecond timestamps (magic a1b2c3d4); default nanoseconds
  --linktype TYPE        link type of the file, a number or name: ethernet (1, default), raw
                         (101: frames start with ipv4/ipv6), linux_sll (113: with sll),
                         linux_sll2 (276: with sll2), null (0: with loopback), ipv4 (228), ipv6 (229)
  --jsonl                SPEC is JSON Lines
  --hex                  print one lowercase hex line per frame on stdout instead of a file
  --start TIME           time of the first packet without "time" (seconds, default 1700000000;
                         "now" reads the clock)
  --step TIME            seconds added per packet without "time" (default 0.000001)
  --json                 print {"file", "format", "packets", "bytes"} (with --hex: {"frames"})
  --sa FILE              security associations for "esp" layers: a JSON list or Wireshark's
                         esp_sa table file (added to the spec's own "sa" list)
  --write-esp-sa FILE    also write Wireshark's esp_sa table for these SAs, so the capture opens
                         decrypted: tshark -o esp.enable_encryption_decode:TRUE
                         -o esp.enable_authentication_check:TRUE with FILE as
                         ~/.config/wireshark/esp_sa

Timestamps come from each packet's "time" (decimal seconds, nanoseconds kept exactly) or from
--start plus --step, never from the clock unless asked, so output is reproducible byte for byte.
pcapng gets if_tsresol 9, each packet's "comment" as opt_comment and one interface per distinct
"interface" name (default virtkit0); pcap has neither comments nor interfaces.
Exit status 2 with one line on stderr for bad input, naming the packet (and line for JSON Lines).
`;

function timeFlag(text: string | undefined, fallback: Timestamp, what: string): Timestamp {
  if (text === undefined) return fallback;
  if (text === 'now' && what === '--start') {
    const ms = Date.now();
    return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
  }
  let t: Timestamp;
  try {
    t = parseTime(text);
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
  if (t.sec < 0) throw new UsageError(`${what}: '${text}' is negative`);
  return t;
}

/** A progress line on stderr for long runs on a terminal; nothing when piped. */
function progress(io: CommandIO, total: number | undefined): { tick: (n: number) => void; done: () => void } {
  const t0 = Date.now();
  let last = 0;
  let shown = false;
  return {
    tick(n) {
      if (!io.isTTY) return;
      const now = Date.now();
      if (now - t0 < 1000 || now - last < 100) return;
      last = now;
      shown = true;
      const rate = Math.round((n / (now - t0)) * 1000);
      let line = `${n.toLocaleString('en-US')} packets  ${rate.toLocaleString('en-US')}/s`;
      if (total) {
        const f = Math.min(1, n / total);
        const w = 30;
        line = `[${'#'.repeat(Math.round(f * w)).padEnd(w, '.')}] ${(f * 100).toFixed(0).padStart(3)}%  ` + line;
      }
      io.stderr(`\r${line}\x1b[K`);
    },
    done() {
      if (shown) io.stderr('\r\x1b[K');
    },
  };
}

export const command: Command = {
  summary: 'encode packets (JSON layers) into a pcap/pcapng file, streamed, or hex lines',
  help,
  async run(argv, io) {
    const p = parseArgs(
      argv,
      { output: 'string', format: 'string', usec: 'bool', jsonl: 'bool', hex: 'bool', json: 'bool', start: 'string', step: 'string', linktype: 'string', sa: 'string', 'write-esp-sa': 'string' },
      { o: 'output' },
    );
    if (p.positional.length !== 1) throw new UsageError(`expected one SPEC file, got ${p.positional.length ? p.positional.join(' ') : 'none'} (see --help)`);
    const spec = p.positional[0]!;
    const out = flagString(p, 'output');
    const hexOut = flagBool(p, 'hex');
    const json = flagBool(p, 'json');
    const jsonl = isJsonLines(spec, flagBool(p, 'jsonl'));
    if (hexOut && out !== undefined) throw new UsageError('--hex prints frames on stdout; give either -o FILE or --hex');
    if (!hexOut && out === undefined) throw new UsageError('no output: give -o OUT.pcap|OUT.pcapng, or --hex');
    // The input is read (a whole JSON document) or at least opened (JSON Lines) before the
    // output is touched: a misspelt input name must not cost the user an existing capture.
    let packets: Iterable<SpecPacket> | AsyncIterable<SpecPacket>;
    const sa = new SaTable();
    if (jsonl) {
      await checkReadable(spec);
      packets = readJsonLinesSpec(spec);
    } else {
      const doc = await readJsonSpecDocument(spec);
      packets = doc.packets;
      doc.sa?.forEach((s, i) => sa.add(s as SecurityAssociation, `${spec}: sa[${i}]`));
    }
    const saFile = flagString(p, 'sa');
    if (saFile !== undefined) addSaFile(sa, saFile);
    const espSaOut = flagString(p, 'write-esp-sa');
    if (espSaOut !== undefined && sa.size === 0) throw new UsageError('--write-esp-sa: no security associations (give them in the spec\'s "sa" or with --sa FILE)');
    const encodeOpts = sa.size ? { sa } : undefined;

    if (hexOut) {
      // Lines go out in ~64 KiB pieces, and a piece waits for the previous one to drain when
      // stdout is a slower pipe: memory stays flat whatever reads the output.
      let pending = '';
      let i = 0;
      if (json) pending = '{"frames":[';
      for await (const pk of packets) {
        let frame: Uint8Array;
        try {
          frame = encodeFrame(pk.layers, encodeOpts);
        } catch (e) {
          if (e instanceof VirtkitError) throw new SpecError(i, e.message, pk.where);
          throw e;
        }
        const line = Buffer.from(frame.buffer, frame.byteOffset, frame.length).toString('hex');
        pending += json ? (i > 0 ? ',' : '') + '"' + line + '"' : line + '\n';
        i++;
        if (pending.length >= 65536) {
          const wait = io.stdout(pending);
          pending = '';
          if (wait) await wait;
        }
      }
      if (json) pending += ']}\n';
      if (pending) await io.stdout(pending);
      if (espSaOut !== undefined) await writeEspSaFile(espSaOut, sa, { inputs: saFile === undefined ? [spec] : [spec, saFile] });
      return 0;
    }

    const formatText = flagString(p, 'format');
    let format: CaptureFormat | undefined;
    if (formatText !== undefined) {
      if (formatText !== 'pcap' && formatText !== 'pcapng') throw new UsageError(`--format: '${formatText}' is not pcap or pcapng`);
      format = formatText;
    } else {
      format = out === '-' ? 'pcapng' : formatFromPath(out!);
      if (!format) throw new UsageError(`${out}: cannot tell the format from the extension; use .pcap/.pcapng or --format`);
    }
    const linkTypeText = flagString(p, 'linktype');
    const linkType = linkTypeText === undefined ? undefined : parseLinkType(linkTypeText);
    if (linkTypeText !== undefined && linkType === undefined) throw new UsageError(`--linktype: '${linkTypeText}' is not a link type number 0..65535 or one of ${[...LINKTYPE_NAMES.values()].join(', ')}`);
    const usec = flagBool(p, 'usec');
    if (usec && format !== 'pcap') throw new UsageError('--usec is for pcap; pcapng is written with nanosecond timestamps (if_tsresol 9)');
    const start = timeFlag(flagString(p, 'start'), DEFAULT_START, '--start');
    const step = timeFlag(flagString(p, 'step'), DEFAULT_STEP, '--step');
    const bar = progress(io, Array.isArray(packets) ? packets.length : undefined);
    let summary;
    try {
      summary = await writeCaptureFile(out!, packets, { format, usec, start, step, linkType, onProgress: bar.tick, inputs: saFile === undefined ? [spec] : [spec, saFile], sa: encodeOpts?.sa });
    } finally {
      bar.done();
    }
    if (espSaOut !== undefined) await writeEspSaFile(espSaOut, sa, { inputs: saFile === undefined ? [spec] : [spec, saFile] });
    // With -o - the capture itself is on stdout: the summary goes to stderr (as tcpdump -w - does).
    const say = out === '-' ? io.stderr : io.stdout;
    if (json) say(JSON.stringify(summary) + '\n');
    else say(`wrote ${summary.packets} packets (${summary.bytes} bytes) to ${out === '-' ? 'standard output' : summary.file} (${summary.format})\n`);
    return 0;
  },
};
