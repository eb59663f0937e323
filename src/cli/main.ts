/**
 * The `virtkit` command. Subcommands live one per file in ./commands and are loaded lazily, so
 * `virtkit pt …` never pays for loading the packet code and vice versa.
 */
import { VirtkitError } from '../errors.js';
import type { Command, CommandIO } from './command.js';
import { ownEntry } from './args.js';

const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  build: () => import('./commands/build.js'),
  decode: () => import('./commands/decode.js'),
  overhead: () => import('./commands/overhead.js'),
  mtu: () => import('./commands/mtu.js'),
  pt: () => import('./commands/pt.js'),
  tlb: () => import('./commands/tlb.js'),
  paging: () => import('./commands/paging.js'),
  virt: () => import('./commands/virt.js'),
  bench: () => import('./commands/bench.js'),
  demo: () => import('./commands/demo.js'),
  netsim: () => import('./commands/netsim.js'),
  layers: () => import('./commands/layers.js'),
};

function topHelp(summaries: [string, string][]): string {
  const lines = [
    'virtkit — binary-accurate codecs for virtual networks and virtual memory',
    '',
    'usage: virtkit <command> [options]   (virtkit <command> --help for details)',
    '',
    ...summaries.map(([n, s]) => `  ${n.padEnd(10)} ${s}`),
  ];
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr('virtkit: missing command (see virtkit --help)\n');
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const summaries: [string, string][] = [];
    for (const [n, load] of Object.entries(COMMANDS)) summaries.push([n, (await load()).command.summary]);
    io.stdout(topHelp(summaries));
    return 0;
  }
  const load = ownEntry(COMMANDS, name);
  if (!load) {
    io.stderr(`virtkit: unknown command '${name}' (valid: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help.endsWith('\n') ? command.help : command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof VirtkitError) {
      io.stderr(`virtkit ${name}: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    throw e;
  }
}
