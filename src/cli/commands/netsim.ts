/**
 * `virtkit netsim SCENARIO.json -o OUT.pcapng [--ports DIR] [--json] [--fdb-trace]`: virtual
 * switches forwarding the scenario's frames (src/netsim), written port by port (src/node/netsim.ts).
 */
import { UsageError, VirtkitError } from '../../errors.js';
import { EVENT_HEADER, formatEventLine } from '../../netsim/index.js';
import { runNetsimFile, type NetsimFileSummary } from '../../node/netsim.js';
import { flagBool, flagString, parseArgs } from '../args.js';
import type { Command } from '../command.js';

const HELP = `usage: virtkit netsim SCENARIO.json|SCENARIO.jsonl -o OUT.pcapng [--ports DIR] [--json] [--fdb-trace]

Simulates virtual switches (VLANs with Open vSwitch's port modes: access, trunk, native-tagged,
native-untagged, dot1q-tunnel; per-VLAN MAC learning with aging; flooding; QinQ; storms) fed
with the frames hosts send, in time order, and writes every frame where it crosses a port.

  -o, --output FILE  pcapng with one interface per port ("switch/port"), the direction of each
                     frame (epb_flags: inbound = into the switch) and comments on floods and drops
  --ports DIR        also DIR/switch-port.pcap per port: what leaves that port, in order
  --json             {"events": [{"index", "port", "delivered": [ports], "dropped"?}],
                      "fdb": [{"switch", "port", "vlan", "mac"}], "vtepFdb": [...]} on stdout
                     (the tables as they stand at the end; "stopped" when maxFrames ended a storm)
  --fdb-trace        with --json: each event also carries "fdb" and "vtepFdb" right after it
  --jsonl            SCENARIO is JSON Lines (implied by .jsonl/.ndjson, and by "-" for standard
                     input): the first line is the topology, every further line one event;
                     read as a stream

Scenario (JSON):
  {"switches": [{"name": "br0", "agingTime": 300, "macTableSize": 8192, "vlanLimit": 1, "ports": [
      {"name": "p1", "vlan": 10},                                   access
      {"name": "p4", "trunks": [10, 20]},                           trunk (no trunks: all VLANs)
      {"name": "p6", "mode": "native-untagged", "vlan": 30, "trunks": [10]},
      {"name": "p7", "mode": "dot1q-tunnel", "vlan": 100, "tpid": "0x88a8", "cvlans": [10]},
      {"name": "p2", "vlan": 10, "classify": {"mac": {"02:00:00:00:00:05": 50},
                                "subnet": {"10.1.0.0/16": 40}, "ethertype": {"0x86dd": 60}}},
      {"name": "p8", "trunks": [10, 20], "police": [{"vlan": 20, "rate": "1M", "burst": 3000}]}]}],
   "links": [["br0/p8", "br1/p1"], {"ports": ["br0/p9", "br2/p1"], "delay": "0.001"}],
   "maxFrames": 10000,
   "events": [{"time": "0.3", "port": "br0/p1", "hex": "ffffffffffff0200..."},
              {"port": "br0/p4", "layers": [{"layer": "ether", ...}, ...]}]}
  agingTime, macTableSize and vlanLimit are OVS's mac-aging-time, mac-table-size and vlan-limit
  (300 s, 8192, 1): with vlanLimit 2 the tag under an S-tag is the customer VLAN cvlans filter.
  Times are seconds (a number or a decimal string, nanoseconds kept); an event without "time"
  comes 1 ms after the previous one. Links have no delay unless given. A loop without a spanning
  tree storms: the run stops when one host frame has made maxFrames copies, and says so.
  Classification ranks the source MAC, then the longest source IPv4 subnet, then the EtherType,
  then the port's VLAN.
  Policing: a token bucket per VLAN on a port's egress, "rate" in bit/s, "burst" in bytes.

Exit status 2 with one line on stderr naming the place of a bad scenario (an unknown port, a
VLAN outside 1..4094, a port in two links, a frame that is not Ethernet).
`;

export const command: Command = {
  summary: 'virtual switches (VLANs, QinQ, learning, storms) forwarding frames, port by port into pcapng',
  help: HELP,
  async run(argv, io) {
    const p = parseArgs(argv, { output: 'string', ports: 'string', json: 'bool', 'fdb-trace': 'bool', jsonl: 'bool' }, { o: 'output' });
    if (p.positional.length !== 1) throw new UsageError(`expected one SCENARIO file, got ${p.positional.length ? p.positional.join(' ') : 'none'} (see --help)`);
    const file = p.positional[0]!;
    const output = flagString(p, 'output');
    const portsDir = flagString(p, 'ports');
    const json = flagBool(p, 'json');
    const fdbTrace = flagBool(p, 'fdb-trace');
    if (fdbTrace && !json) throw new UsageError('--fdb-trace adds the tables to each event of the --json output: give --json too');
    if (output === undefined && portsDir === undefined && !json) throw new UsageError('no output: give -o OUT.pcapng, --ports DIR or --json');

    let first = true;
    const shown: string[] = [];
    const SHOW = 60;
    let total = 0;
    let summary: NetsimFileSummary;
    try {
      summary = await runNetsimFile(file, {
        output,
        portsDir,
        jsonl: flagBool(p, 'jsonl') || undefined,
        fdbTrace,
        onEvent(r, tables) {
          total++;
          if (json) {
            const row: Record<string, unknown> = { ...r };
            if (tables) Object.assign(row, tables);
            // The document starts with the first event, so a scenario rejected before it leaves stdout empty.
            io.stdout((first ? '{"events": [\n' : ',\n') + JSON.stringify(row));
            first = false;
          } else if (shown.length < SHOW) shown.push(formatEventLine(r));
        },
      });
    } catch (e) {
      if (json && !first) io.stdout('\n');
      if (e instanceof VirtkitError && e.name === 'NetsimError' && !e.message.startsWith(file)) throw new UsageError(`${file}: ${e.message}`);
      throw e;
    }
    if (json) {
      const tail: Record<string, unknown> = { ...summary.tables };
      if (summary.stopped !== undefined) tail.stopped = summary.stopped;
      const rest = JSON.stringify(tail).slice(1);
      io.stdout(`${first ? '{"events": [' : '\n'}], ${rest}\n`);
      return 0;
    }
    const say = (s = '') => io.stdout(s + '\n');
    say(EVENT_HEADER);
    for (const l of shown) say(l);
    if (total > shown.length) say(`  … ${total - shown.length} more events`);
    if (summary.stopped !== undefined) say(`STORM: ${summary.stopped}`);
    say();
    const fdb = summary.tables.fdb as { switch: string; port: string; vlan: number; mac: string }[];
    say(`MAC tables at the end (${fdb.length} entries):`);
    say(' switch       port         vlan  mac');
    for (const r of fdb.slice(0, SHOW)) say(` ${r.switch.padEnd(12)} ${r.port.padEnd(12)} ${String(r.vlan).padStart(4)}  ${r.mac}`);
    if (fdb.length > SHOW) say(`  … ${fdb.length - SHOW} more`);
    say();
    say(`${summary.events} events, ${summary.framesSent} frames sent, ${summary.framesDropped} dropped`);
    if (output !== undefined) say(`wrote ${output}: ${summary.packets} port crossings (inbound and outbound), one interface per port`);
    if (portsDir !== undefined) say(`wrote ${summary.portFiles.length} per-port pcaps in ${portsDir}`);
    return 0;
  },
};
