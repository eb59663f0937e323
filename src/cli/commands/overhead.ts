import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit overhead` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit overhead (not built yet)\n',
  async run() {
    throw new UsageError('overhead is not built yet');
  },
};
