/**
 * The collector's configuration, as resolved from flags, FACTO_* environment variables and an
 * optional JSON config file (in that order of precedence; see ops/resolve-config.ts and
 * docs/collector.md). Every field has a safe default for the embedded single-node setup.
 */
export type TrustMode = 'strict' | 'tofu';
export type UnsignedPolicy = 'reject' | 'store' | 'forward';

export interface CollectorConfig {
  readonly host: string;
  readonly port: number;
  /** A SQLite file path, or a postgres:// URL (several collector processes may share that database). */
  readonly db: string;
  readonly trust: TrustMode;
  /** The agent key registry file (JSON), or undefined. */
  readonly keys: string | undefined;
  readonly unsigned: UnsignedPolicy;
  /** Downstream OTLP/HTTP traces URL, or undefined. */
  readonly forward: string | undefined;
  /** Seconds between checkpoints (when the tree grew). */
  readonly checkpointInterval: number;
  /** The collector's own signing key (PKCS#8 PEM); created mode 0600 on first start if absent. */
  readonly logKey: string;
  /** The log's origin line; default derived from the log key. */
  readonly origin: string | undefined;
  /** Largest accepted request body, bytes, after decompression. */
  readonly maxBodyBytes: number;
  /** Seconds a client may take to send a request's headers, and then as many to send its body, before 408. */
  readonly readTimeout: number;
  /** Requests being processed at once before 503 + Retry-After (reading a body does not count). */
  readonly maxConcurrentIngest: number;
  /** Streamed query answers open at once (GET /v1/stream, /v1/export) before 503 + Retry-After. */
  readonly maxStreams: number;
  /** Worker threads that decode and verify request bodies; undefined: one per core; 0: in the main thread. */
  readonly verifyWorkers: number | undefined;
  /** A duplicate arriving later than this after the original is a replay incident (earlier: a retry). */
  readonly replayWindowSeconds: number;
  /** Bearer tokens; undefined means that class of endpoint is open (allowed on loopback only). */
  readonly ingestToken: string | undefined;
  readonly queryToken: string | undefined;
  readonly adminToken: string | undefined;
  /** Headers for every forwarded request, as --forward-headers takes them (forward/forward-headers.ts); a secret. */
  readonly forwardHeaders: string | undefined;
  /** Forward queue bound (requests). */
  readonly forwardQueueSize: number;
  /** Forward queue bound (bytes of request bodies). */
  readonly forwardQueueBytes: number;
  /** Requests forwarded at once (--forward-concurrency). */
  readonly forwardConcurrency: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const DEFAULT_CONFIG: CollectorConfig = {
  host: '127.0.0.1',
  port: 4318,
  db: './.facto/facto.db',
  trust: 'tofu',
  keys: undefined,
  unsigned: 'reject',
  forward: undefined,
  checkpointInterval: 10,
  logKey: './.facto/log-key.pem',
  origin: undefined,
  maxBodyBytes: 16 * 1024 * 1024,
  readTimeout: 30,
  maxConcurrentIngest: 8,
  maxStreams: 256,
  verifyWorkers: undefined,
  replayWindowSeconds: 900,
  ingestToken: undefined,
  queryToken: undefined,
  adminToken: undefined,
  forwardHeaders: undefined,
  forwardQueueSize: 1000,
  forwardQueueBytes: 256 * 1024 * 1024,
  forwardConcurrency: 4,
  logLevel: 'info',
};
