/**
 * Runs a tool's `execute` inside its span and gives back what `execute` gave, in the same form: a
 * value as a value, a promise as a promise of the same value, an async iterable (a tool that
 * streams preliminary results) as an async iterable of the same items. The span records the result
 * (for a streaming tool, its last item, which the AI SDK takes as the final result) and ends when
 * the tool is done; an error is recorded and re-thrown unchanged. Code the tool runs, including each
 * step of a streaming tool, runs in the span's context, so its spans nest under the tool's.
 */
import { context as contextApi, type Context } from '@opentelemetry/api';
import type { FailureReporter, ToolSpan } from '@facto/genai';
import { runInContext } from './run-in-context.js';

export function runTool(span: ToolSpan, context: Context, execute: () => unknown, report: FailureReporter): unknown {
  const fail = (error: unknown) => {
    span.fail(error);
    span.end();
  };
  const succeed = (value: unknown) => {
    span.result(value);
    span.end();
  };
  let outcome: unknown;
  try {
    outcome = runInContext(context, execute, report);
  } catch (error) {
    fail(error);
    throw error;
  }
  if (isThenable(outcome)) {
    return Promise.resolve(outcome).then(
      (value) => {
        succeed(value);
        return value;
      },
      (error: unknown) => {
        fail(error);
        throw error;
      },
    );
  }
  if (isAsyncIterable(outcome)) return streamInSpan(outcome, context, succeed, fail, span);
  succeed(outcome);
  return outcome;
}

async function* streamInSpan(
  source: AsyncIterable<unknown>,
  context: Context,
  succeed: (value: unknown) => void,
  fail: (error: unknown) => void,
  span: ToolSpan,
): AsyncGenerator<unknown> {
  const iterator = contextApi.with(context, () => source[Symbol.asyncIterator]());
  let last: unknown;
  let finished = false;
  try {
    for (;;) {
      const next = await contextApi.with(context, () => iterator.next());
      if (next.done) break;
      last = next.value;
      yield next.value;
    }
    finished = true;
    succeed(last);
  } catch (error) {
    finished = true;
    fail(error);
    throw error;
  } finally {
    // The caller stopped early: close the tool's own iterator and end the span with what it gave.
    if (!finished) {
      span.end();
      await contextApi.with(context, () => iterator.return?.());
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
