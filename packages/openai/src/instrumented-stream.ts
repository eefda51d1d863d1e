/**
 * A streamed response, observed without changing what the caller holds: the result is a new
 * instance of the client's own `Stream` class (from `openai/streaming`, whichever major version the
 * client is) over the same `AbortController`, so `instanceof`, `tee()`, `toReadableStream()` and
 * `controller.abort()` behave as before, and a teed stream still reads the source once.
 *
 * The span ends exactly once, however the stream ends: read to the end (`completed`), left by the
 * caller with `break` or `return()` (`stopped`), aborted through its controller or a signal
 * (`aborted`, also when nobody was reading at the time), or failed mid-stream (`failed`, with the
 * error). The client swallows an abort and simply ends the iteration; the aborted signal tells it
 * apart from a completed stream.
 *
 * The client also aborts its own controller when a read fails (a dropped connection, an error event
 * in the stream), before the failure reaches the reader. So an abort while a read is pending is left
 * to that read to classify: it ends the iteration or hands out an event already received (the
 * caller's abort), or throws (a failure). An abort while nobody reads ends the span there and then.
 */
import type { InferenceSpan, StreamOutcome } from '@facto/genai';
import type { StreamRecorder } from './operation.js';

export interface ClientStream {
  readonly controller?: AbortController;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

type StreamConstructor = new (iterator: () => AsyncIterator<unknown>, controller: AbortController | undefined, client: unknown) => ClientStream;

/** The name the openai client gives a caller's abort, so aborts before and during a stream match. */
const ABORT_ERROR_TYPE = 'APIUserAbortError';

export function isClientStream(value: unknown): value is ClientStream {
  return value !== null && typeof value === 'object' && typeof (value as ClientStream)[Symbol.asyncIterator] === 'function' && 'controller' in value;
}

export function instrumentStream(stream: ClientStream, client: unknown, span: InferenceSpan, recorder: StreamRecorder, report: (where: string, error: unknown) => void): ClientStream {
  const StreamClass = stream.constructor as StreamConstructor;
  const signal = stream.controller?.signal;
  let ended = false;

  const end = (outcome: StreamOutcome, error?: unknown) => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener('abort', onAbort);
    try {
      recorder.finish();
    } catch (failure) {
      report('recording a streamed response', failure);
    }
    if (outcome === 'failed') span.fail(error);
    span.streamEnded(outcome, ABORT_ERROR_TYPE);
    span.end();
  };
  let reading = false;
  const onAbort = () => {
    if (!reading) end('aborted');
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  async function* observed(): AsyncGenerator<unknown> {
    const iterator = stream[Symbol.asyncIterator]();
    let outcome: StreamOutcome | undefined;
    try {
      for (;;) {
        reading = true;
        let next: IteratorResult<unknown>;
        try {
          next = await iterator.next();
        } finally {
          reading = false;
        }
        if (next.done) {
          outcome = signal?.aborted ? 'aborted' : 'completed';
          return;
        }
        // Aborted while this read was pending, yet it handed out an event already received (openai 6
        // does): the client aborts itself only on the way to a failure or the end, never to hand out
        // an event, so this abort was the caller's. Ended here, the span cannot wait on a caller who
        // may never read again.
        if (signal?.aborted) end('aborted');
        if (!ended) observe(next.value);
        // If the caller leaves at this yield, the finally block runs with this outcome.
        outcome = 'stopped';
        yield next.value;
        outcome = undefined;
      }
    } catch (error) {
      outcome = 'failed';
      end('failed', error);
      throw error;
    } finally {
      if (outcome !== undefined) end(outcome);
      // Only a caller who stopped early leaves the source open; closing it aborts the request.
      if (outcome === 'stopped') await iterator.return?.();
    }
  }

  const observe = (item: unknown) => {
    span.firstChunk();
    try {
      recorder.add(item);
    } catch (error) {
      report('reading a streamed chunk', error);
    }
  };

  return new StreamClass(observed, stream.controller, client);
}
