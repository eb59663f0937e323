/** The shape every subcommand module in src/cli/commands/ exports. */
export interface Command {
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  /**
   * Run with the arguments after the subcommand name. Returns the exit status. Throw a
   * UsageError (or any VirtkitError) for bad input: main prints it on one line and exits 2.
   */
  run(argv: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  /**
   * Write to standard output. A promise means the consumer is slower than we are (the pipe's
   * buffer is full): a command producing much output awaits it before writing more, so memory
   * stays flat whatever reads the output (`virtkit decode big.pcapng | slow-reader`).
   */
  stdout: (text: string) => void | Promise<void>;
  stderr: (text: string) => void;
  /** True when stdout/stderr is a terminal (progress bars only then). */
  isTTY: boolean;
}
