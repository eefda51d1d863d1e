/**
 * Operational endpoints: liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics).
 * Liveness only says the process still answers; readiness says it should get traffic (startup done,
 * shutdown not begun), so a load balancer can drain the collector before it stops.
 */
import type { CollectorContext } from '../context.js';
import { checkpointPendingSeconds } from '../ops/checkpoint-lag.js';
import { json, type Route } from './types.js';

export function opsRoutes(context: CollectorContext): Route[] {
  return [
    { method: 'GET', path: '/healthz', access: 'public', handler: () => json(200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      access: 'public',
      handler: () => (context.ready ? json(200, { status: 'ready' }) : json(503, { status: 'not ready' })),
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
