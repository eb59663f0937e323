import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit pt` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit pt (not built yet)\n',
  async run() {
    throw new UsageError('pt is not built yet');
  },
};
