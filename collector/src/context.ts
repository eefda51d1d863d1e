/**
 * Everything a route handler or background task of the collector may use, assembled once by
 * createCollector (collector.ts). Handlers take the context instead of importing singletons, so a
 * test can run several collectors in one process.
 */
import type { CollectorConfig } from './config.js';
import type { ForwardAdmission, IngestService } from './ingest/ingest-service.js';
import type { KeyRegistry } from './ingest/key-registry.js';
import type { LogService } from './log/log-service.js';
import type { Logger } from './ops/logger.js';
import type { Metrics } from './ops/metrics.js';
import type { ForwardRevision } from './forward/forwarder.js';
import type { Store } from './store/types.js';

/** Sends accepted OTLP on to a downstream endpoint (forward/forwarder.ts). */
export interface Forwarder extends ForwardAdmission {
  /** Requests queued (in the store, or admitted to a commit still under way). */
  readonly depth: number;
  /** Reads the queue the store already holds (requests left by an earlier run); before anything else. */
  open(): Promise<void>;
  /**
   * Queued requests an erasure rewrote or removed in the store (erase-route.ts): the count is
   * adjusted, and a delivery holding one of them in memory reads the queue again rather than send
   * the erased content.
   */
  revised(edits: readonly ForwardRevision[]): void;
  /** Starts delivering the queue (in this process, or as the leader of a shared store). */
  startDelivering(): { stop(): Promise<void>; notified(): void };
  /** Admits nothing more, delivers what is queued until it is empty or `timeoutMillis` pass, then stops. */
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
