/**
 * Runs an agent's function inside a span: the function runs exactly once, in the span's context
 * (so what it calls nests under it), its value is returned and its error re-thrown as they are.
 * Without a span (its start failed) or when entering the context fails before the function ran,
 * the function simply runs.
 */
import { context as contextApi } from '@opentelemetry/api';
import type { FailureReporter } from './failure-reporter.js';
import type { GenAISpan } from './genai-span.js';

export async function runInSpan<T>(
  span: GenAISpan | undefined,
  fn: () => T | PromiseLike<T>,
  report: FailureReporter,
  onResult?: (value: T) => void,
): Promise<T> {
  if (!span) return fn();
  let invoked = false;
  let pending: T | PromiseLike<T>;
  try {
    pending = contextApi.with(span.context, () => {
      invoked = true;
      return fn();
    });
  } catch (error) {
    if (!invoked) {
      report('entering the span context', error);
      span.end();
      return fn();
    }
    span.fail(error);
    span.end();
    throw error;
  }
  let value: T;
  try {
    value = await pending;
  } catch (error) {
    span.fail(error);
    span.end();
    throw error;
  }
  try {
    onResult?.(value);
  } catch (error) {
    report('recording a result', error);
  }
  span.end();
  return value;
}
