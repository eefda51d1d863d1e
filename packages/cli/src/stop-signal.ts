/**
 * Waiting for the user to stop a long-running command (the collector, tail): the first SIGINT or
 * SIGTERM, or an abort of the caller's signal. Listening starts before the work does, so no signal is
 * missed, and the listeners are removed afterwards, so an embedding process keeps its own handling.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export type StopCause = (typeof STOP_SIGNALS)[number] | 'abort';

export interface StopWatch {
  /** Resolves on the first stop, with what stopped it: the signal's name, or 'abort'. */
  readonly stopped: Promise<StopCause>;
  /** Aborted on the first stop, for work that takes a signal. */
  readonly signal: AbortSignal;
  dispose(): void;
}

export function watchForStop(abortSignal: AbortSignal | undefined): StopWatch {
  const controller = new AbortController();
  let dispose = () => {};
  const stopped = new Promise<StopCause>((resolve) => {
    const stop = (cause: StopCause) => {
      dispose();
      controller.abort();
      resolve(cause);
    };
    const listeners = STOP_SIGNALS.map((name) => [name, () => stop(name)] as const);
    const aborted = () => stop('abort');
    dispose = () => {
      for (const [name, listener] of listeners) process.off(name, listener);
      abortSignal?.removeEventListener('abort', aborted);
    };
    for (const [name, listener] of listeners) process.once(name, listener);
    if (abortSignal?.aborted) aborted();
    else abortSignal?.addEventListener('abort', aborted, { once: true });
  });
  return { stopped, signal: controller.signal, dispose: () => dispose() };
}
