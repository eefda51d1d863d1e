/**
 * Facto's own bounded export queue. Signed spans wait here and go out in batches, one request at a
 * time, through the official OTLP exporter (whose transport already retries 429/502/503/504 and
 * network errors, honouring Retry-After). When a request still fails, the batch stays at the head of
 * the queue and is retried after an exponential backoff, so a collector outage loses nothing while
 * the queue has room. Only when the queue is full is a span dropped, and the drop is reported to the
 * chain so the next signed span declares it. Nothing here blocks or throws into the agent.
 */
import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

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
  /** Told about every span that will never be delivered. */
  readonly onDrop: (spans: readonly ReadableSpan[]) => void;
  /** Runs on each batch just before it is handed to the exporter (deferred signing). */
  readonly beforeExport?: (spans: readonly ReadableSpan[]) => void;
  readonly onError?: (message: string) => void;
}

/** The outcome of a flush: how many spans are still undelivered (0 means everything went out). */
export interface FlushReport {
  readonly delivered: number;
  readonly undelivered: number;
  readonly dropped: number;
}

export interface QueueStats {
  readonly queued: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly failedExports: number;
}

export class ExportQueue {
  readonly #options: Required<Omit<ExportQueueOptions, 'onError' | 'beforeExport'>> & Pick<ExportQueueOptions, 'onError' | 'beforeExport'>;
  #queue: ReadableSpan[] = [];
  #exporting = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay: number;
  #inBackoff = false;
  #flushWaiters: (() => void)[] = [];
  #closed = false;
  #delivered = 0;
  #dropped = 0;
  #failedExports = 0;

  constructor(options: ExportQueueOptions) {
    this.#options = {
      exporter: options.exporter,
      onDrop: options.onDrop,
      onError: options.onError,
      beforeExport: options.beforeExport,
      maxQueueSize: options.maxQueueSize ?? 2048,
      maxExportBatchSize: options.maxExportBatchSize ?? 512,
      scheduledDelayMillis: options.scheduledDelayMillis ?? 1000,
      retryDelayMillis: options.retryDelayMillis ?? 1000,
      maxRetryDelayMillis: options.maxRetryDelayMillis ?? 30_000,
    };
    this.#retryDelay = this.#options.retryDelayMillis;
  }

  get stats(): QueueStats {
    return { queued: this.#queue.length, delivered: this.#delivered, dropped: this.#dropped, failedExports: this.#failedExports };
  }

  /** Adds a span; false (and the span declared dropped) when the queue is full or closed. */
  enqueue(span: ReadableSpan): boolean {
    if (this.#closed || this.#queue.length >= this.#options.maxQueueSize) {
      this.#drop([span]);
      return false;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#options.maxExportBatchSize) {
      // A full batch goes out on the next tick, never inside the agent's span.end() call.
      if (!this.#inBackoff && !this.#exporting) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#schedule(0);
      }
    } else this.#schedule(this.#options.scheduledDelayMillis);
    return true;
  }

  /** Delivers everything queued now, waiting at most `timeoutMillis`. */
  async flush(timeoutMillis: number): Promise<FlushReport> {
    const before = { delivered: this.#delivered, dropped: this.#dropped };
    if (this.#queue.length > 0) {
      await new Promise<void>((resolve) => {
        const timeout = setTimeout(finish, timeoutMillis);
        function finish() {
          clearTimeout(timeout);
          resolve();
        }
        this.#flushWaiters.push(finish);
        // A flush cuts a pending backoff short: the caller is waiting, try now.
        this.#inBackoff = false;
        this.#pump();
      });
    }
    return { delivered: this.#delivered - before.delivered, undelivered: this.#queue.length, dropped: this.#dropped - before.dropped };
  }

  /** Flushes, then gives up on whatever is left (declared dropped) and shuts the exporter down. */
  async shutdown(timeoutMillis: number): Promise<FlushReport> {
    const report = await this.flush(timeoutMillis);
    this.#closed = true;
    clearTimeout(this.#timer);
    const left = this.#queue;
    this.#queue = [];
    if (left.length > 0) {
      this.#drop(left);
      this.#options.onError?.(`${left.length} signed spans could not be delivered before shutdown`);
    }
    await this.#options.exporter.shutdown().catch(() => undefined);
    return { ...report, undelivered: left.length, dropped: report.dropped + left.length };
  }

  #drop(spans: readonly ReadableSpan[]): void {
    this.#dropped += spans.length;
    try {
      this.#options.onDrop(spans);
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

  #pump(): void {
    if (this.#exporting || this.#inBackoff) return;
    if (this.#queue.length === 0) {
      this.#resolveFlushes();
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#exporting = true;
    const batch = this.#queue.slice(0, this.#options.maxExportBatchSize);
    const done = (succeeded: boolean, message?: string) => {
      this.#exporting = false;
      if (succeeded) {
        this.#queue.splice(0, batch.length);
        this.#delivered += batch.length;
        this.#retryDelay = this.#options.retryDelayMillis;
        if (this.#queue.length >= this.#options.maxExportBatchSize || this.#flushWaiters.length > 0) this.#pump();
        else if (this.#queue.length > 0) this.#schedule(this.#options.scheduledDelayMillis);
        else this.#resolveFlushes();
        return;
      }
      this.#failedExports++;
      this.#options.onError?.(`export of ${batch.length} spans failed (${message ?? 'unknown error'}); retrying in ${this.#retryDelay} ms`);
      this.#inBackoff = true;
      const delay = this.#retryDelay;
      this.#retryDelay = Math.min(this.#retryDelay * 2, this.#options.maxRetryDelayMillis);
      this.#schedule(delay);
    };
    try {
      this.#options.beforeExport?.(batch);
      // The export's own HTTP request must not be traced, or it would feed spans back into this queue.
      context.with(suppressTracing(context.active()), () => {
        this.#options.exporter.export(batch, (result) => done(result.code === ExportResultCode.SUCCESS, result.error?.message));
      });
    } catch (error) {
      done(false, error instanceof Error ? error.message : String(error));
    }
  }

  #resolveFlushes(): void {
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
