/**
 * Runs the agent's own function (a model call, a tool) in a context, exactly once. If entering the
 * context fails before the function ran (a broken context manager), the failure is reported and the
 * function runs where it was called; an error of the function itself is the caller's, unchanged.
 */
import { context as contextApi, type Context } from '@opentelemetry/api';
import type { FailureReporter } from '@facto/genai';

export function runInContext<T>(context: Context, fn: () => T, report: FailureReporter): T {
  let invoked = false;
  try {
    return contextApi.with(context, () => {
      invoked = true;
      return fn();
    });
  } catch (error) {
    if (invoked) throw error;
    report('entering the span context', error);
    return fn();
  }
}
