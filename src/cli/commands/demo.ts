import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit demo` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit demo (not built yet)\n',
  async run() {
    throw new UsageError('demo is not built yet');
  },
};
