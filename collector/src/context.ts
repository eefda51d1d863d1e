/**
 * Everything a route handler or background task of the collector may use, assembled once by
 * createCollector (collector.ts). Handlers take the context instead of importing singletons, so a
 * test can run several collectors in one process.
 */
import type { CollectorConfig } from './config.js';
import type { IngestService } from './ingest/ingest-service.js';
import type { KeyRegistry } from './ingest/key-registry.js';
import type { LogService } from './log/log-service.js';
import type { Logger } from './ops/logger.js';
import type { Metrics } from './ops/metrics.js';
import type { OtlpContentType, SpanSelection } from './otlp/decoded-trace-request.js';
import type { Store } from './store/types.js';

/** Sends accepted OTLP on to a downstream endpoint (forward/forwarder.ts). */
export interface Forwarder {
  /**
   * Queues the request for forwarding: `body` is the request as received (decompressed), `keep`
   * says per [resource][scope][span] which spans go on. Never waits for the network; throws a
   * ForwardQueueFullError (forward/forward-queue-full-error.ts) when it cannot hold the request.
   */
  enqueue(body: Uint8Array, contentType: OtlpContentType, keep: SpanSelection): void;
  readonly depth: number;
  close(timeoutMillis: number): Promise<void>;
}

export interface CollectorContext {
  readonly config: CollectorConfig;
  readonly store: Store;
  readonly log: LogService;
  readonly registry: KeyRegistry;
  readonly ingest: IngestService;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly forwarder: Forwarder | undefined;
  /** False until startup finished and after shutdown began (/readyz). */
  ready: boolean;
  /** When a request last failed because the store was unavailable (a full disk, the database down); /readyz reads it. */
  storeUnavailableAt?: number;
}
