/**
 * Telemetry must never break the agent it observes: every failure inside an integration is caught
 * and reported here instead of reaching the caller. Each kind of failure (named by where it
 * happened) is reported once through OpenTelemetry's diag logger at error level, so a fault that
 * repeats on every call does not flood the log; repeats go to debug level.
 */
import { diag } from '@opentelemetry/api';

export type FailureReporter = (where: string, error: unknown) => void;

export function createFailureReporter(scope: string): FailureReporter {
  const reported = new Set<string>();
  return (where, error) => {
    const message = `${scope}: ${where} failed, the call itself is unaffected: ${describe(error)}`;
    if (reported.has(where)) {
      diag.debug(message);
      return;
    }
    reported.add(where);
    diag.error(message);
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'an unprintable value';
  }
}
