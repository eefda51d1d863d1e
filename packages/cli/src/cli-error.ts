/**
 * An error a command reports in one line with a chosen exit code: what was wrong, and what to do. A
 * stack trace is for bugs, and a missing file or an unreachable collector is not one.
 */
const marker = Symbol.for('facto.cli.error');

export class CliError extends Error {
  readonly [marker] = true;
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }

  static isInstance(error: unknown): error is CliError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}
