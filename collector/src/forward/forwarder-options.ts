/**
 * What a forwarder is given (forwarder.ts): where to send, how much to queue, the store that keeps
 * the queue, and the retry schedule's settings, with the clock tests replace.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Store } from '../store/types.js';

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
  /**
   * Requests sent at once (each with its own retries), as an OTel Collector exporter's consumers:
   * one at a time caps delivery at one request per round trip. Default 1.
   */
  readonly concurrency?: number;
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

export const systemClock: ForwardClock = { now: () => Date.now(), sleep: (millis, signal) => sleep(millis, undefined, { signal }) };

/** A queued request an erasure rewrote or removed (Forwarder.revised). */
export interface ForwardRevision {
  readonly id: number;
}
