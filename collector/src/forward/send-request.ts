/**
 * One queued request's delivery (forwarder.ts runs several at once): each attempt reads the request
 * from the store first, so an erasure made since it was listed, in this process or another, has
 * rewritten it or taken it off; what OTLP/HTTP calls retryable (429, 502, 503, 504 and network
 * errors) is tried again on retry-schedule.ts's schedule; a store that cannot read it pauses the
 * delivery without spending its retries. Retryable failures are said once per run (a warning when
 * the first one comes after a delivery, debug lines after it, an info line when one works again),
 * across all the requests in flight.
 */
import type { OtlpContentType, SpanSelection } from '../otlp/decoded-trace-request.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { QueuedForward } from '../store/types.js';
import { withoutUserinfo } from './failure-reason.js';
import { filterRequest } from './filter-request.js';
import type { ForwardClock, ForwarderOptions } from './forwarder-options.js';
import { postOnce, type PostOutcome } from './post-once.js';
import { retryDelayMillis } from './retry-schedule.js';
import type { StoreHealth } from './store-health.js';

/** How long delivery waits before reading the store again after it failed. */
export const STORE_RETRY_MILLIS = 1_000;
/**
 * Failed reads of one request, a second apart, after which a read that failed for damage (not a
 * store that is down or busy: those pass) makes delivery ask whether the queue itself still reads:
 * if it lists the request but cannot give its body (a damaged row), the request is given up rather
 * than holding a delivery slot for ever; with one slot, the default, that was every request behind
 * it. A store that is down fails the listing too, and delivery goes on waiting for it.
 */
export const UNREADABLE_ROW_READS = 30;

type Attempt = PostOutcome | { readonly outcome: 'refused' } | { readonly outcome: 'gone' } | { readonly outcome: 'unreadable'; readonly error: unknown };

/**
 * What a request has spent of its retries. The forwarder keeps one per request across the attempts
 * an erasure cuts (the request is then read again and resent), so rewriting a request never renews
 * the budget of a downstream that keeps failing.
 */
export interface RetryBudget {
  /** Attempts the downstream answered (or failed on the network), counted from 0. */
  attempts: number;
  /** When the first of them started, in the clock's time; undefined until one does. */
  startedAt: number | undefined;
}

/** A read failure that will not pass by itself: damage, or anything but the store being down or busy. */
function isDamage(error: unknown): boolean {
  return !StoreUnavailableError.isInstance(error) || error.damaged;
}

export const freshBudget = (): RetryBudget => ({ attempts: 0, startedAt: undefined });

/** Sleeps on `clock`; false when `signal` stopped it. */
export async function pause(clock: ForwardClock, millis: number, signal: AbortSignal): Promise<boolean> {
  try {
    await clock.sleep(millis, signal);
    return true;
  } catch {
    return false;
  }
}

export class RequestSender {
  readonly #options: ForwarderOptions;
  readonly #clock: ForwardClock;
  readonly #health: StoreHealth;
  /** The URL as logs show it (failure-reason.ts: no query values). */
  readonly #url: string;
  /**
   * Retryable failures since the last delivery. The first of a run is a warning, so a downstream
   * that went away shows within seconds; the rest are debug lines, as one per retry would flood.
   */
  #failuresInRun = 0;

  constructor(options: ForwarderOptions, clock: ForwardClock, health: StoreHealth, url: string) {
    this.#options = options;
    this.#clock = clock;
    this.#health = health;
    this.#url = url;
  }

  /**
   * Delivers one queued request, retrying as OTLP/HTTP allows: 'finished' once it is delivered, given
   * up or gone from the store (it is then deleted), 'cut' when `signal` stopped it (it stays queued).
   * `budget` carries what earlier, cut deliveries of the same request spent.
   */
  async deliver(id: number, signal: AbortSignal, budget: RetryBudget = freshBudget()): Promise<'finished' | 'cut'> {
    const { logger, metrics, initialBackoffMillis = 1_000, maxBackoffMillis = 30_000, maxElapsedMillis = 300_000 } = this.#options;
    const schedule = { initialBackoffMillis, maxBackoffMillis, maxElapsedMillis };
    let failedReads = 0;
    for (;;) {
      const triedAt = this.#clock.now();
      const first = budget.startedAt === undefined;
      budget.startedAt ??= triedAt;
      const result = await this.#attempt(id, signal);
      if (signal.aborted) return 'cut';
      if (result.outcome === 'gone') return 'finished';
      if (result.outcome === 'unreadable') {
        // Our own store, not the downstream: no attempt was made, none is counted, and the time
        // spent on the store (the failed read, which can last a connect timeout, and the pause) is
        // not charged to the request: it is not given up for it. Delivery waits, as it does when
        // the queue cannot be listed.
        this.#health.failed('read', result.error, id);
        if (++failedReads >= UNREADABLE_ROW_READS && isDamage(result.error)) {
          const row = await this.#rowAlone(id);
          if (row === 'gone') return 'finished';
          if (row === 'damaged') {
            this.#health.abandoned('read', id);
            metrics.forwardDropped.inc();
            logger.error('a queued request cannot be read from the store, though the queue can; gave up forwarding it (its signed spans stay in the log; unsigned spans kept only for forwarding are lost with it)', {
              url: this.#url,
              request: id,
              reads: failedReads,
              error: result.error instanceof Error ? result.error.message : String(result.error),
            });
            return 'finished';
          }
        }
        const resumed = await pause(this.#clock, STORE_RETRY_MILLIS, signal);
        if (first) budget.startedAt = undefined;
        else budget.startedAt += this.#clock.now() - triedAt;
        if (!resumed) return 'cut';
        continue;
      }
      failedReads = 0;
      if (result.outcome === 'delivered') {
        if (this.#failuresInRun > 0) logger.info('forwarding works again', { url: this.#url, failedAttempts: this.#failuresInRun });
        this.#failuresInRun = 0;
        return 'finished';
      }
      if (result.outcome === 'refused') return 'finished';
      metrics.forwardFailures.inc();
      this.#failuresInRun++;
      const attempt = budget.attempts++;
      const delayMillis = retryDelayMillis(schedule, attempt, this.#clock.now() - budget.startedAt, result.retryAfterMillis, Math.random());
      if (delayMillis === undefined) {
        metrics.forwardDropped.inc();
        logger.error('giving up forwarding a request', { url: this.#url, attempts: attempt + 1, reason: result.reason });
        return 'finished';
      }
      const retrying = { url: this.#url, attempt: attempt + 1, reason: result.reason, delayMillis: Math.round(delayMillis) };
      if (this.#failuresInRun === 1) logger.warn('forwarding failed; retrying (further failures are logged at debug level until one succeeds)', retrying);
      else logger.debug('forwarding failed; will retry', retrying);
      try {
        await this.#clock.sleep(delayMillis, signal);
      } catch {
        return 'cut'; // stopped, or close() ran out of time
      }
    }
  }

  /**
   * Whether the queue reads while request `id` does not: 'damaged' when the listing names it, 'gone'
   * when it no longer does (delivered by another process, erased), 'store' when the listing fails too.
   */
  async #rowAlone(id: number): Promise<'damaged' | 'gone' | 'store'> {
    try {
      const [listed] = await this.#options.store.listForwardIds(id - 1, 1);
      return listed === id ? 'damaged' : 'gone';
    } catch {
      return 'store';
    }
  }

  /**
   * One attempt, with the request as the store holds it now: an erasure made since it was listed, in
   * this process or another on a shared database, has rewritten it or taken it off the queue ('gone').
   */
  async #attempt(id: number, signal: AbortSignal): Promise<Attempt> {
    let queued: QueuedForward | null;
    try {
      queued = await this.#options.store.getForward(id);
      this.#health.worked('read', id);
    } catch (error) {
      return { outcome: 'unreadable', error };
    }
    if (queued === null) return { outcome: 'gone' };
    let body: Uint8Array;
    try {
      body = queued.keepJson === null ? queued.body : filterRequest(queued.body, queued.encoding, JSON.parse(queued.keepJson) as SpanSelection);
    } catch (error) {
      this.#options.metrics.forwardDropped.inc();
      this.#options.logger.error('could not filter a request for forwarding; dropped it', { error: withoutUserinfo(error instanceof Error ? error.message : String(error)) });
      return { outcome: 'refused' };
    }
    return this.#send(body, queued.encoding, signal);
  }

  async #send(body: Uint8Array, contentType: OtlpContentType, signal: AbortSignal): Promise<PostOutcome> {
    const { url, headers, attemptTimeoutMillis = 10_000, metrics, logger } = this.#options;
    const result = await postOnce({ url, headers, body, contentType, timeoutMillis: attemptTimeoutMillis, signal, now: () => this.#clock.now() });
    if (result.outcome === 'refused') {
      metrics.forwardDropped.inc();
      logger.error(result.message, { url: this.#url, ...result.fields });
    }
    return result;
  }
}
