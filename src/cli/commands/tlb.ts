import { UsageError } from '../../errors.js';
import type { Command } from '../command.js';

// Placeholder until the issue that owns `virtkit tlb` lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'usage: virtkit tlb (not built yet)\n',
  async run() {
    throw new UsageError('tlb is not built yet');
  },
};
