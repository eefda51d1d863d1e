/**
 * How the HTTP layer reports a store that is down (the database stopped, a full disk): once when
 * requests start failing on it, then at most once a minute while they still do, with how many were
 * answered 503 meanwhile, and once when an ingest request commits again. A line per refused request
 * flooded the log during an outage (366 lines in 6 s in an outside probe's PostgreSQL restart) and
 * buried what the operator needs: when it began, that it goes on, and when it ended.
 */
import type { Logger } from '../ops/logger.js';

/** How often a continuing outage is said again. */
const REPEAT_MILLIS = 60_000;

export class StoreOutage {
  readonly #logger: Logger;
  readonly #now: () => number;
  /** When the first request failed on the store; undefined while it works. */
  #since: number | undefined;
  #lastSaidAt = 0;
  /** Requests answered 503 since the outage was last reported. */
  #refusedSinceSaid = 0;
  #refused = 0;

  constructor(logger: Logger, now: () => number = Date.now) {
    this.#logger = logger;
    this.#now = now;
  }

  /** A request failed because the store is unavailable; `detail` (for the operator only) says why. */
  failed(detail: string): void {
    const now = this.#now();
    this.#refused++;
    if (this.#since === undefined) {
      this.#since = now;
      this.#lastSaidAt = now;
      this.#refusedSinceSaid = 0;
      this.#logger.error('store unavailable; answering 503 until it works again', { error: detail });
      return;
    }
    this.#refusedSinceSaid++;
    if (now - this.#lastSaidAt < REPEAT_MILLIS) return;
    this.#logger.error('store still unavailable; answering 503', { error: detail, refused: this.#refusedSinceSaid, forSeconds: Math.round((now - this.#since) / 1000) });
    this.#lastSaidAt = now;
    this.#refusedSinceSaid = 0;
  }

  /** A request that writes to the store succeeded. */
  worked(): void {
    if (this.#since === undefined) return;
    this.#logger.info('store available again', { refused: this.#refused, forSeconds: Math.round((this.#now() - this.#since) / 1000) });
    this.#since = undefined;
    this.#refused = 0;
  }
}
