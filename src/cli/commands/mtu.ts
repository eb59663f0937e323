import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit mtu` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit mtu (not built yet)\n',
  async run() {
    throw new UsageError('mtu is not built yet');
  },
};
