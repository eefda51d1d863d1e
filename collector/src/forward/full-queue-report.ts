/**
 * What the forwarder says about a full queue. A request refused by it is either dropped (its spans
 * are in the log, only the downstream copy goes: facto_forward_dropped_total) or deferred (it held
 * unsigned spans kept nowhere else, so the sender was answered 503 and sends it again: not a loss,
 * and not counted as one). Under sustained overload every request is refused, so the warning is
 * said at most once per interval with the counts since the last one, and what an interval left
 * unsaid is said when it ends (a timer) or at shutdown, so no refusal goes unreported.
 */
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';

const INTERVAL_MILLIS = 10_000;

export class FullQueueReport {
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #now: () => number;
  readonly #bounds: { readonly queueSize: number; readonly queueBytes: number };
  #dropped = 0;
  #deferred = 0;
  #saidAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { logger: Logger; metrics: Metrics; now: () => number; queueSize: number; queueBytes: number }) {
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#now = options.now;
    this.#bounds = { queueSize: options.queueSize, queueBytes: options.queueBytes };
  }

  refused(dropped: number, deferred: number): void {
    if (dropped + deferred === 0) return;
    this.#metrics.forwardDropped.inc(dropped);
    this.#dropped += dropped;
    this.#deferred += deferred;
    const waited = this.#now() - this.#saidAt;
    if (waited >= INTERVAL_MILLIS) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), INTERVAL_MILLIS - waited);
      this.#timer.unref();
    }
  }

  /** Says what was refused since the last warning, if anything. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dropped + this.#deferred === 0) return;
    this.#logger.warn('forward queue full: newer requests were not queued for downstream', {
      dropped: this.#dropped,
      answered503: this.#deferred,
      ...this.#bounds,
    });
    this.#dropped = 0;
    this.#deferred = 0;
    this.#saidAt = this.#now();
  }
}
