#!/usr/bin/env node
// The process wrapper around main(): real stdout/stderr and the exit status.
import { main } from './main.js';
import type { CommandIO } from './command.js';
import { ioReason } from '../node/safe-output.js';

// `virtkit decode big.pcapng | head` closes the pipe early: that is the reader's choice, not an
// error, so stop quietly. Any other failure to write the output (a full disk: ENOSPC, EIO) is
// the command failing: one line and status 2, as for bad input, never a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`virtkit: standard output: ${ioReason(e)}\n`);
  process.exit(2);
});

// Back-pressure: when the pipe's buffer is full, hand the command a promise that resolves on
// 'drain'; one shared promise however many writes arrive meanwhile.
let drained: Promise<void> | undefined;
const io: CommandIO = {
  stdout: (t) => {
    if (process.stdout.write(t)) return drained;
    drained ??= new Promise((resolve) =>
      process.stdout.once('drain', () => {
        drained = undefined;
        resolve();
      }),
    );
    return drained;
  },
  stderr: (t) => void process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A defect of virtkit, not of the input: one line (the stack with VIRTKIT_DEBUG=1), status 1.
    const detail = process.env.VIRTKIT_DEBUG ? (e instanceof Error ? (e.stack ?? e.message) : String(e)) : e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
    process.stderr.write(`virtkit: internal error: ${detail}\n`);
    process.exitCode = 1;
  },
);
