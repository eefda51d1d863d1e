/**
 * Assembles a collector from its configuration: opens the store, restores the Merkle log, loads the
 * key registry, mounts the routes, starts the checkpoint publisher and the forwarder, and listens.
 * `close()` stops taking requests, lets in-flight ones finish, signs a final checkpoint, drains the
 * forward queue and closes the store, in that order, so a clean shutdown loses nothing. With a
 * `postgres://` database several collector processes share one log (docs/scale-out.md): each one
 * sequences its own requests under the store's cross-process lock, and the checkpoint publisher and
 * the gap monitor run only in the process elected leader. A collector whose log key turns out not to
 * sign the log's latest checkpoint (another process signs it with another key) stops by itself:
 * `halted` says why.
 */
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { FactoError } from '@facto/core';
import type { CollectorConfig } from './config.js';
import type { CollectorContext } from './context.js';
import { parseForwardHeaders } from './forward/forward-headers.js';
import { createForwarder } from './forward/forwarder.js';
import { collectorRoutes } from './http/routes.js';
import { createHttpServer } from './http/server.js';
import { startGapMonitor } from './ingest/gap-monitor.js';
import { createExaminePool, type ExaminePool } from './ingest/examine-pool.js';
import { IngestService } from './ingest/ingest-service.js';
import { KeyRegistry, readKeyFile } from './ingest/key-registry.js';
import { startCheckpointPublisher } from './log/checkpoint-publisher.js';
import { assertSignedBy, loadOrCreateLogKey, type LogKeyMismatchError } from './log/log-key.js';
import { LogService } from './log/log-service.js';
import { followStoredHead } from './log/head-follower.js';
import type { Duties } from './log/shared-sequencing.js';
import { createLogger, type Logger } from './ops/logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createPostgresStore, isPostgresUrl, redactUrl } from './store/postgres/index.js';
import { createSqliteStore } from './store/sqlite/index.js';
import { StoreConflictError } from './store/errors.js';
import type { Store } from './store/types.js';

export interface StartOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** How long a span may wait for its chain predecessor before its gap is judged. Default 30 s. */
  readonly gapGraceMillis?: number;
  readonly gapIntervalMillis?: number;
  /** How long close() lets answers still being written finish before it cuts their connections. Default 10 s. */
  readonly shutdownGraceMillis?: number;
}

const SHUTDOWN_GRACE_MILLIS = 10_000;
/** How often each process on a shared database re-reads the size of the forward queue they all fill, and the idle leader looks for new requests in it. */
const FORWARD_REFRESH_MILLIS = 1_000;

export interface RunningCollector {
  /** http://host:port */
  readonly url: string;
  readonly context: CollectorContext;
  /**
   * Resolves, with the reason, when the collector stops by itself: its log key turned out not to sign
   * the log's latest checkpoint (another process signs this log with another key or origin). By then
   * it has signed nothing more and begun closing; close() returns that shutdown. Pending otherwise.
   */
  readonly halted: Promise<Error>;
  /**
   * Stops taking requests, lets the ones in flight finish (for up to the shutdown grace), signs a final
   * checkpoint, drains the forward queue and closes the store. `reason` (a signal's name, say) goes
   * into the line logged when it starts. Calling it again returns the same shutdown.
   */
  close(reason?: string): Promise<void>;
}

function openStore(config: CollectorConfig) {
  if (isPostgresUrl(config.db)) return { store: createPostgresStore({ url: config.db }), shared: true as const, db: redactUrl(config.db) };
  return { store: createSqliteStore({ path: config.db }), shared: false as const, db: config.db, prepareBodies: true };
}

/**
 * A database several processes share is claimed by the first key to sign a checkpoint in it: a
 * process that finds none signs one now, and requires the latest to open with its own key. The
 * signing checks that too, inside the sequencer lock (LogService.checkpoint), so a process that read
 * an empty log before a rival claimed it and committed more cannot sign at the larger size. So
 * processes started together on a new database, each with a key of its own, cannot both run: the
 * ones that lost the claim stop with the same message as a later start with the wrong key.
 */
async function claimSharedLog(store: Store, log: LogService, path: string): Promise<void> {
  if ((await store.latestCheckpoint()) === null) await log.checkpoint().catch((error: unknown) => {
    if (!(error instanceof StoreConflictError)) throw error;
  });
  const latest = await store.latestCheckpoint();
  if (latest !== null) assertSignedBy(latest, log.key.verifierKey, path);
}

/** --forward-headers as headers; resolve-config.ts refused a text that is not acceptable, so this one is. */
function forwardHeadersOf(text: string): Record<string, string> {
  const parsed = parseForwardHeaders(text);
  if ('problem' in parsed) throw new FactoError('invalid_argument', `--forward-headers: ${parsed.problem}`);
  return parsed.headers;
}

/** A queue an earlier run with --forward left is kept, not delivered, while this one runs without it: say so. */
async function warnOfStrandedForwards(store: Store, logger: Logger, shared: boolean): Promise<void> {
  const backlog = await store.forwardBacklog();
  if (backlog.requests === 0) return;
  if (shared) logger.warn('the shared forward queue holds requests, and this process runs without --forward: only processes started with --forward deliver it', { ...backlog });
  else logger.warn('the forward queue holds requests an earlier run was to forward, and --forward is not set: they wait in the store until the collector runs with --forward again', { ...backlog });
}

/** What a user needs to hear when the port cannot be had, rather than a stack trace. */
function listenError(error: Error, config: CollectorConfig): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return new FactoError(
      'unavailable',
      `cannot listen on ${where}: the port is already in use (an OpenTelemetry Collector or Jaeger often listens on 4318). Pick another with --port or FACTO_PORT (0 picks a free one), or stop the other process.`,
      { cause: error },
    );
  }
  if (code === 'EACCES') return new FactoError('unavailable', `cannot listen on ${where}: permission denied (ports below 1024 need privileges); pick another with --port or FACTO_PORT.`, { cause: error });
  if (code === 'EADDRNOTAVAIL') return new FactoError('unavailable', `cannot listen on ${where}: this machine has no such address; check --host or FACTO_HOST.`, { cause: error });
  return error;
}

export async function startCollector(config: CollectorConfig, options: StartOptions = {}): Promise<RunningCollector> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = options.metrics ?? createMetrics();
  // The key registry is read before anything is opened or created: a bad --keys changes nothing on disk.
  const keyFile = config.keys ? readKeyFile(config.keys) : undefined;
  const opened = openStore(config);
  const { store, db } = opened;
  await store.init();
  let startedPool: ExaminePool | undefined;
  if (db === ':memory:') logger.warn('the database is in memory (--db :memory:): everything acknowledged is lost when the process ends');
  try {
    const key = loadOrCreateLogKey(config.logKey, config.origin, await store.latestCheckpoint(), (await store.treeSize()) > 0);
    if (key.created) logger.info('created a new log signing key', { path: config.logKey, verifierKey: key.verifierKey });
    if (key.readableByOthers) logger.warn('the log key file is open to users other than its owner: whoever reads it can sign checkpoints as this log; chmod 600 it', { path: config.logKey });
    const registry = new KeyRegistry(store, config.trust, logger);
    // Settled at most once, by the log service, when the log turns out to be another key's; at start
    // that failure is thrown as well (and reported by the caller), later it stops the collector.
    let keyRefused!: (error: LogKeyMismatchError) => void;
    const halted = new Promise<LogKeyMismatchError>((resolve) => (keyRefused = resolve));
    const log = await LogService.open(store, key, {
      onKeyRefused: (error) => keyRefused(error),
      ...(opened.shared ? { shared: opened.store, onKeysChanged: () => registry.refresh() } : {}),
    });
    if (opened.shared) await claimSharedLog(store, log, config.logKey);
    await registry.load(keyFile);
    if (config.trust === 'tofu') logger.warn('trust mode is TOFU: the first key each agent presents is pinned; use --trust strict with --keys in production');
    // The SQLite store's bodies are compressed on the examination workers, off the sequencer thread.
    const pool = createExaminePool({ size: config.verifyWorkers ?? availableParallelism(), logger, examine: { prepareBodies: 'prepareBodies' in opened && opened.prepareBodies } });
    startedPool = pool;
    // Loaded while the rest starts, so the first request does not wait for the workers.
    pool.warm();
    // The forward queue is kept in the store; other processes on a shared database add to it too.
    const forwarder = config.forward
      ? createForwarder({
          url: config.forward,
          queueSize: config.forwardQueueSize,
          queueBytes: config.forwardQueueBytes,
          concurrency: config.forwardConcurrency,
          logger,
          metrics,
          store,
          durable: db !== ':memory:',
          ...(config.forwardHeaders === undefined ? {} : { headers: forwardHeadersOf(config.forwardHeaders) }),
          ...(opened.shared ? { refreshMillis: FORWARD_REFRESH_MILLIS } : {}),
        })
      : undefined;
    await forwarder?.open();
    if (forwarder === undefined) await warnOfStrandedForwards(store, logger, opened.shared);
    const ingest = new IngestService({ store, log, registry, unsigned: config.unsigned, replayWindowSeconds: config.replayWindowSeconds, metrics, logger, pool, forwarder });
    const context: CollectorContext = { config, store, log, registry, ingest, metrics, logger, forwarder, ready: false };
    metrics.treeSize.set(log.treeSize);

    const server = createHttpServer({ routes: collectorRoutes(context), context });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(listenError(error, config)));
      server.listen(config.port, config.host, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    const startDuties = (): Duties => {
      // A shared log moves in other processes too: the leader follows the stored head, so the publisher sees it grow.
      const follower = opened.shared ? followStoredHead({ log, intervalMillis: Math.min(config.checkpointInterval * 1000, 1_000), logger }) : undefined;
      const publisher = startCheckpointPublisher({ log, intervalSeconds: config.checkpointInterval, logger, metrics, nextSigner: opened.shared ? 'the process that leads this log next' : undefined });
      const gapMonitor = startGapMonitor({ store, log, logger, metrics, graceMillis: options.gapGraceMillis, intervalMillis: options.gapIntervalMillis });
      return {
        async stop() {
          follower?.stop();
          await gapMonitor.stop();
          await publisher.stop();
        },
      };
    };
    const duties = opened.shared ? opened.store.lead(startDuties, logger) : startDuties();
    // Alone on its database, this process delivers its queue itself, and drains it at shutdown
    // (close()). On a shared one, the queue every process fills is delivered by one process, elected
    // among those started with --forward (a leader without --forward would deliver nothing).
    const forwarding = forwarder === undefined ? undefined : opened.shared ? opened.store.lead(() => forwarder.startDelivering(), logger, 'forwarding') : forwarder.startDelivering();
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    context.ready = true;
    logger.info('collector started', { url, db, trust: config.trust, treeSize: log.treeSize, origin: key.origin });

    let closing: Promise<void> | undefined;
    const close = (reason?: string) =>
      (closing ??= (async () => {
        const graceMillis = options.shutdownGraceMillis ?? SHUTDOWN_GRACE_MILLIS;
        logger.info('shutting down: taking no new requests, finishing the ones in flight', { ...(reason === undefined ? {} : { reason }), graceMillis });
        context.ready = false;
        // An answer still being written after the grace (a stream or an export whose reader stopped
        // reading) is cut, so shutdown finishes: the final checkpoint, the forward queue, the store.
        // A request cut this way was either committed already or gets no 200; its exporter retries.
        await server.drain({ graceMillis, onGraceOver: () => logger.warn('cutting connections still open after the shutdown grace', { graceMillis }) });
        await duties.stop();
        // Delivers what it can within 5 s (alone) or finishes the request under way (shared), then
        // gives up the forwarding election, so another process delivers the rest.
        await forwarder?.close(5_000);
        await forwarding?.stop();
        await pool.close();
        await store.close();
        logger.info('collector stopped', { treeSize: log.treeSize });
      })());
    // Another key signs this log: this process must not sign for it, and a restart would be refused
    // with the same message, so it stops rather than answer 503 while looking alive (and, as leader,
    // keep the processes that hold the log's key from signing).
    void halted.then((error) => {
      logger.error("stopping: this process's log key did not sign the log's latest checkpoint; it signs nothing more and shuts down", { error: error.message });
      return close('its log key did not sign the log');
    }).catch(() => undefined); // a failing shutdown is the caller's to hear, through close()
    return { url, context, halted, close };
  } catch (error) {
    // Workers would keep a process that failed to start alive.
    await startedPool?.close();
    await store.close().catch(() => undefined);
    throw error;
  }
}
