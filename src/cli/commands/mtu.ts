import { readFileSync } from 'node:fs';
import { UsageError, VirtkitError } from '../../errors.js';
import { encodeFrame } from '../../net/index.js';
import { DEFAULT_MTU_SCENARIO, IPSEC_MTU_SA, mtuScenarioPackets, parseMtuScenario, type ScenarioPacket } from '../../net/mtu-scenario.js';
import { SaTable } from '../../net/esp/sa.js';
import { writeEspSaFile } from '../../node/sa-file.js';
import { writeCaptureFile } from '../../node/build.js';
import { flagBool, flagString, parseArgs } from '../args.js';
import type { Command } from '../command.js';

const HELP = `usage: virtkit mtu SCENARIO.json -o OUT.pcapng [--json] [--write-esp-sa FILE]

Writes the MTU story of a VXLAN tunnel whose underlay MTU is too small, as one pcapng capture
with a comment on every frame (open it in Wireshark and read the comments column):
  df        DF set: the outer packet is dropped, the router sends ICMP Fragmentation Needed
            (type 3 code 4, next-hop MTU, quoting the IP header + 8 bytes), the sender retries
            at the size path-MTU discovery found (underlay MTU - 50)
  fragment  DF clear: the router fragments the outer packet; the receiver reassembles it
  jumbo     a jumbo-frame underlay (9000): the packet passes whole
  ipv6      (optional) an IPv6 underlay: IPv6 routers never fragment, so the router drops the
            packet and answers ICMPv6 Packet Too Big with the MTU; the sending VTEP then
            fragments the outer packet itself with a Fragment header
  ipsec     (optional) the VXLAN packet inside an ESP tunnel (AES-GCM-128) between two sites:
            DF drop, ICMP quoting the ESP header, retry at the size found by encoding (ESP
            pads to 4 bytes, so it is not the path MTU minus a fixed overhead)

SCENARIO.json is an object; every key is optional (defaults shown):
  ${JSON.stringify(DEFAULT_MTU_SCENARIO)}
  time         first packet's time, decimal seconds as a string (1 ms between packets,
               1 s between cases)
  vni          VXLAN network identifier
  innerMtu     size of the inner IP packet first sent (the overlay host's MTU)
  underlayMtu  MTU of the small underlay hop; must be below innerMtu + 50
  jumboMtu     underlay MTU of the jumbo case
  vtep1, vtep2, router, host1, host2   IPv4 addresses of the tunnel ends, the router,
               and the overlay hosts
  vtep1v6, vtep2v6   IPv6 addresses of the tunnel ends (case "ipv6")
  cases        which stories to tell, in order: "df", "fragment", "jumbo", "ipv6", "ipsec"
Example: fixtures/mtu/vxlan-underlay-1500.json

Options:
  -o, --out FILE  the pcapng to write (required)
  --json          {"file", "packets": [{"time", "length", "comment"}]} on stdout
  --write-esp-sa FILE  Wireshark's esp_sa table for the "ipsec" case's SA (the capture then
                  opens decrypted; see the README's IPsec section)
`;

export const command: Command = {
  summary: 'VXLAN over a too-small underlay MTU: DF drop + ICMP, fragmentation, jumbo (pcapng)',
  help: HELP,
  async run(argv, io) {
    const p = parseArgs(argv, { out: 'string', json: 'bool', 'write-esp-sa': 'string' }, { o: 'out' });
    if (p.positional.length !== 1) throw new UsageError(`expected one SCENARIO.json, got ${p.positional.length} arguments`);
    const out = flagString(p, 'out');
    if (out === undefined) throw new UsageError('missing -o OUT.pcapng');
    const file = p.positional[0]!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${file}: not JSON (${(e as Error).message.split('\n')[0]})`);
    }
    let packets: ScenarioPacket[];
    try {
      packets = mtuScenarioPackets(parseMtuScenario(doc));
    } catch (e) {
      if (e instanceof VirtkitError) throw new UsageError(`${file}: ${e.message}`);
      throw e;
    }
    // The same streamed writer as `virtkit build` and the demo (pcapng, each packet's comment).
    // The "ipsec" case's ESP frames are encrypted with IPSEC_MTU_SA.
    const sa = new SaTable([IPSEC_MTU_SA]);
    await writeCaptureFile(out, packets, { format: 'pcapng', inputs: [file], sa });
    const espSaOut = flagString(p, 'write-esp-sa');
    if (espSaOut !== undefined) await writeEspSaFile(espSaOut, sa, { inputs: [file] });
    // With -o - the capture is on stdout: the listing goes to stderr.
    const say = out === '-' ? io.stderr : io.stdout;
    if (flagBool(p, 'json')) {
      const rows = packets.map((pk) => ({ time: pk.time, length: encodeFrame(pk.layers, { sa }).length, comment: pk.comment }));
      say(JSON.stringify({ file: out, packets: rows }) + '\n');
    } else {
      packets.forEach((pk, i) => say(`${String(i + 1).padStart(3)}  ${pk.time}  ${pk.comment}\n`));
      say(`wrote ${packets.length} packets to ${out}\n`);
    }
    return 0;
  },
};
