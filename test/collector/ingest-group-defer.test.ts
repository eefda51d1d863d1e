/**
 * One group commit holding a request the full forward queue refuses under --unsigned forward: that
 * request commits nothing (answered 503, its sender sends it again), the rest of the group is decided
 * again without it (a span it shared with a later request is then that request's to accept), every
 * outcome stays with its request, and the queue's room balances.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpanFields } from '@facto/core';
import { createForwarder } from '../../collector/src/forward/forwarder.js';
import { IngestService } from '../../collector/src/ingest/ingest-service.js';
import { KeyRegistry } from '../../collector/src/ingest/key-registry.js';
import { loadOrCreateLogKey } from '../../collector/src/log/log-key.js';
import { LogService } from '../../collector/src/log/log-service.js';
import { silentLogger } from '../../collector/src/ops/logger.js';
import { createMetrics } from '../../collector/src/ops/metrics.js';
import { MemoryStore } from '../../collector/src/store/memory/memory-store.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

const folders: string[] = [];
afterEach(() => folders.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));

function unsigned(name: string, spanId: string): SpanFields {
  return { traceId: '0af7651916cd43dd8448eb211c80319c', spanId, parentSpanId: '', name, kind: 2, startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000000000100', status: { code: 0, message: '' }, attributes: [], events: [], links: [] };
}

const body = (spans: SpanFields[]) => new TextEncoder().encode(otlpJson(spans));

describe('a group commit with a request deferred for a full forward queue', () => {
  it('commits nothing of it, decides the rest again, keeps each outcome with its request and balances the queue', async () => {
    const store = new MemoryStore();
    await store.init();
    const folder = mkdtempSync(join(tmpdir(), 'facto-group-defer-'));
    folders.push(folder);
    const log = await LogService.open(store, loadOrCreateLogKey(join(folder, 'log.pem')));
    const registry = new KeyRegistry(store, 'tofu', silentLogger);
    await registry.load();
    const metrics = createMetrics({ defaultMetrics: false });
    const forwarder = createForwarder({ url: 'http://127.0.0.1:1/v1/traces', queueSize: 2, queueBytes: 1024 ** 2, logger: silentLogger, metrics, store, durable: false });
    await forwarder.open();
    const ingest = new IngestService({ store, log, registry, unsigned: 'forward', replayWindowSeconds: 900, metrics, logger: silentLogger, forwarder });

    // The first request's commit is held, so the next four wait and go together in one group.
    const held = store.faults.pauseNext('commitBatch');
    const first = ingest.ingestBody(body([unsigned('u0', '00000000000000a0')]), 'json');
    await held.reached;
    const agent = new TestAgent('group-agent');
    const shared = agent.next('S');
    const group = [
      body([unsigned('u1', '00000000000000a1')]), // takes the queue's last room
      body([shared, unsigned('u2', '00000000000000a2')]), // no room: deferred, commits nothing
      body([shared]), // S again: once a duplicate of the deferred request's S, now the one accepted
      body([agent.next('T')]),
    ].map((request) => ingest.ingestBody(request, 'json'));
    held.release();
    const outcomes = await Promise.all([first, ...group]);

    expect(outcomes.map(({ received, accepted, duplicates, unverified, forwarding }) => ({ received, accepted, duplicates, unverified, forwarding }))).toEqual([
      { received: 1, accepted: 0, duplicates: 0, unverified: 1, forwarding: 'queued' },
      { received: 1, accepted: 0, duplicates: 0, unverified: 1, forwarding: 'queued' },
      { received: 2, accepted: 0, duplicates: 0, unverified: 1, forwarding: 'refused' },
      { received: 1, accepted: 1, duplicates: 0, unverified: 0, forwarding: 'refused' },
      { received: 1, accepted: 1, duplicates: 0, unverified: 0, forwarding: 'refused' },
    ]);
    expect((await store.queryEvents({ order: 'asc', limit: 10 })).map((event) => event.name)).toEqual(['S', 'T']);
    expect([forwarder.depth, (await store.forwardBacklog()).requests]).toEqual([2, 2]);
    // The two committed requests the full queue refused lose their downstream copy; the deferred one is resent.
    expect((await metrics.forwardDropped.get()).values[0]?.value).toBe(2);
  });
});
