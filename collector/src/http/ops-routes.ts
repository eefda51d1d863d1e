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

/** Gauges that are cheaper to read when scraped than to keep current on every change. */
async function refreshGauges(context: CollectorContext): Promise<void> {
  const { metrics, store, forwarder, logger } = context;
  metrics.forwardQueueDepth.set(forwarder?.depth ?? 0);
  try {
    const checkpoint = await store.latestCheckpoint();
    // Before the first checkpoint the gauge stays unset rather than claim a fresh one.
    if (checkpoint !== null) metrics.checkpointAgeSeconds.set((Date.now() - checkpoint.createdAt) / 1000);
    metrics.checkpointPendingSeconds.set(await checkpointPendingSeconds(store, Date.now()));
  } catch (error) {
    // Metrics matter most while the store is failing, so a store error must not take them down.
    logger.warn('could not read the latest checkpoint for /metrics', { error: error instanceof Error ? error.message : String(error) });
  }
}
