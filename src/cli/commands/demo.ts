/**
 * `virtkit demo` (what `npm start` runs): the three jobs of virtkit in one go.
 *  1. out/demo.pcapng: one frame of every encapsulation, then the MTU story (DF + ICMP
 *     fragmentation-needed + retry, fragmentation and reassembly, jumbo), every frame commented;
 *  2. the encapsulation overhead table, measured by encoding;
 *  3. a translation summary (TLB hit rates with and without PCIDs) and the memory-virtualization
 *     comparison (native, shadow, nested paging);
 *  4. out/netsim-enterprise.pcapng: virtual switches at work (an enterprise switch pair, VLANs
 *     over a trunk), with the fate of each frame.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../../errors.js';
import { DEMO_SA, demoPackets } from '../../demo/frames.js';
import { SaTable } from '../../net/esp/sa.js';
import { writeEspSaFile } from '../../node/sa-file.js';
import { overheadTable } from '../../demo/overhead.js';
import { translationSummary } from '../../demo/translation.js';
import { virtCompareTable } from '../../demo/virt.js';
import { mtuScenarioPackets } from '../../net/mtu-scenario.js';
import { writeCaptureFile } from '../../node/build.js';
import { ENTERPRISE_PAIR } from '../../demo/netsim.js';
import { EVENT_HEADER, formatEventLine, type EventRecord } from '../../netsim/index.js';
import { runNetsimDocument } from '../../node/netsim.js';

const help = `usage: virtkit demo [-o OUT.pcapng] [--json]

Writes a capture with one frame of every encapsulation virtkit encodes and the VXLAN
path-MTU story (default out/demo.pcapng; every frame carries a comment saying what it shows),
and beside it the esp_sa file that decrypts its ESP frames in Wireshark,
then prints the encapsulation overhead table, a TLB translation summary and the comparison of
native, shadow and nested paging, and writes out/netsim-enterprise.pcapng (next to OUT): two
virtual switches with VLANs over a trunk, each frame where it crosses a port (virtkit netsim).
--json prints {"file", "packets", "bytes"} only.
`;

export const command: Command = {
  summary: 'write out/demo.pcapng and print the overhead and translation tables',
  help,
  async run(argv, io) {
    const p = parseArgs(argv, { o: 'string', json: 'bool' }, { output: 'o' });
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    const given = flagString(p, 'o');
    const out = given === '-' ? '-' : resolve(given ?? 'out/demo.pcapng');
    if (out !== '-') {
      try {
        mkdirSync(dirname(out), { recursive: true });
      } catch (e) {
        throw new UsageError(`${out}: cannot create its folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
    }
    const encapsulations = demoPackets();
    // The MTU story starts one second after the last encapsulation frame, so times only grow.
    const mtuStory = mtuScenarioPackets({ time: '1700000001' });
    const sa = new SaTable(DEMO_SA);
    const summary = await writeCaptureFile(out, [...encapsulations, ...mtuStory], { format: 'pcapng', sa });
    // The keys of the demo's ESP frames, beside the capture, for Wireshark/tshark to decrypt them.
    const espSa = out === '-' ? undefined : join(dirname(out), 'esp_sa');
    if (espSa !== undefined) await writeEspSaFile(espSa, sa);
    // With -o - the capture is on stdout: everything else goes to stderr.
    const print = out === '-' ? io.stderr : io.stdout;
    if (flagBool(p, 'json')) {
      print(JSON.stringify({ file: summary.file, packets: summary.packets, bytes: summary.bytes }) + '\n');
      return 0;
    }
    const say = (s = '') => void print(s + '\n');
    say(`Wrote ${summary.file}: ${summary.packets} frames (${encapsulations.length} encapsulations, ${mtuStory.length} in the MTU story), ${summary.bytes} bytes.`);
    say(`Open it with:  wireshark ${summary.file}   or   tshark -r ${summary.file} -V`);
    say(`(the frame comments are in the packet details, or: tshark -r ${summary.file} -T fields -e frame.number -e frame.comment)`);
    if (espSa !== undefined) {
      say(`The ESP frames decrypt with ${espSa} (Wireshark's ESP SA table), e.g.:`);
      say(`  mkdir -p ~/.config/wireshark && cp ${espSa} ~/.config/wireshark/esp_sa`);
      say(`  tshark -r ${summary.file} -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE -Y esp -T fields -e esp.spi -e esp.icv_good -e ip.src`);
    }
    say();
    say('Encapsulation overhead (measured by encoding each stack; underlay MTU 1500):');
    say(overheadTable('text').trimEnd());
    say();
    say('Address translation:');
    say(translationSummary().trimEnd());
    say();
    say('Memory virtualization (virtkit virt compare):');
    say(virtCompareTable().trimEnd());
    if (out !== '-') {
      // Virtual switches: the enterprise pair of fixtures/netsim, next to the demo capture when
      // that is a file (not when it is a device such as /dev/null).
      let netsimOut: string | undefined = join(dirname(out), 'netsim-enterprise.pcapng');
      try {
        if (!statSync(out).isFile()) netsimOut = undefined;
      } catch {
        netsimOut = undefined;
      }
      const records: EventRecord[] = [];
      const sim = await runNetsimDocument(ENTERPRISE_PAIR, { output: netsimOut, onEvent: (r) => records.push(r) });
      say();
      say('Virtual switches (virtkit netsim fixtures/netsim/enterprise-pair.json): two switches, VLANs over a trunk');
      if (netsimOut !== undefined) say(`wrote ${netsimOut}: ${sim.packets} port crossings, an interface per switch port, directions, comments on floods and drops`);
      say(EVENT_HEADER);
      for (const r of records) say(formatEventLine(r));
    }
    return 0;
  },
};
