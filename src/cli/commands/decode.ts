import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit decode` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit decode (not built yet)\n',
  async run() {
    throw new UsageError('decode is not built yet');
  },
};
