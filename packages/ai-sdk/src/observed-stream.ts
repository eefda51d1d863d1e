/**
 * A model's stream, passed through part by part and watched on the way: each part goes to the
 * caller as soon as the caller asks for it (no read-ahead, no buffering, the same object), and the
 * watcher sees it first. The watcher hears exactly once how the stream ended: read to its end
 * (`completed`), cancelled by its reader (`stopped`), aborted through the call's abort signal
 * (`aborted`, also when the SDK keeps reading after the abort or nobody is reading at the time), or
 * failed with an error from the source (`failed`). After the end, parts still pass through, unwatched.
 */
import type { StreamOutcome } from '@facto/genai';

export interface StreamWatcher<Part> {
  part(part: Part): void;
  end(outcome: StreamOutcome, error?: unknown): void;
}

export function observeStream<Part>(source: ReadableStream<Part>, watcher: StreamWatcher<Part>, signal?: AbortSignal): ReadableStream<Part> {
  const reader = source.getReader();
  let ended = false;
  const end = (outcome: StreamOutcome, error?: unknown) => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener('abort', onAbort);
    watcher.end(outcome, error);
  };
  const onAbort = () => end('aborted');
  if (signal?.aborted) end('aborted');
  else signal?.addEventListener('abort', onAbort, { once: true });

  return new ReadableStream<Part>(
    {
      async pull(controller) {
        const next = await reader.read().then(undefined, (error: unknown) => {
          end(signal?.aborted ? 'aborted' : 'failed', error);
          throw error;
        });
        if (next.done) {
          end(signal?.aborted ? 'aborted' : 'completed');
          controller.close();
          return;
        }
        if (!ended) watcher.part(next.value);
        controller.enqueue(next.value);
      },
      cancel(reason) {
        end(signal?.aborted ? 'aborted' : 'stopped');
        return reader.cancel(reason);
      },
    },
    // Pull only when the caller reads: a part reaches the caller the moment it arrives, never held back.
    { highWaterMark: 0 },
  );
}
