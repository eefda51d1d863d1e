/**
 * What every `facto` subcommand gets and returns. Commands write to the streams they are given and
 * return an exit code instead of touching `process`, so tests run them in-process and the bin file
 * is the only place bound to the real process.
 */
export interface TextOutput {
  write(text: string): unknown;
}

export interface CliIo {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
  readonly env: Record<string, string | undefined>;
  /** Ends a long-running command (the collector) as SIGINT would; for tests and embedding. */
  readonly signal?: AbortSignal;
}

export interface Command {
  /** The text `facto <command> --help` prints. */
  usage(): string;
  /** Runs the command; a FactoError('invalid_argument') it throws is reported as a usage error. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Wrong usage: an unknown command or flag, a missing or malformed value. */
export const EXIT_USAGE = 2;
