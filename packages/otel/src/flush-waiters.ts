/**
 * Callers waiting for the export queue to deliver what it holds: flush() and OpenTelemetry's
 * forceFlush(), which wait for one attempt of their own, and shutdown(), which waits until its time
 * is up. Exports are numbered as they start; a flush that came while export n was under way has its
 * own attempt in the first export numbered above n.
 *
 * A flush stops waiting when that attempt fails (the collector is down or refuses every request):
 * the OTLP exporter has already retried inside it, and waiting out the queue's backoff would hold a
 * serverless invocation (`waitUntil(flush())`) for the whole flush timeout in every outage, past
 * the tracer provider's own forceFlush timeout. The spans stay queued and go out when the collector
 * is back; the report counts them `undelivered`.
 */
interface Waiter {
  readonly finish: () => void;
  /** The last export that had started when this caller came; undefined: wait until delivered or timed out. */
  readonly cameDuring?: number;
}

export class FlushWaiters {
  #waiting: Waiter[] = [];

  get size(): number {
    return this.#waiting.length;
  }

  add(finish: () => void, cameDuring?: number): void {
    this.#waiting.push({ finish, cameDuring });
  }

  /** Whether someone waits whose own attempt has not started yet: export `latest` was not theirs. */
  awaitAttemptAfter(latest: number): boolean {
    return this.#waiting.some((waiter) => waiter.cameDuring !== undefined && waiter.cameDuring >= latest);
  }

  /** Export `failed` failed: releases the flushes for which it was their own attempt. */
  releaseAfterFailure(failed: number): void {
    const released = this.#waiting.filter((waiter) => waiter.cameDuring !== undefined && waiter.cameDuring < failed);
    this.#waiting = this.#waiting.filter((waiter) => !released.includes(waiter));
    for (const waiter of released) waiter.finish();
  }

  releaseAll(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const waiter of waiting) waiter.finish();
  }
}
