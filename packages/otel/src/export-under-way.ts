/**
 * The one export the queue has under way (export-queue.ts), as shutdown needs to know it: whether its
 * batch was handed to the exporter, whether its outcome is counted, whether it delivered, and a
 * promise that settles when it ends (delivered, failed, or abandoned at shutdown).
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface ExportUnderWay {
  readonly batch: readonly ReadableSpan[];
  /** The batch was handed to the exporter (its request may be out). */
  requested: boolean;
  /** Its outcome is counted (or it was abandoned): a later answer is ignored. */
  settled: boolean;
  delivered: boolean;
  readonly ended: Promise<void>;
}

/** A new export's record, and the function that settles its `ended`. */
export function exportUnderWay(batch: readonly ReadableSpan[]): { readonly current: ExportUnderWay; readonly markEnded: () => void } {
  let markEnded = () => {};
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  return { current: { batch, requested: false, settled: false, delivered: false, ended }, markEnded };
}

/** Resolves when `promise` settles or `millis` have passed, whichever is first. */
export function settledWithin(promise: Promise<void>, millis: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, millis);
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
