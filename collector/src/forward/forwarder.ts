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
 * A full queue (by requests or bytes) refuses the newest request: the ingest service then leaves it
 * out of the batch, and the ingest route decides whether the sender must retry (spans kept nowhere
 * else) or the downstream copy can go (the Merkle log is the record). Every request not delivered
 * counts in facto_forward_dropped_total, whatever the reason. With several processes on one
 * PostgreSQL database every process admits and writes, the leader delivers, and each re-reads the
 * shared queue's size every `refreshMillis`, so the bound holds as of that reading.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Forwarder } from '../context.js';
import type { ForwardBacklog, NewForward, QueuedForward, Store } from '../store/types.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { OtlpContentType } from '../otlp/decoded-trace-request.js';
import { selectsAny, type SpanSelection } from '../otlp/decoded-trace-request.js';
import { describeError, shownUrl, withoutUserinfo } from './failure-reason.js';
import { filterRequest } from './filter-request.js';
import { RETRYABLE_STATUSES, retryAfterMillisOf, retryDelayMillis } from './retry-schedule.js';

export interface ForwarderOptions {
  /** The downstream traces URL, e.g. http://otel-collector:4318/v1/traces. */
  readonly url: string;
  /** Requests queued at most, the one being delivered included. */
  readonly queueSize: number;
  /** Bytes of request bodies queued at most, the one being delivered included. */
  readonly queueBytes: number;
  /** Where the queue is kept: the collector's store, which commitBatch writes Batch.forwards to. */
  readonly store: Store;
  /** Whether the store outlives this process (an in-memory database does not): what close() leaves queued is then kept, not lost. */
  readonly durable: boolean;
  /**
   * Other processes add to the queue too (a shared PostgreSQL store): its size is read again this
   * often, and an idle delivery loop looks for their requests this often. Unset: this process is the
   * queue's only writer, and counts it exactly.
   */
  readonly refreshMillis?: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Sent with every request, e.g. the downstream's Authorization. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The first retry delay, doubled per attempt up to maxBackoffMillis. Default 1 s. */
  readonly initialBackoffMillis?: number;
  /** Default 30 s. */
  readonly maxBackoffMillis?: number;
  /** A request still failing after this long is dropped, so one request cannot stall the queue forever. Default 5 min. */
  readonly maxElapsedMillis?: number;
  /** One attempt's limit, so a downstream that never answers counts as a network error. Default 10 s. */
  readonly attemptTimeoutMillis?: number;
  /** Time for backoff and the retry budget; tests pass a fake one. Default: the system clock. */
  readonly clock?: ForwardClock;
}

export interface ForwardClock {
  now(): number;
  /** Resolves after `millis`; rejects once `signal` aborts. */
  sleep(millis: number, signal: AbortSignal): Promise<void>;
}

const systemClock: ForwardClock = { now: () => Date.now(), sleep: (millis, signal) => sleep(millis, undefined, { signal }) };
const MEDIA_TYPES: Readonly<Record<OtlpContentType, string>> = { protobuf: 'application/x-protobuf', json: 'application/json' };
// Under sustained overload every request is dropped; one warning per interval keeps the log readable.
const DROP_WARNING_INTERVAL_MILLIS = 10_000;

/** Request ids read from the store at a time; each body is read when its request is sent. */
const READ_AHEAD = 16;
/** Delivered requests are deleted together, up to this many at a time (and whenever the queue runs dry). */
const DELETE_BATCH = 16;
/** How often the count of a queue only this process writes is read again from the store. */
const RECOUNT_MILLIS = 10_000;
/** How long delivery waits before reading the store again after it failed. */
const STORE_RETRY_MILLIS = 1_000;

type Attempt =
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'refused' }
  | { readonly outcome: 'failed'; readonly retryAfterMillis: number | undefined; readonly reason: string };

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
  /** Committed to the store and not yet deleted from it, as far as this process knows. */
  #stored: ForwardBacklog = { requests: 0, bytes: 0 };
  /** Admitted into a batch whose commit has not finished. */
  #reserved: ForwardBacklog = { requests: 0, bytes: 0 };
  #closed = false;
  #delivery: Delivery | undefined;
  /** Wakes an idle delivery loop: a commit added requests, or close() wants the queue drained. */
  #wake: (() => void) | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #droppedSinceWarning = 0;
  #lastDropWarningAt = Number.NEGATIVE_INFINITY;
  /**
   * Retryable failures since the last delivery. The first of a run is a warning, so a downstream
   * that went away shows within seconds; the rest are debug lines, as one per retry would flood.
   */
  #failuresInRun = 0;
  /** Which of the queue's store operations is failing now: each is reported once when it starts failing and once when it works again. */
  readonly #failing = new Set<'read' | 'delete'>();
  /** Delivered or given up, to be deleted: ids only, so a run of failing deletes holds no bodies. */
  readonly #finished: number[] = [];
  /** The last request a loop finished: the next reading starts after it. */
  #afterId = 0;
  /** Bumped by every change to the counts, so a recount read before one is not applied over it. */
  #epoch = 0;
  /** Set by each commit, cleared before each read of the queue: a commit the loop's last read may have missed. */
  #moreQueued = false;
  /** The URL as logs show it (failure-reason.ts: no query values). */
  readonly #url: string;

  constructor(options: ForwarderOptions) {
    this.#options = options;
    this.#url = shownUrl(options.url);
    this.#clock = options.clock ?? systemClock;
  }

  get depth(): number {
    return this.#stored.requests + this.#reserved.requests;
  }

  async open(): Promise<void> {
    this.#stored = await this.#options.store.forwardBacklog();
    this.#showDepth();
    if (this.#stored.requests > 0) this.#options.logger.info('the forward queue holds requests from before this start; they will be delivered', { ...this.#stored });
    // Counted again from the store now and then: the count kept beside it drifts on races (a commit
    // and a recount crossing, an erasure and a delete) and, on a shared database, other processes add.
    this.#refreshTimer = setInterval(() => void this.#refresh(), this.#options.refreshMillis ?? RECOUNT_MILLIS);
    this.#refreshTimer.unref();
  }

  admit(body: Uint8Array, contentType: OtlpContentType, keep: SpanSelection, factoIds: readonly string[] = []): NewForward | undefined {
    if (!selectsAny(keep)) return undefined;
    const { queueSize, queueBytes } = this.#options;
    // Counted as dropped by refused(), once the commit it was refused in stands.
    if (this.#closed || this.depth >= queueSize || this.#stored.bytes + this.#reserved.bytes + body.byteLength > queueBytes) return undefined;
    this.#reserved = add(this.#reserved, 1, body.byteLength);
    this.#epoch++;
    this.#showDepth();
    const keepsAll = keep.every((scopes) => scopes.every((spans) => spans.every(Boolean)));
    return { encoding: contentType, body, keepJson: keepsAll ? null : JSON.stringify(keep), queuedAt: this.#clock.now(), factoIds };
  }

  committed(forwards: readonly NewForward[]): void {
    if (forwards.length === 0) return;
    const bytes = sumBytes(forwards);
    this.#reserved = add(this.#reserved, -forwards.length, -bytes);
    this.#stored = add(this.#stored, forwards.length, bytes);
    this.#epoch++;
    this.#showDepth();
    this.#moreQueued = true;
    this.#wake?.();
  }

  refused(requests: number): void {
    for (let index = 0; index < requests; index++) this.#drop();
  }

  released(forwards: readonly NewForward[]): void {
    if (forwards.length === 0) return;
    this.#reserved = add(this.#reserved, -forwards.length, -sumBytes(forwards));
    this.#epoch++;
    this.#showDepth();
  }

  revised(edits: readonly ForwardRevision[]): void {
    // Counted again from the store: an edit may name a request delivered and deleted meanwhile.
    void this.#refresh();
    // Nothing of the old body may go out: an attempt under way is cut (what it sent already is gone),
    // and every attempt reads its request from the store first.
    const delivery = this.#delivery;
    if (delivery !== undefined && edits.some((edit) => edit.id === delivery.current)) delivery.rewind.abort();
  }

  startDelivering(): { stop(): Promise<void> } {
    // Elected while shutting down: nothing more to deliver here.
    if (this.#closed) return { stop: async () => undefined };
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
    };
  }

  async close(timeoutMillis: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
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
    const left = this.#stored.requests;
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
    this.#stored = { requests: 0, bytes: 0 };
    this.#showDepth();
  }

  #showDepth(): void {
    this.#options.metrics.forwardQueueDepth.set(this.depth);
  }

  async #refresh(): Promise<void> {
    const epoch = this.#epoch;
    // With a commit under way, its requests may or may not be in the store's count yet.
    if (this.#reserved.requests > 0) return;
    try {
      const counted = await this.#options.store.forwardBacklog();
      // Something changed the counts meanwhile: this reading may predate it; the next one will do.
      if (epoch !== this.#epoch || this.#reserved.requests > 0) return;
      this.#stored = counted;
      this.#showDepth();
    } catch {
      // The delivery loop and the ingest route report a failing store; the count stays as it was.
    }
  }

  #drop(): void {
    const { metrics, logger, queueSize, queueBytes } = this.#options;
    metrics.forwardDropped.inc();
    this.#droppedSinceWarning++;
    const now = this.#clock.now();
    if (now - this.#lastDropWarningAt < DROP_WARNING_INTERVAL_MILLIS) return;
    logger.warn('forward queue full; dropped the newest requests', { dropped: this.#droppedSinceWarning, queueSize, queueBytes });
    this.#droppedSinceWarning = 0;
    this.#lastDropWarningAt = now;
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
        this.#storeWorks('read');
      } catch (error) {
        this.#storeFailed('read', error);
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
      this.#storeWorks('delete');
    } catch (error) {
      this.#storeFailed('delete', error);
      return;
    }
    // What the store removed: an erasure may have taken a request off, or shrunk it, meanwhile.
    this.#stored = add(this.#stored, -removed.requests, -removed.bytes);
    this.#epoch++;
    finished.length = 0;
    this.#showDepth();
  }

  #storeFailed(operation: 'read' | 'delete', error: unknown): void {
    if (this.#failing.has(operation)) return;
    this.#failing.add(operation);
    const message =
      operation === 'read'
        ? 'the forward queue cannot be read from the store; delivery waits until it can'
        : 'delivered requests cannot be taken off the forward queue in the store; delivery goes on, and they are sent again after a restart if they are still there';
    this.#options.logger.error(message, { error: error instanceof Error ? error.message : String(error) });
  }

  #storeWorks(operation: 'read' | 'delete'): void {
    if (!this.#failing.delete(operation)) return;
    this.#options.logger.info(operation === 'read' ? 'the forward queue can be read again; delivery goes on' : 'delivered requests are taken off the forward queue again');
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
        this.#storeFailed('read', result.error);
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
      this.#storeWorks('read');
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


  async #send(body: Uint8Array, contentType: OtlpContentType, signal: AbortSignal): Promise<Attempt> {
    const { url, headers, attemptTimeoutMillis = 10_000, metrics, logger } = this.#options;
    let status: number;
    let retryAfter: string | null;
    let location: string | null;
    // A controller and a timer of our own: on Node 20 a timeout signal inside AbortSignal.any() can be
    // collected before it fires (nodejs/node#57736), and an attempt to a downstream that never answers
    // then waits forever, stalling the queue behind it.
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, attemptTimeoutMillis);
    // A slow answer body read behind a 2xx must not keep a stopping process alive.
    timer.unref();
    const stop = () => attempt.abort();
    signal.addEventListener('abort', stop);
    if (signal.aborted) attempt.abort();
    const settle = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': MEDIA_TYPES[contentType] },
        body,
        signal: attempt.signal,
        // Followed, a 301 or 302 would turn the POST into a GET without its body and count as
        // delivered; a 307 or 308 would send the headers (a key) to another origin.
        redirect: 'manual',
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      location = response.headers.get('location');
      // The status decides the outcome. The (small) OTLP answer is read to its end in the background,
      // which lets the connection be reused; one that drags is cut by the same limit, and a 200 whose
      // body is slow still counts as delivered (sending it again would duplicate it).
      void response.arrayBuffer().then(settle, settle);
    } catch (error) {
      settle();
      // fetch refuses some ports outright (blocked-ports.ts), on every attempt alike.
      if (error instanceof Error && error.cause instanceof Error && error.cause.message === 'bad port') {
        metrics.forwardDropped.inc();
        logger.error("fetch refuses to connect to the forward URL's port (a bad port of the Fetch standard); dropped the request: choose another port", { url: this.#url });
        return { outcome: 'refused' };
      }
      const reason = timedOut ? `no answer within ${attemptTimeoutMillis} ms` : describeError(error);
      return { outcome: 'failed', retryAfterMillis: undefined, reason };
    }
    if (status >= 200 && status < 300) return { outcome: 'delivered' };
    if (RETRYABLE_STATUSES.has(status)) return { outcome: 'failed', retryAfterMillis: retryAfterMillisOf(retryAfter, this.#clock.now()), reason: `HTTP ${status}` };
    // Not retryable: the same request would be refused again.
    metrics.forwardDropped.inc();
    if (status >= 300 && status < 400) {
      logger.error('downstream answered with a redirect, which forwarding does not follow; dropped the request: set --forward to the URL it redirects to', {
        url: this.#url,
        status,
        ...(location !== null && URL.canParse(location, url) ? { location: shownUrl(new URL(location, url).href) } : {}),
      });
    } else logger.error('downstream refused a forwarded request; dropped it', { url: this.#url, status });
    return { outcome: 'refused' };
  }

}

/** A queued request an erasure rewrote or removed. */
export interface ForwardRevision {
  readonly id: number;
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

/** Never below zero: a count kept beside the store must not go negative on a race; the next recount corrects it. */
function add(backlog: ForwardBacklog, requests: number, bytes: number): ForwardBacklog {
  return { requests: Math.max(0, backlog.requests + requests), bytes: Math.max(0, backlog.bytes + bytes) };
}

function sumBytes(forwards: readonly { readonly body: Uint8Array }[]): number {
  return forwards.reduce((sum, forward) => sum + forward.body.byteLength, 0);
}
