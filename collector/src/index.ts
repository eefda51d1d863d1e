/**
 * @facto/collector: OTLP/HTTP receiver that verifies every signature and chain, appends each span to
 * a Merkle log with signed checkpoints, stores it durably, forwards it on, and serves queries,
 * proofs and evidence bundles. `facto collector` (in @facto/cli) is its command.
 */
export { startCollector, type RunningCollector, type StartOptions } from './collector.js';
export { DEFAULT_CONFIG, type CollectorConfig, type TrustMode, type UnsignedPolicy } from './config.js';
export type { CollectorContext, Forwarder } from './context.js';
export { resolveConfig, configHelp } from './ops/resolve-config.js';
export { createLogger, silentLogger, type Logger } from './ops/logger.js';
export { createMetrics, type Metrics } from './ops/metrics.js';
export { decodeTraceRequest } from './otlp/decode-trace-request.js';
export { createSqliteStore } from './store/sqlite/index.js';
export { createPostgresStore, type PostgresStoreOptions } from './store/postgres/index.js';
export { MemoryStore, type MemoryStoreFaults, type StoreOperation } from './store/memory/memory-store.js';
export type { Store, StoredEvent, Incident, IncidentKind, AgentKey, Checkpoint, LinkStatus } from './store/types.js';
