/**
 * Sends accepted OTLP trace requests on to a downstream OTLP/HTTP endpoint, so the collector can be one
 * stage of an existing telemetry pipeline. The ingest path only appends to a bounded in-memory queue;
 * one worker delivers the queue in order and retries what OTLP/HTTP calls retryable (429, 502, 503,
 * 504 and network errors) on the schedule of retry-schedule.ts. A full queue refuses the newest
 * request with a ForwardQueueFullError, at once: the ingest route decides whether the sender must
 * retry (spans kept nowhere else) or the downstream copy can go (the Merkle log is the record). Every
 * request not delivered counts in facto_forward_dropped_total, whatever the reason.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Forwarder } from '../context.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { OtlpContentType } from '../otlp/decoded-trace-request.js';
import { selectsAny, type SpanSelection } from '../otlp/decoded-trace-request.js';
import { describeError, withoutUserinfo } from './failure-reason.js';
import { ForwardQueueFullError } from './forward-queue-full-error.js';
import { filterRequest } from './filter-request.js';
import { RETRYABLE_STATUSES, retryAfterMillisOf, retryDelayMillis } from './retry-schedule.js';

export interface ForwarderOptions {
  /** The downstream traces URL, e.g. http://otel-collector:4318/v1/traces. */
  readonly url: string;
  /** Requests held at most, the one being delivered included. */
  readonly queueSize: number;
  /** Bytes of request bodies held at most, the one being delivered included. */
  readonly queueBytes: number;
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

interface QueuedRequest {
  readonly body: Uint8Array;
  readonly contentType: OtlpContentType;
  readonly keep: SpanSelection;
}

type Attempt =
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'refused' }
  | { readonly outcome: 'failed'; readonly retryAfterMillis: number | undefined; readonly reason: string };

export function createForwarder(options: ForwarderOptions): Forwarder {
  const shown = JSON.stringify(withoutUserinfo(options.url));
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
  readonly #queue: QueuedRequest[] = [];
  #queuedBytes = 0;
  /** Aborted when close() runs out of time: cancels the attempt or backoff under way. */
  readonly #stop = new AbortController();
  #worker: Promise<void> | undefined;
  #closed = false;
  #droppedSinceWarning = 0;
  #lastDropWarningAt = Number.NEGATIVE_INFINITY;
  /**
   * Retryable failures since the last delivery. The first of a run is a warning, so a downstream
   * that went away shows within seconds; the rest are debug lines, as one per retry would flood.
   */
  #failuresInRun = 0;

  constructor(options: ForwarderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get depth(): number {
    return this.#queue.length;
  }

  enqueue(body: Uint8Array, contentType: OtlpContentType, keep: SpanSelection): void {
    if (!selectsAny(keep)) return;
    const { queueSize, queueBytes } = this.#options;
    if (this.#closed || this.#queue.length >= queueSize || this.#queuedBytes + body.byteLength > queueBytes) {
      this.#drop();
      throw new ForwardQueueFullError(this.#closed ? 'the forwarder is shut down' : 'the forward queue is full');
    }
    this.#queue.push({ body, contentType, keep });
    this.#queuedBytes += body.byteLength;
    this.#options.metrics.forwardQueueDepth.set(this.#queue.length);
    this.#worker ??= this.#work();
  }

  async close(timeoutMillis: number): Promise<void> {
    this.#closed = true;
    const deadline = setTimeout(() => this.#stop.abort(), timeoutMillis);
    await this.#worker;
    clearTimeout(deadline);
    if (this.#queue.length > 0) {
      this.#options.logger.warn('forward queue not drained before shutdown; dropped the rest', { dropped: this.#queue.length });
      this.#options.metrics.forwardDropped.inc(this.#queue.length);
      this.#queue.length = 0;
      this.#queuedBytes = 0;
      this.#options.metrics.forwardQueueDepth.set(0);
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

  async #work(): Promise<void> {
    while (this.#queue.length > 0) {
      await this.#deliver(this.#queue[0]!);
      // Stopped mid-delivery: the request was not delivered, so it stays to be counted by close().
      if (this.#stop.signal.aborted) break;
      this.#queuedBytes -= this.#queue.shift()!.body.byteLength;
      this.#options.metrics.forwardQueueDepth.set(this.#queue.length);
    }
    this.#worker = undefined;
  }

  async #deliver(request: QueuedRequest): Promise<void> {
    const { logger, metrics, initialBackoffMillis = 1_000, maxBackoffMillis = 30_000, maxElapsedMillis = 300_000 } = this.#options;
    const schedule = { initialBackoffMillis, maxBackoffMillis, maxElapsedMillis };
    let body: Uint8Array;
    try {
      body = filterRequest(request.body, request.contentType, request.keep);
    } catch (error) {
      metrics.forwardDropped.inc();
      logger.error('could not filter a request for forwarding; dropped it', { error: withoutUserinfo(error instanceof Error ? error.message : String(error)) });
      return;
    }
    const startedAt = this.#clock.now();
    for (let attempt = 0; ; attempt++) {
      const result = await this.#send(body, request.contentType);
      if (this.#stop.signal.aborted) return;
      if (result.outcome === 'delivered') {
        if (this.#failuresInRun > 0) logger.info('forwarding works again', { url: this.#options.url, failedAttempts: this.#failuresInRun });
        this.#failuresInRun = 0;
        return;
      }
      if (result.outcome === 'refused') return;
      metrics.forwardFailures.inc();
      this.#failuresInRun++;
      const delayMillis = retryDelayMillis(schedule, attempt, this.#clock.now() - startedAt, result.retryAfterMillis, Math.random());
      if (delayMillis === undefined) {
        metrics.forwardDropped.inc();
        logger.error('giving up forwarding a request', { url: this.#options.url, attempts: attempt + 1, reason: result.reason });
        return;
      }
      const retrying = { url: this.#options.url, attempt: attempt + 1, reason: result.reason, delayMillis: Math.round(delayMillis) };
      if (this.#failuresInRun === 1) logger.warn('forwarding failed; retrying (further failures are logged at debug level until one succeeds)', retrying);
      else logger.debug('forwarding failed; will retry', retrying);
      try {
        await this.#clock.sleep(delayMillis, this.#stop.signal);
      } catch {
        return; // close() ran out of time
      }
    }
  }

  async #send(body: Uint8Array, contentType: OtlpContentType): Promise<Attempt> {
    const { url, headers, attemptTimeoutMillis = 10_000, metrics, logger } = this.#options;
    let status: number;
    let retryAfter: string | null;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': MEDIA_TYPES[contentType] },
        body,
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(attemptTimeoutMillis)]),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      // Reading the (small) OTLP answer to the end lets the connection be reused.
      await response.arrayBuffer();
    } catch (error) {
      // fetch refuses some ports outright (blocked-ports.ts), on every attempt alike.
      if (error instanceof Error && error.cause instanceof Error && error.cause.message === 'bad port') {
        metrics.forwardDropped.inc();
        logger.error("fetch refuses to connect to the forward URL's port (a bad port of the Fetch standard); dropped the request: choose another port", { url });
        return { outcome: 'refused' };
      }
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${attemptTimeoutMillis} ms` : describeError(error);
      return { outcome: 'failed', retryAfterMillis: undefined, reason };
    }
    if (status >= 200 && status < 300) return { outcome: 'delivered' };
    if (RETRYABLE_STATUSES.has(status)) return { outcome: 'failed', retryAfterMillis: retryAfterMillisOf(retryAfter, this.#clock.now()), reason: `HTTP ${status}` };
    // Not retryable: the same request would be refused again.
    metrics.forwardDropped.inc();
    logger.error('downstream refused a forwarded request; dropped it', { url, status });
    return { outcome: 'refused' };
  }
}
