import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit build` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit build (not built yet)\n',
  async run() {
    throw new UsageError('build is not built yet');
  },
};
