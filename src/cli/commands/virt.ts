import { UsageError } from '../../errors.js';
import { flagBool, flagString, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { formatCompare, runCompare } from '../../mem/virt/compare.js';

const HELP = `usage: virtkit virt compare [--levels 4|5] [--json]

Runs one guest workload — the guest builds its page tables (512 pages), updates 64 entries
(INVLPG after each), then makes 20000 translations — under native paging, shadow paging and
nested paging (EPT), on the same TLB model (64-entry 4-way L1 for 4 KiB pages), and prints for
each scheme:
  refsPerMiss  memory references of the hardware walk per TLB miss that translates (4 native,
               24 nested on 4-over-4 levels; 5 and 35 with --levels 5, a 5-level guest on
               5-level EPT; shadow paging walks only its shadow tables, so 4 or 5 — its VMM's
               software walks on hidden faults are VM exits, counted in the text form)
  traps        VM exits caused by guest page-table writes (shadow paging only)
  tableBytes   bytes of tables beyond the guest's own (shadow tables; EPT tables)
  hitRate      TLB hit rate of the translation stream
and, for two VMs taking turns on one TLB, the hit rate when the TLB is flushed at every VM
switch versus tagged with VPIDs.

  --levels 4|5   guest paging levels and EPT levels (default 4)
  --json         {"native": {…}, "shadow": {…}, "nested": {…}, "vmSwitch": {"flushedHitRate", "taggedHitRate"}}
`;

export const command: Command = {
  summary: 'memory virtualization: native vs shadow paging vs nested paging (EPT), VPID-tagged TLBs',
  help: HELP,
  async run(argv, io) {
    const args = parseArgs(argv, { levels: 'string', json: 'bool' });
    const [sub, ...extra] = args.positional;
    if (sub === undefined) throw new UsageError('missing subcommand (expected: compare)');
    if (sub !== 'compare') throw new UsageError(`unknown subcommand '${sub}' (expected: compare)`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const lv = flagString(args, 'levels') ?? '4';
    if (lv !== '4' && lv !== '5') throw new UsageError(`--levels: '${lv}' is not 4 or 5`);
    const { result, details } = runCompare({ levels: lv === '5' ? 5 : 4 });
    if (flagBool(args, 'json')) io.stdout(JSON.stringify(result) + '\n');
    else io.stdout(formatCompare(result, details));
    return 0;
  },
};
