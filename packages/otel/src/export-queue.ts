/**
 * Facto's own bounded export queue. Signed spans wait here and go out in batches, one request at a
 * time, through the official OTLP exporter (whose transport retries 429/502/503/504 and network
 * errors, honouring Retry-After). When a request still fails, what happens depends on why:
 * - the collector is unreachable or failing (5xx, network): the batch stays at the head of the queue
 *   and is retried after an exponential backoff, so an outage loses nothing while the queue has room;
 * - it refuses every request (401, 403, 404, 405, 415: endpoint or token): the same backoff, with one
 *   diag error per episode, since only the operator can fix it;
 * - it refuses this batch (413, 400, other 4xx): the batch is halved and sent again, so one merely
 *   too big goes out in parts and a span that can never be accepted ends up alone, dropped (and
 *   declared in the chain), so nothing blocks the spans behind it;
 * - it answers 200 but rejects spans inside (partial_success): counted rejected (partial-success.ts).
 * An exporter that never answers holds the one request allowed at a time; after `exportTimeoutMillis`
 * the queue says so, once per request, as an error, and does not send the batch again, since an answer
 * could still come (a delivered batch the chain had declared dropped would excuse a real loss).
 * Only a full queue, a refused span or shutdown drops a span, and the chain declares each drop.
 * Nothing here blocks or throws into the agent. Flushes: flush-waiters.ts.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { classify, type Outcome } from './export-outcome.js';
import { exportUnderWay, settledWithin, type ExportUnderWay } from './export-under-way.js';
import { FlushWaiters } from './flush-waiters.js';
import { observeRejections, rejectionReport } from './partial-success.js';

/** Why a span will never be delivered. */
export type DropReason = 'queue_full' | 'refused' | 'shutdown';

export interface ExportQueueOptions {
  readonly exporter: SpanExporter;
  /** Spans held at most; beyond it new spans are dropped (and declared). Default 2048. */
  readonly maxQueueSize?: number;
  /** Spans per export request. Default 512. */
  readonly maxExportBatchSize?: number;
  /** How long a partial batch waits for more spans. Default 1000 ms. */
  readonly scheduledDelayMillis?: number;
  /** First retry delay after a failed export; doubles up to maxRetryDelayMillis. Default 1000 ms. */
  readonly retryDelayMillis?: number;
  readonly maxRetryDelayMillis?: number;
  /** How long an export may go unanswered before the queue reports that delivery is stalled. Default 30 s. */
  readonly exportTimeoutMillis?: number;
  /** Told about every span that will never be delivered. */
  readonly onDrop: (spans: readonly ReadableSpan[], reason: DropReason) => void;
  /**
   * Runs on each batch just before it is handed to the exporter (deferred signing). When it returns a
   * promise, the batch goes to the exporter once it settles; a rejection counts as a failed export.
   */
  readonly beforeExport?: (spans: readonly ReadableSpan[]) => void | Promise<void>;
  /** Where the queue says what went wrong (the processor passes OpenTelemetry's diag logger). */
  readonly report?: { warn(message: string): void; error(message: string): void };
}

/**
 * The outcome of a flush or shutdown. `delivered`, `dropped` and `refused` count what happened since
 * the previous report, so no drop goes unreported; `undelivered` is what is still queued (after
 * shutdown: what was given up, which `dropped` includes).
 */
export interface FlushReport {
  readonly delivered: number;
  readonly undelivered: number;
  /** Spans dropped for any reason: a full queue, refused by the collector, given up at shutdown. */
  readonly dropped: number;
  /** Of those, spans the collector refused permanently (a 4xx for the span alone). */
  readonly refused: number;
  /** Spans the collector took in and rejected in its 200 (partial-success.ts): not delivered, not resent. */
  readonly rejected: number;
}

/** Running totals since the queue was made. */
export interface QueueStats {
  readonly queued: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly refused: number;
  readonly rejected: number;
  readonly failedExports: number;
}

// Deliveries in a row at a reduced batch size before it doubles again.
const GROW_AFTER_SUCCESSES = 4;

export class ExportQueue {
  readonly #exporter: SpanExporter;
  readonly #maxQueueSize: number;
  readonly #maxBatch: number;
  readonly #scheduledDelay: number;
  readonly #retryDelayStart: number;
  readonly #maxRetryDelay: number;
  readonly #exportTimeout: number;
  readonly #onDrop: ExportQueueOptions['onDrop'];
  readonly #beforeExport: ExportQueueOptions['beforeExport'];
  readonly #report: NonNullable<ExportQueueOptions['report']>;
  #queue: ReadableSpan[] = [];
  #exporting = false;
  /** The export under way, if any; `ended` settles when it does (delivered, failed, or abandoned at shutdown). */
  #current: ExportUnderWay | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay: number;
  #inBackoff = false;
  /** Spans per request now: halved when the collector refuses a batch, doubled again after a few successes. */
  #batchLimit: number;
  #successesAtLimit = 0;
  readonly #flushWaiters = new FlushWaiters();
  /** Exports started so far: the number of the latest. */
  #exportsStarted = 0;
  /** Shutting down: no export starts; one under way may still finish. */
  #closing = false;
  /** Shut down: nothing is sent any more. */
  #closed = false;
  /** Reports the export under way as unanswered after exportTimeoutMillis; shutdown's own report replaces it. */
  #unanswered: ReturnType<typeof setTimeout> | undefined;
  /** Drops since the queue last had room (one warning per episode, not one per span). */
  #droppingSince: number | undefined;
  #misconfigured = false;
  #rejecting = false; // the last answer rejected spans: one diag error per episode
  readonly #totals = { delivered: 0, dropped: 0, refused: 0, rejected: 0, failedExports: 0 };
  #reported = { delivered: 0, dropped: 0, refused: 0, rejected: 0 };

  constructor(options: ExportQueueOptions) {
    this.#exporter = observeRejections(options.exporter);
    this.#onDrop = options.onDrop;
    this.#beforeExport = options.beforeExport;
    this.#report = options.report ?? { warn: () => undefined, error: () => undefined };
    this.#maxQueueSize = options.maxQueueSize ?? 2048;
    this.#maxBatch = options.maxExportBatchSize ?? 512;
    this.#scheduledDelay = options.scheduledDelayMillis ?? 1000;
    this.#retryDelayStart = options.retryDelayMillis ?? 1000;
    this.#maxRetryDelay = options.maxRetryDelayMillis ?? 30_000;
    this.#exportTimeout = options.exportTimeoutMillis ?? 30_000;
    this.#retryDelay = this.#retryDelayStart;
    this.#batchLimit = this.#maxBatch;
  }

  get stats(): QueueStats {
    return { queued: this.#queue.length, ...this.#totals };
  }

  /** Adds a span; false (and the span declared dropped) when the queue is full or closed. */
  enqueue(span: ReadableSpan): boolean {
    if (this.#closed) {
      this.#drop([span], 'shutdown');
      return false;
    }
    if (this.#queue.length >= this.#maxQueueSize) {
      if (this.#droppingSince === undefined) {
        this.#droppingSince = this.#totals.dropped;
        this.#report.warn(`the export queue is full (${this.#maxQueueSize} spans): new spans are dropped, and each drop is declared in the chain, until it has room again`);
      }
      this.#drop([span], 'queue_full');
      return false;
    }
    if (this.#droppingSince !== undefined) {
      this.#report.warn(`the export queue has room again; ${this.#totals.dropped - this.#droppingSince} spans were dropped while it was full`);
      this.#droppingSince = undefined;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#batchLimit) {
      // A full batch goes out on the next tick, never inside the agent's span.end() call.
      if (!this.#inBackoff && !this.#exporting) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#schedule(0);
      }
    } else this.#schedule(this.#scheduledDelay);
    return true;
  }

  /** Delivers everything queued now, waiting at most `timeoutMillis`. */
  async flush(timeoutMillis: number): Promise<FlushReport> {
    await this.#deliverQueued(timeoutMillis, true);
    return this.#takeReport(this.#queue.length);
  }

  /** Delivers everything queued now, waiting at most `timeoutMillis`, without taking a report. */
  deliver(timeoutMillis: number): Promise<void> {
    return this.#deliverQueued(timeoutMillis, true);
  }

  /** Flushes, then declares dropped what is left and shuts the exporter down. Only what is not delivered
   * is declared: a record declared dropped that then arrived would let the gap rule excuse a real loss. */
  async shutdown(timeoutMillis: number): Promise<FlushReport> {
    await this.#deliverQueued(timeoutMillis);
    this.#closing = true;
    clearTimeout(this.#timer);
    // An export still under way decides its own batch: it gets up to timeoutMillis more.
    if (this.#current !== undefined) await settledWithin(this.#current.ended, timeoutMillis);
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#unanswered);
    // A request still out is the exporter's: the OTLP exporters' shutdown waits for it. Its batch is
    // counted by its answer (done()), or declared dropped below if none came.
    const outstanding = this.#current?.requested === true ? this.#current : undefined;
    const left = this.#queue.slice(outstanding?.batch.length ?? 0);
    this.#queue = [];
    if (left.length > 0) this.#drop(left, 'shutdown');
    await this.#exporter.shutdown().catch(() => undefined);
    let undelivered = left.length;
    if (outstanding !== undefined && !outstanding.settled) {
      outstanding.settled = true;
      this.#drop(outstanding.batch, 'shutdown');
      undelivered += outstanding.batch.length;
    } else if (outstanding !== undefined && !outstanding.delivered) undelivered += outstanding.batch.length;
    if (undelivered > 0) this.#report.error(`${undelivered} signed spans could not be delivered before shutdown; they are declared dropped`);
    this.#flushWaiters.releaseAll();
    return this.#takeReport(undelivered);
  }

  /** Waits for the queue to empty, at most `timeoutMillis`; a flush (`oneAttempt`) only until its own attempt fails. */
  #deliverQueued(timeoutMillis: number, oneAttempt = false): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timeout = setTimeout(finish, timeoutMillis);
      function finish() {
        clearTimeout(timeout);
        resolve();
      }
      this.#flushWaiters.add(finish, oneAttempt ? this.#exportsStarted : undefined);
      // A flush cuts a pending backoff short: the caller is waiting, try now.
      this.#inBackoff = false;
      this.#pump();
    });
  }

  #takeReport(undelivered: number): FlushReport {
    const { delivered, dropped, refused, rejected } = this.#totals;
    const report = { delivered: delivered - this.#reported.delivered, undelivered, dropped: dropped - this.#reported.dropped, refused: refused - this.#reported.refused, rejected: rejected - this.#reported.rejected };
    this.#reported = { delivered, dropped, refused, rejected };
    return report;
  }

  #drop(spans: readonly ReadableSpan[], reason: DropReason): void {
    this.#totals.dropped += spans.length;
    if (reason === 'refused') this.#totals.refused += spans.length;
    try {
      this.#onDrop(spans, reason);
    } catch {
      // The drop counter must never break the agent.
    }
  }

  #schedule(delay: number): void {
    if (this.#timer !== undefined || this.#exporting) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inBackoff = false;
      this.#pump();
    }, delay);
    // Telemetry must not keep the agent's process alive; shutdown() is how to deliver the rest.
    this.#timer.unref?.();
  }

  /** Next tick, replacing a slower timer; never inside the caller's stack. */
  #scheduleNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#schedule(0);
  }

  #pump(): void {
    // Once shut down, nothing more leaves: what is queued is declared dropped by shutdown().
    if (this.#exporting || this.#inBackoff || this.#closing) return;
    if (this.#queue.length === 0) {
      this.#flushWaiters.releaseAll();
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#exporting = true;
    const attempt = ++this.#exportsStarted;
    const batch = this.#queue.slice(0, this.#batchLimit);
    const { current, markEnded: ended } = exportUnderWay(batch);
    this.#current = current;
    const end = () => {
      current.settled = true;
      this.#exporting = false;
      this.#current = undefined;
      ended();
    };
    const done = (outcome: Outcome) => {
      if (current.settled) return;
      end();
      if (!this.#closed) {
        this.#settle(batch, outcome, attempt);
        return;
      }
      // Answered after shutdown took stock: only a request that was out gets here (shutdown left its
      // batch to this answer). A batch whose request never went out was declared with the rest.
      if (!current.requested) return;
      if (outcome.kind === 'delivered') {
        current.delivered = true;
        this.#countDelivered(batch, outcome);
      } else this.#drop(batch, outcome.kind === 'refused' ? 'refused' : 'shutdown');
    };
    const failed = (error: unknown) => done({ kind: 'transient', reason: error instanceof Error ? error.message : String(error) });
    const send = () => {
      // Shut down while beforeExport ran (signatures still being computed) and past shutdown's wait for
      // it: shutdown has declared this batch dropped, and a record the chain calls dropped must not
      // then arrive.
      if (this.#closed) {
        end();
        return;
      }
      const unanswered = (this.#unanswered = setTimeout(
        () => this.#report.error(`the exporter has not answered an export of ${batch.length} spans for ${this.#exportTimeout} ms; nothing more is sent until it does (an exporter must call back; the OTLP exporters time out by themselves)`),
        this.#exportTimeout,
      ));
      unanswered.unref?.();
      try {
        // The export's own HTTP request must not be traced, or it would feed spans back into this queue.
        context.with(suppressTracing(context.active()), () => {
          current.requested = true;
          this.#exporter.export(batch, (result) => {
            clearTimeout(unanswered);
            done(classify(result));
          });
        });
      } catch (error) {
        clearTimeout(unanswered);
        failed(error);
      }
    };
    let ready: void | Promise<void>;
    try {
      ready = this.#beforeExport?.(batch);
    } catch (error) {
      failed(error);
      return;
    }
    if (ready === undefined) send();
    else ready.then(send, failed);
  }

  #settle(batch: readonly ReadableSpan[], outcome: Outcome, attempt: number): void {
    if (outcome.kind === 'delivered') {
      this.#queue.splice(0, batch.length);
      this.#countDelivered(batch, outcome);
      this.#retryDelay = this.#retryDelayStart;
      this.#misconfigured = false;
      // Grow back slowly: a batch that was too big once is likely too big again, and each probe that
      // fails costs a request.
      if (++this.#successesAtLimit >= GROW_AFTER_SUCCESSES && this.#batchLimit < this.#maxBatch) {
        this.#batchLimit = Math.min(this.#maxBatch, this.#batchLimit * 2);
        this.#successesAtLimit = 0;
      }
      this.#continue();
      return;
    }
    this.#totals.failedExports++;
    if (outcome.kind === 'refused') {
      if (batch.length > 1) {
        // Too big, or one bad span inside: halve and send again at once. Each half that goes through
        // is delivered; a span that is refused even alone is found in log2(batch) requests.
        this.#batchLimit = Math.ceil(batch.length / 2);
        this.#successesAtLimit = 0;
        this.#scheduleNow();
        return;
      }
      this.#queue.splice(0, 1);
      this.#drop(batch, 'refused');
      this.#report.error(`the collector refused a span permanently (${outcome.reason}); it is dropped and declared in the chain`);
      this.#continue();
      return;
    }
    if (outcome.kind === 'misconfigured') {
      if (!this.#misconfigured) this.#report.error(`the collector refuses every export (${outcome.reason}): check the endpoint and the token; retrying with backoff`);
      this.#misconfigured = true;
    } else {
      this.#report.warn(`export of ${batch.length} spans failed (${outcome.reason}); retrying in ${this.#retryDelay} ms`);
    }
    this.#flushWaiters.releaseAfterFailure(attempt);
    // A flush that came while this export was out has not had its own attempt: it gets one now.
    if (this.#flushWaiters.awaitAttemptAfter(attempt)) {
      this.#scheduleNow();
      return;
    }
    this.#inBackoff = true;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#maxRetryDelay);
    this.#schedule(delay);
  }

  /** A batch the collector answered 200: what it rejected inside that answer is not delivered. */
  #countDelivered(batch: readonly ReadableSpan[], outcome: Extract<Outcome, { kind: 'delivered' }>): void {
    const rejected = Math.min(outcome.rejection?.spans ?? 0, batch.length);
    this.#totals.delivered += batch.length - rejected;
    this.#totals.rejected += rejected;
    if (rejected > 0 && !this.#rejecting) this.#report.error(rejectionReport(rejected, batch.length, outcome.rejection?.message ?? ''));
    this.#rejecting = rejected > 0;
  }

  /** After a batch left the queue: the next full batch at once, a partial one on schedule. */
  #continue(): void {
    if (this.#queue.length >= this.#batchLimit || (this.#queue.length > 0 && this.#flushWaiters.size > 0)) this.#scheduleNow();
    else if (this.#queue.length > 0) this.#schedule(this.#scheduledDelay);
    else this.#flushWaiters.releaseAll();
  }
}
