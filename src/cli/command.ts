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
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stdout/stderr is a terminal (progress bars only then). */
  isTTY: boolean;
}
