import type http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Forwarder } from '../context.js';
import { createMetrics } from '../ops/metrics.js';
import { StoreUnavailableError } from '../store/errors.js';
import { closeServer, fakeContext, listen, type FakeContextOptions } from '../test-helpers/http-test-context.js';
import { opsRoutes } from './ops-routes.js';
import { createHttpServer } from './server.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

async function start(options: FakeContextOptions = {}) {
  const context = fakeContext(options);
  const server = createHttpServer({ routes: opsRoutes(context), context });
  servers.push(server);
  return { url: await listen(server), context };
}

const metricValue = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('ops routes', () => {
  it('answers /healthz while serving and /readyz only when ready', async () => {
    const { url, context } = await start();
    expect([(await fetch(`${url}/healthz`)).status, await (await fetch(`${url}/healthz`)).json()]).toEqual([200, { status: 'ok' }]);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    context.ready = false;
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers /readyz 503 while the store cannot be read, and for a while after a request failed on it (a full disk)', async () => {
    const { url, context } = await start();
    const readiness = async () => {
      const response = await fetch(`${url}/readyz`);
      return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') };
    };
    const unavailable = { status: 503, body: { status: 'not ready', reason: 'storage unavailable' }, retryAfter: '5' };
    expect(await readiness()).toEqual({ status: 200, body: { status: 'ready' }, retryAfter: null });
    context.storeUnavailableAt = Date.now();
    expect(await readiness()).toEqual(unavailable);
    // The failure lapses: taken out of service, the collector gets no requests to show it recovered.
    context.storeUnavailableAt = Date.now() - 60_000;
    expect((await readiness()).status).toBe(200);
    const store = context.store as { treeSize: () => Promise<number> };
    store.treeSize = () => Promise.reject(new StoreUnavailableError('PostgreSQL at facto@db:5432/facto: connection refused'));
    expect(await readiness()).toEqual(unavailable);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('renders Prometheus text with the checkpoint age and forward queue depth', async () => {
    const forwarder = { depth: 7 } as Forwarder;
    const createdAt = Date.now() - 42_000;
    const { url, context } = await start({ forwarder, treeSize: 3, latestCheckpoint: async () => ({ treeSize: 3, rootHash: 'ab', note: 'note', createdAt }) });
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(metricValue(text, 'facto_checkpoint_age_seconds')).toBeGreaterThanOrEqual(42);
    expect(metricValue(text, 'facto_checkpoint_age_seconds')).toBeLessThan(60);
    // A quiet log its old checkpoint covers is not waiting for one (facto_checkpoint_pending_seconds is what to alert on).
    expect(metricValue(text, 'facto_checkpoint_pending_seconds')).toBe(0);
    expect(metricValue(text, 'facto_forward_queue_depth')).toBe(7);
    expect(context.logEntries.filter((entry) => entry.level === 'warn')).toEqual([]);
  });

  it("names Node's own process and runtime metrics facto_process_* and facto_nodejs_*", async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toMatch(/^facto_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^facto_nodejs_eventloop_lag_seconds /m);
    expect(text).not.toContain('process_process');
  });

  it('still renders metrics while the store is down', async () => {
    const { url, context } = await start({ latestCheckpoint: () => Promise.reject(new StoreUnavailableError('database locked')) });
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(metricValue(await response.text(), 'facto_forward_queue_depth')).toBe(0);
    expect(context.logEntries.some((entry) => entry.level === 'warn')).toBe(true);
  });

  it('reads the tree size from the store, which other processes sharing it also grow', async () => {
    const { url, context } = await start({ treeSize: 6_173 });
    // What this process's own commits last set: on a shared database, not the log's size.
    context.metrics.treeSize.set(2_830);
    expect(metricValue(await (await fetch(`${url}/metrics`)).text(), 'facto_log_tree_size')).toBe(6_173);
  });

  it('says NaN for the checkpoint age before any checkpoint, not 0, which reads as a fresh one', async () => {
    const { url } = await start({ treeSize: 3 });
    // prom-client writes NaN as "Nan"; Prometheus reads the word in any case (Go's ParseFloat).
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^facto_checkpoint_age_seconds nan$/im);
  });

  it('keeps the checkpoint age and the pending time growing while the store cannot be read, instead of freezing them', async () => {
    let readable = true;
    const createdAt = Date.parse('2026-01-01T00:00:00Z');
    const latestCheckpoint = async () => {
      if (!readable) throw new StoreUnavailableError('PostgreSQL at facto@db:5432/facto: connection refused');
      return { treeSize: 2, rootHash: 'ab', note: 'note', createdAt };
    };
    // Leaf 2, which the checkpoint does not cover, arrived 4 s after it was signed.
    const getLogEntry = async () => ({ leafIndex: 2, kind: 'event', createdAt: createdAt + 4_000 });
    const { url } = await start({ treeSize: 3, latestCheckpoint, getLogEntry });
    const scrape = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return [metricValue(text, 'facto_checkpoint_age_seconds'), metricValue(text, 'facto_checkpoint_pending_seconds')];
    };
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(createdAt + 10_000);
      expect(await scrape()).toEqual([10, 6]);
      readable = false;
      vi.setSystemTime(createdAt + 70_000);
      expect(await scrape()).toEqual([70, 66]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('guards /metrics with the query token', async () => {
    const { url } = await start({ config: { queryToken: 'query-secret' } });
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer query-secret' } })).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
