/**
 * Sends accepted OTLP trace requests on to a downstream OTLP/HTTP endpoint, so the collector can be one
 * stage of an existing telemetry pipeline. The queue lives in the store (Batch.forwards): the ingest
 * service admits a request (admit(), which takes room in the queue or refuses it at once) and writes
 * it in the same transaction as its spans, so a request acknowledged 200 is a request that will be
 * forwarded, across a crash or a restart too. One delivery loop reads the queue oldest first,
 * retries what OTLP/HTTP calls retryable (429, 502, 503, 504 and network errors) on the schedule of
 * retry-schedule.ts, and deletes each request once delivered or given up. A crash between a delivery
 * and its deletion sends that request again after the restart: delivery is at least once.
 *
 * A full queue (by requests or bytes) refuses the newest request: the ingest service leaves it out
 * of the batch, and the ingest route decides whether the sender must retry (spans kept nowhere else)
 * or the downstream copy can go (the Merkle log is the record). Every request not delivered counts
 * in facto_forward_dropped_total. On a shared PostgreSQL database every process admits and writes,
 * the leader delivers, and each commit that adds reads the shared size first (storedNow()).
 */
import type { Forwarder } from '../context.js';
import type { ForwardBacklog, NewForward, QueuedForward } from '../store/types.js';
import type { OtlpContentType } from '../otlp/decoded-trace-request.js';
import { selectsAny, type SpanSelection } from '../otlp/decoded-trace-request.js';
import { shownUrl, withoutUserinfo } from './failure-reason.js';
import { systemClock, type ForwardClock, type ForwarderOptions, type ForwardRevision } from './forwarder-options.js';
import { postOnce, type PostOutcome } from './post-once.js';
import { FullQueueReport } from './full-queue-report.js';
import { QueueCount } from './queue-count.js';
import { StoreHealth } from './store-health.js';
import { filterRequest } from './filter-request.js';
import { retryDelayMillis } from './retry-schedule.js';

export type { ForwardClock, ForwarderOptions, ForwardRevision } from './forwarder-options.js';

/** Request ids read from the store at a time; each body is read when its request is sent. */
const READ_AHEAD = 16;
/** Delivered requests are deleted together, up to this many at a time (and whenever the queue runs dry). */
const DELETE_BATCH = 16;
/** How often the count of a queue only this process writes is read again from the store. */
const RECOUNT_MILLIS = 10_000;
/** How long delivery waits before reading the store again after it failed. */
const STORE_RETRY_MILLIS = 1_000;

type Attempt = PostOutcome | { readonly outcome: 'refused' };

export function createForwarder(options: ForwarderOptions): Forwarder {
  const shown = JSON.stringify(shownUrl(options.url));
  if (!URL.canParse(options.url)) throw new TypeError(`forward URL is not a URL: ${shown}`);
  const url = new URL(options.url);
  // fetch() refuses such a URL outright: every attempt would fail, for minutes, naming the password.
  if (url.username !== '' || url.password !== '') throw new TypeError(`forward URL must not carry user:password@: ${shown}`);
  if (!Number.isSafeInteger(options.queueSize) || options.queueSize < 1) throw new RangeError(`queueSize must be a positive integer, got ${options.queueSize}`);
  if (!Number.isSafeInteger(options.queueBytes) || options.queueBytes < 1) throw new RangeError(`queueBytes must be a positive integer, got ${options.queueBytes}`);
  return new QueueForwarder(options);
}

class QueueForwarder implements Forwarder {
  readonly #options: ForwarderOptions;
  readonly #clock: ForwardClock;
  /** The queue's size as this process knows it (queue-count.ts). */
  readonly #count: QueueCount;
  #closed = false;
  #delivery: Delivery | undefined;
  /** Wakes an idle delivery loop: a commit added requests, or close() wants the queue drained. */
  #wake: (() => void) | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  /** Says and counts what a full queue refused (full-queue-report.ts). */
  readonly #full: FullQueueReport;
  /**
   * Retryable failures since the last delivery. The first of a run is a warning, so a downstream
   * that went away shows within seconds; the rest are debug lines, as one per retry would flood.
   */
  #failuresInRun = 0;
  /** Says once when the store starts failing the queue's reads or deletes, and once when it works again. */
  readonly #health: StoreHealth;
  /** Delivered or given up, to be deleted: ids only, so a run of failing deletes holds no bodies. */
  readonly #finished: number[] = [];
  /** The last request a loop finished: the next reading starts after it. */
  #afterId = 0;
  /** Set by each commit, cleared before each read of the queue: a commit the loop's last read may have missed. */
  #moreQueued = false;
  /** The URL as logs show it (failure-reason.ts: no query values). */
  readonly #url: string;

  constructor(options: ForwarderOptions) {
    this.#options = options;
    this.#url = shownUrl(options.url);
    this.#clock = options.clock ?? systemClock;
    this.#health = new StoreHealth(options.logger);
    this.#count = new QueueCount(options.store, () => options.metrics.forwardQueueDepth.set(this.depth));
    this.#full = new FullQueueReport({ ...options, now: () => this.#clock.now() });
  }

  get depth(): number {
    return this.#count.requests;
  }

  async open(): Promise<void> {
    await this.#count.recount();
    const backlog = this.#count.stored;
    if (backlog.requests > 0) this.#options.logger.info('the forward queue holds requests from before this start; they will be delivered', { ...backlog });
    // Counted again from the store now and then: the count kept beside it drifts on races (a commit
    // and a recount crossing, an erasure and a delete) and, on a shared database, other processes add.
    this.#refreshTimer = setInterval(() => void this.#refresh(), this.#options.refreshMillis ?? RECOUNT_MILLIS);
    this.#refreshTimer.unref();
  }

  admit(body: Uint8Array, contentType: OtlpContentType, keep: SpanSelection, factoIds: readonly string[] = []): NewForward | undefined {
    if (!selectsAny(keep)) return undefined;
    const { queueSize, queueBytes } = this.#options;
    // Counted as dropped by refused(), once the commit it was refused in stands.
    if (this.#closed || this.depth >= queueSize || this.#count.bytes + body.byteLength > queueBytes) return undefined;
    this.#count.reserve(body.byteLength);
    const keepsAll = keep.every((scopes) => scopes.every((spans) => spans.every(Boolean)));
    return { encoding: contentType, body, keepJson: keepsAll ? null : JSON.stringify(keep), queuedAt: this.#clock.now(), factoIds };
  }

  committed(forwards: readonly NewForward[]): void {
    if (forwards.length === 0) return;
    this.#count.commit(forwards.length, sumBytes(forwards));
    this.#moreQueued = true;
    this.#wake?.();
  }

  refused(dropped: number, deferred = 0): void {
    this.#full.refused(dropped, deferred);
  }

  storedNow(backlog: ForwardBacklog): void {
    this.#count.set(backlog);
  }

  released(forwards: readonly NewForward[]): void {
    if (forwards.length === 0) return;
    this.#count.release(forwards.length, sumBytes(forwards));
  }

  revised(edits: readonly ForwardRevision[]): void {
    // Counted again from the store: an edit may name a request delivered and deleted meanwhile.
    void this.#refresh();
    // Nothing of the old body may go out: an attempt under way is cut (what it sent already is gone),
    // and every attempt reads its request from the store first.
    const delivery = this.#delivery;
    if (delivery !== undefined && edits.some((edit) => edit.id === delivery.current)) delivery.rewind.abort();
  }

  startDelivering(): { stop(): Promise<void>; notified(): void } {
    // Elected while shutting down: nothing more to deliver here.
    if (this.#closed) return { stop: async () => undefined, notified: () => undefined };
    // A loop asked to stop may still be finishing (a re-election while the last step-down waits):
    // the new one starts after it, rather than this call handing back the stopping one.
    const current = this.#delivery;
    const delivery = current !== undefined && !current.stop.signal.aborted ? current : this.#startLoop(current?.done);
    this.#delivery = delivery;
    return {
      stop: async () => {
        delivery.stop.abort();
        await delivery.done;
      },
      // Another process committed requests to the shared queue.
      notified: () => {
        this.#moreQueued = true;
        this.#wake?.();
      },
    };
  }

  async close(timeoutMillis: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    this.#full.flush();
    const delivery = this.#delivery;
    if (delivery !== undefined) {
      // Deliver what is queued, up to the deadline: the loop ends when the queue is empty.
      delivery.draining = true;
      this.#wake?.();
      const deadline = setTimeout(() => delivery.stop.abort(), timeoutMillis);
      await delivery.done;
      clearTimeout(deadline);
    }
    // What the store holds is what is left, whatever the count kept beside it says.
    await this.#refresh();
    const left = this.#count.stored.requests;
    if (left === 0) return;
    const { logger, metrics, durable, refreshMillis } = this.#options;
    if (refreshMillis !== undefined) {
      logger.info('left the forward queue in the shared store, for the process that delivers it next', { requests: left });
      return;
    }
    if (durable) {
      logger.info('forward queue not drained before shutdown; the store keeps the rest, to be delivered after a start', { requests: left });
      return;
    }
    logger.warn('forward queue not drained before shutdown; dropped the rest (the database is in memory)', { dropped: left });
    metrics.forwardDropped.inc(left);
    this.#count.clear();
  }

  async #refresh(): Promise<void> {
    try {
      await this.#count.recount();
    } catch {
      // The delivery loop and the ingest route report a failing store; the count stays as it was.
    }
  }

  #startLoop(after: Promise<void> = Promise.resolve()): Delivery {
    const delivery: Delivery = { stop: new AbortController(), rewind: new AbortController(), current: undefined, draining: false, done: Promise.resolve() };
    delivery.done = after.then(() => this.#loop(delivery)).finally(() => {
      if (this.#delivery === delivery) this.#delivery = undefined;
    });
    return delivery;
  }

  /** Reads the queue oldest first and delivers it, until stopped (or, draining, until it is empty). */
  async #loop(delivery: Delivery): Promise<void> {
    const stopped = delivery.stop.signal;
    // Kept on the forwarder, not the loop: a loop that stops with deletes still failing hands them,
    // and where it got to, to the next one (a re-election), which would otherwise send them again.
    const finished = this.#finished;
    let afterId = this.#afterId;
    let signal = AbortSignal.any([stopped, delivery.rewind.signal]);
    // Shutting down on a shared queue: what is left is another process's to deliver, not this one's to drain.
    const finishOnly = () => delivery.draining && this.#options.refreshMillis !== undefined;
    while (!stopped.aborted) {
      if (delivery.rewind.signal.aborted) {
        // The request being delivered was rewritten in the store (an erasure): its attempt was cut.
        delivery.rewind = new AbortController();
        signal = AbortSignal.any([stopped, delivery.rewind.signal]);
      }
      let batch: number[];
      this.#moreQueued = false;
      try {
        batch = await this.#options.store.listForwardIds(afterId, READ_AHEAD);
        this.#health.worked('read');
      } catch (error) {
        this.#health.failed('read', error);
        if (delivery.draining || !(await this.#pause(STORE_RETRY_MILLIS, stopped))) break;
        continue;
      }
      if (batch.length === 0) {
        await this.#deleteFinished(finished);
        if (delivery.draining) break;
        await this.#idle(stopped);
        continue;
      }
      for (const id of batch) {
        if (finishOnly()) break;
        delivery.current = id;
        await this.#deliver({ id }, signal);
        delivery.current = undefined;
        // Stopped or cut mid-delivery: the request was not delivered, and stays queued for the next reading or start.
        if (signal.aborted) break;
        afterId = this.#afterId = id;
        finished.push(id);
        if (finished.length >= DELETE_BATCH) await this.#deleteFinished(finished);
      }
      if (finishOnly()) break;
    }
    await this.#deleteFinished(finished);
  }

  /** Takes delivered and given-up requests off the queue; on failure they stay listed and are tried again with the next ones. */
  async #deleteFinished(finished: number[]): Promise<void> {
    if (finished.length === 0) return;
    let removed: ForwardBacklog;
    try {
      removed = await this.#options.store.deleteForwards(finished);
      this.#health.worked('delete');
    } catch (error) {
      this.#health.failed('delete', error);
      return;
    }
    // What the store removed: an erasure may have taken a request off, or shrunk it, meanwhile.
    this.#count.remove(removed);
    finished.length = 0;
  }

  /** Waits for a commit to add requests (or, when other processes add them, for the next look), or to be stopped. */
  async #idle(signal: AbortSignal): Promise<void> {
    if (this.#moreQueued || signal.aborted) return;
    const { refreshMillis } = this.#options;
    await new Promise<void>((resolve) => {
      const timer = refreshMillis === undefined ? undefined : setTimeout(finish, refreshMillis);
      function finish() {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        resolve();
      }
      signal.addEventListener('abort', finish);
      this.#wake = finish;
    });
    this.#wake = undefined;
  }

  /** Sleeps on the forwarder's clock; false when stopped meanwhile. */
  async #pause(millis: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#clock.sleep(millis, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Delivers one queued request, retrying as OTLP/HTTP allows; returns once it is delivered, given up, or `signal` stopped it. */
  async #deliver(queued: Pick<QueuedForward, 'id'>, signal: AbortSignal): Promise<void> {
    const { logger, metrics, initialBackoffMillis = 1_000, maxBackoffMillis = 30_000, maxElapsedMillis = 300_000 } = this.#options;
    const schedule = { initialBackoffMillis, maxBackoffMillis, maxElapsedMillis };
    let startedAt = this.#clock.now();
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(queued.id, signal);
      if (signal.aborted || result.outcome === 'gone') return;
      if (result.outcome === 'unreadable') {
        // Our own store, not the downstream: no attempt was made, none is counted, and the request
        // is not given up for it. Delivery waits, as it does when the queue cannot be listed.
        this.#health.failed('read', result.error);
        if (!(await this.#pause(STORE_RETRY_MILLIS, signal))) return;
        attempt--;
        startedAt = this.#clock.now();
        continue;
      }
      if (result.outcome === 'delivered') {
        if (this.#failuresInRun > 0) logger.info('forwarding works again', { url: this.#url, failedAttempts: this.#failuresInRun });
        this.#failuresInRun = 0;
        return;
      }
      if (result.outcome === 'refused') return;
      metrics.forwardFailures.inc();
      this.#failuresInRun++;
      const delayMillis = retryDelayMillis(schedule, attempt, this.#clock.now() - startedAt, result.retryAfterMillis, Math.random());
      if (delayMillis === undefined) {
        metrics.forwardDropped.inc();
        logger.error('giving up forwarding a request', { url: this.#url, attempts: attempt + 1, reason: result.reason });
        return;
      }
      const retrying = { url: this.#url, attempt: attempt + 1, reason: result.reason, delayMillis: Math.round(delayMillis) };
      if (this.#failuresInRun === 1) logger.warn('forwarding failed; retrying (further failures are logged at debug level until one succeeds)', retrying);
      else logger.debug('forwarding failed; will retry', retrying);
      try {
        await this.#clock.sleep(delayMillis, signal);
      } catch {
        return; // stopped, or close() ran out of time
      }
    }
  }

  /**
   * One attempt, with the request as the store holds it now: an erasure made since it was listed, in
   * this process or another on a shared database, has rewritten it or taken it off the queue ('gone').
   */
  async #attempt(id: number, signal: AbortSignal): Promise<Attempt | { readonly outcome: 'gone' } | { readonly outcome: 'unreadable'; readonly error: unknown }> {
    let queued: QueuedForward | null;
    try {
      queued = await this.#options.store.getForward(id);
      this.#health.worked('read');
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

interface Delivery {
  /** Aborted to stop delivery: cancels the attempt or backoff under way. */
  readonly stop: AbortController;
  /** Aborted when the request being delivered was rewritten in the store: its attempt is cut and it is read again. */
  rewind: AbortController;
  /** The id of the request being delivered. */
  current: number | undefined;
  /** Set by close(): the loop ends once the queue is empty rather than waiting for more. */
  draining: boolean;
  done: Promise<void>;
}

function sumBytes(forwards: readonly { readonly body: Uint8Array }[]): number {
  return forwards.reduce((sum, forward) => sum + forward.body.byteLength, 0);
}
