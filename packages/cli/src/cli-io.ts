/**
 * What every `facto` subcommand gets and returns. Commands write to the streams they are given and
 * return an exit code instead of touching `process`, so tests run them in-process and the bin file
 * is the only place bound to the real process.
 */
export interface TextOutput {
  write(text: string): unknown;
  /** True for a terminal: colour and progress bars only go to one. */
  readonly isTTY?: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
  /** True once the reader went away (a closed pipe): writes are dropped from then on. */
  readonly closed?: boolean;
  /** Resolves when the reader has taken what was written (or went away): for long output, so it is not all buffered. */
  whenWritable?(): Promise<void>;
}

export interface CliIo {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput;
  readonly env: Record<string, string | undefined>;
  /** Ends a long-running command (the collector, tail) as SIGINT would; for tests and embedding. */
  readonly signal?: AbortSignal;
  /**
   * Ends the process at once, for the one case that cannot wait for work to finish (a second signal
   * during the collector's shutdown). The bin file binds it to process.exit; without it, the command
   * returns the code and leaves the unfinished work to its caller.
   */
  readonly exit?: (code: number) => void;
}

export interface Command {
  /** The text `facto <command> --help` prints. */
  usage(): string;
  /** Runs the command; a FactoError('invalid_argument') it throws is reported as a usage error, a CliError with its exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * Exit codes, the same for every command, so scripts can tell "the evidence does not hold" from "the
 * check could not be made". docs/cli.md lists them.
 */
export const EXIT_OK = 0;
/** The check ran and something failed: verify or explain found evidence that does not hold. */
export const EXIT_NOT_VERIFIED = 1;
/** Wrong usage: an unknown command or flag, a missing or malformed value (also a 400 from the collector). */
export const EXIT_USAGE = 2;
/** The collector could not be reached, could not start, failed, or answered something unexpected. */
export const EXIT_UNAVAILABLE = 3;
/** The collector refused the token (401 or 403). */
export const EXIT_DENIED = 4;
/** What was asked for does not exist (an event, a key). */
export const EXIT_NOT_FOUND = 5;
/** It would overwrite or contradict what exists: a key file, an output file, a key registered to another agent. */
export const EXIT_CONFLICT = 6;
/** A local file could not be read or written. */
export const EXIT_FILE = 7;
/** An unexpected error: a bug in facto. */
export const EXIT_INTERNAL = 70;
