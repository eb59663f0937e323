import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit virt` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit virt (not built yet)\n',
  async run() {
    throw new UsageError('virt is not built yet');
  },
};
