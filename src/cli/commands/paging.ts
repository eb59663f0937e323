import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit paging` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit paging (not built yet)\n',
  async run() {
    throw new UsageError('paging is not built yet');
  },
};
