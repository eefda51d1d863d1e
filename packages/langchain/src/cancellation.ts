/**
 * Telling a LangGraph run that was cancelled from one that failed, and what cancelled it.
 *
 * LangGraph cancels a run through one AbortSignal, whoever asked: a reader that stops reading
 * `stream()` (LangGraph then aborts a controller of its own, without a reason) and a caller that
 * aborts the `signal` it passed are merged into that signal before the run starts. When it aborts,
 * LangChain rejects the runs in flight with the signal's reason, and LangGraph's runner rejects the
 * graph with `new Error('Abort')`: no name, code or cause of its own. No callback is given the
 * caller's signal (LangChain runs awaited handlers outside its run context), so the reason is the
 * one trace of who cancelled: a reader that stopped always leaves an `AbortError` without a reason
 * of its own; any other reason (`abort(reason)`, the `TimeoutError` of `AbortSignal.timeout()` or
 * LangChain's `timeout`, a framework's own) came through the caller's signal. A caller's `abort()`
 * without a reason leaves the same `AbortError` as a reader that stopped and is recorded as one.
 */
import { errorTypeOf, STREAM_OUTCOME_ATTRIBUTE, type GenAISpan } from '@facto/genai';
import type { Run } from './run-registry.js';
import { fieldsOf } from './values.js';

/** `stopped`: the reader stopped (or the caller aborted without a reason); `aborted`: the caller's signal, with its reason. */
export type CancelOutcome = 'stopped' | 'aborted';

/**
 * Judges each error a run ends with where it was first raised: runs report one error object up
 * their whole tree, so a graph that merely passes on a node's own `Error('Abort')` is not taken for
 * LangGraph's cancellation, while an enclosing run that passes on LangGraph's is.
 */
export class Cancellations {
  readonly #raisedAsCancellation = new WeakMap<object, boolean>();

  /** Call it for every run's error, as it is reported; `byGraph`: the run is a LangGraph graph. */
  isCancellation(error: unknown, byGraph: boolean): boolean {
    if (error === null || typeof error !== 'object') return false;
    let cancellation = this.#raisedAsCancellation.get(error);
    if (cancellation === undefined) {
      cancellation = byGraph && isGraphAbort(error);
      this.#raisedAsCancellation.set(error, cancellation);
    }
    return cancellation;
  }
}

/** What LangGraph's runner (`pregel/runner.js`) rejects a graph with when its signal aborts. */
function isGraphAbort(error: object): boolean {
  return Object.getPrototypeOf(error) === Error.prototype && (error as Error).message === 'Abort';
}

/** `stopped` when no reason is known or it is a bare `AbortError`; `aborted` for a reason of the caller's. */
export function cancelOutcome(reason: unknown): CancelOutcome {
  return reason === undefined || errorTypeOf(reason) === 'AbortError' ? 'stopped' : 'aborted';
}

/** The signal LangChain runs a model call with: its call options, as handed to the model's start. */
export function callSignalOf(extraParams: unknown): AbortSignal | undefined {
  const signal = fieldsOf(fieldsOf(extraParams).options).signal;
  return signal instanceof AbortSignal ? signal : undefined;
}

/** The reason the signal of a model call left open aborted with: exactly why its run was cancelled. */
export function abortedSignalReason(runs: readonly Run[]): unknown {
  for (const run of runs) if (run.kind === 'model' && run.signal?.aborted) return run.signal.reason as unknown;
  return undefined;
}

/** Ends an agent span cut short: `stopped` with no error, or `aborted`, an error of type `AbortError` carrying the reason. */
export function endCutShort(span: GenAISpan, outcome: CancelOutcome, reason: unknown): void {
  try {
    if (!span.ended) span.span.setAttribute(STREAM_OUTCOME_ATTRIBUTE, outcome);
    if (outcome === 'aborted') span.fail(reason, 'AbortError');
  } finally {
    span.end();
  }
}
