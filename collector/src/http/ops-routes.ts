/**
 * Operational endpoints: liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics).
 * Liveness only says the process still answers; readiness says it should get traffic (startup done,
 * shutdown not begun, the store usable), so a load balancer can drain the collector before it stops.
 */
import type { CollectorContext } from '../context.js';
import { checkpointPendingSeconds } from '../ops/checkpoint-lag.js';
import { json, type HttpResponse, type Route } from './types.js';

// As long as the Retry-After of a 503 for an unavailable store (app.ts).
const STORE_FAILURE_MILLIS = 5_000;

export function opsRoutes(context: CollectorContext): Route[] {
  return [
    { method: 'GET', path: '/healthz', access: 'public', handler: () => json(200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      access: 'public',
      handler: () => readiness(context),
    },
    {
      method: 'GET',
      path: '/metrics',
      access: 'query',
      handler: async () => {
        await refreshGauges(context);
        const { registry } = context.metrics;
        return { status: 200, headers: { 'content-type': registry.contentType }, body: await registry.metrics() };
      },
    },
  ];
}

/**
 * Not ready while starting or stopping, and while the store cannot be used: a read fails now (the
 * database down), or a request failed on it within the last STORE_FAILURE_MILLIS (a full disk, which
 * reads do not show). The latter lapses by itself, so an instance a balancer took out of service,
 * and which therefore gets no requests to prove it well, is tried again.
 */
async function readiness(context: CollectorContext): Promise<HttpResponse> {
  if (!context.ready) return json(503, { status: 'not ready' });
  const failedAt = context.storeUnavailableAt;
  let storeReadable = true;
  try {
    await context.store.treeSize();
  } catch {
    storeReadable = false;
  }
  if (!storeReadable || (failedAt !== undefined && Date.now() - failedAt < STORE_FAILURE_MILLIS)) {
    return json(503, { status: 'not ready', reason: 'storage unavailable' }, { 'retry-after': String(STORE_FAILURE_MILLIS / 1000) });
  }
  return json(200, { status: 'ready' });
}

/**
 * What the last scrape that could read the store found, by context: when the latest checkpoint was
 * signed, and since when leaves have waited for one (undefined: none waits). While the store cannot
 * be read nothing new is signed or appended, so both ages go on growing from these.
 */
const lastRead = new WeakMap<CollectorContext, { checkpointAt: number | undefined; pendingSince: number | undefined }>();

/**
 * Gauges that are cheaper to read when scraped than to keep current on every change, or that other
 * processes move: on a shared database the tree grows by every process's commits, and only the
 * leader signs checkpoints, so each process reads both from the store.
 */
async function refreshGauges(context: CollectorContext): Promise<void> {
  const { metrics, store, forwarder, logger } = context;
  metrics.forwardQueueDepth.set(forwarder?.depth ?? 0);
  const seen = lastRead.get(context) ?? { checkpointAt: undefined, pendingSince: undefined };
  lastRead.set(context, seen);
  try {
    metrics.treeSize.set(await store.treeSize());
    const checkpoint = await store.latestCheckpoint();
    const now = Date.now();
    const pending = await checkpointPendingSeconds(store, now);
    seen.checkpointAt = checkpoint?.createdAt;
    seen.pendingSince = pending > 0 ? now - pending * 1000 : undefined;
  } catch (error) {
    // Metrics matter most while the store is failing, so a store error must not take them down.
    logger.warn('could not read the log from the store for /metrics', { error: error instanceof Error ? error.message : String(error) });
  }
  // NaN before the first checkpoint (none is fresh, and 0 would read as one).
  const now = Date.now();
  metrics.checkpointAgeSeconds.set(seen.checkpointAt === undefined ? Number.NaN : Math.max(0, (now - seen.checkpointAt) / 1000));
  metrics.checkpointPendingSeconds.set(seen.pendingSince === undefined ? 0 : Math.max(0, (now - seen.pendingSince) / 1000));
}
