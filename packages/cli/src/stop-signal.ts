/**
 * Waiting for the user to stop a long-running command (the collector, tail): the first SIGINT or
 * SIGTERM, or an abort of the caller's signal. Listening starts before the work does, so no signal is
 * missed, and the listeners are removed afterwards, so an embedding process keeps its own handling.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface StopWatch {
  /** Resolves on the first stop. */
  readonly stopped: Promise<void>;
  /** Aborted on the first stop, for work that takes a signal. */
  readonly signal: AbortSignal;
  dispose(): void;
}

export function watchForStop(abortSignal: AbortSignal | undefined): StopWatch {
  const controller = new AbortController();
  let dispose = () => {};
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      dispose();
      controller.abort();
      resolve();
    };
    dispose = () => {
      for (const name of STOP_SIGNALS) process.off(name, stop);
      abortSignal?.removeEventListener('abort', stop);
    };
    for (const name of STOP_SIGNALS) process.once(name, stop);
    if (abortSignal?.aborted) stop();
    else abortSignal?.addEventListener('abort', stop, { once: true });
  });
  return { stopped, signal: controller.signal, dispose: () => dispose() };
}
