import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX, type SpanFields } from '@facto/core';
import { createForwarder } from '../forward/forwarder.js';
import { loadOrCreateLogKey } from '../log/log-key.js';
import { LogService } from '../log/log-service.js';
import { silentLogger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';
import { StoreUnavailableError } from '../store/errors.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { traceRequest } from '../test-helpers/http-test-context.js';
import { IngestService } from './ingest-service.js';
import { KeyRegistry } from './key-registry.js';

const directories: string[] = [];
afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

function signedSpan(agentId: string, keys = generateKeyPair()): SpanFields {
  const span: SpanFields = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: '', name: 'step', kind: 1,
    startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000000000001', status: { code: 0, message: '' }, attributes: [], events: [], links: [],
  };
  const sealed = sealSpan({
    span,
    chain: { factoId: `ft-00000000-0000-4000-8000-${Math.floor(Math.random() * 1e12).toString(16).padStart(12, '0')}`, agentId, chainId: 'c', seq: 0, prevHash: ZERO_HASH_HEX, keyId: keyId(keys.publicKey), dropped: 0 },
    privateKey: keys.privateKey,
    publicKey: toHex(keys.publicKey),
    contentKeys: new Set(DEFAULT_CONTENT_KEYS),
    capture: 'full',
  });
  return { ...span, attributes: Object.entries(sealed.attributes).map(([key, value]) => [key, toTypedValue(value)] as const) };
}

function request(span: SpanFields) {
  return { resourceSpans: [{ resource: { attributes: [] }, schemaUrl: '', scopeSpans: [{ scope: { name: 's', version: '' }, schemaUrl: '', spans: [span] }] }] };
}

/**
 * An IngestService (TOFU) over a fresh MemoryStore and log; unsigned spans refused unless said
 * otherwise. With `forwardQueueSize`, a forwarder (not delivering) keeps its queue in the same store.
 */
async function ingestOnMemoryStore(options: { unsigned?: 'reject' | 'store' | 'forward'; forwardQueueSize?: number } = {}) {
  const store = new MemoryStore();
  await store.init();
  const directory = mkdtempSync(join(tmpdir(), 'facto-ingest-'));
  directories.push(directory);
  const log = await LogService.open(store, loadOrCreateLogKey(join(directory, 'log.pem')));
  const registry = new KeyRegistry(store, 'tofu', silentLogger);
  await registry.load();
  const metrics = createMetrics({ defaultMetrics: false });
  const { unsigned = 'reject', forwardQueueSize } = options;
  const forwarder = forwardQueueSize === undefined ? undefined : createForwarder({ url: 'http://127.0.0.1:1/v1/traces', queueSize: forwardQueueSize, queueBytes: 1024 ** 2, logger: silentLogger, metrics, store, durable: false });
  await forwarder?.open();
  const ingest = new IngestService({ store, log, registry, unsigned, replayWindowSeconds: 900, metrics, logger: silentLogger, forwarder });
  return { store, log, ingest, forwarder, metrics };
}

describe('IngestService when the store fails', () => {
  it('commits nothing, keeps the tree as stored, and forgets a TOFU pin made by the failed batch', async () => {
    const { store, log, ingest } = await ingestOnMemoryStore();

    store.faults.failNext('commitBatch');
    await expect(ingest.ingest(request(signedSpan('agent-x')))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.treeSize()).toBe(0);
    expect(log.treeSize).toBe(0);
    expect(await store.listKeys()).toEqual([]);

    // The pin did not survive: another key for the same agent is now the first one seen.
    const outcome = await ingest.ingest(request(signedSpan('agent-x')));
    expect(outcome).toMatchObject({ accepted: 1, rejected: 0 });
    expect(await store.treeSize()).toBe(1);
    expect(log.treeSize).toBe(1);
    expect((await store.listKeys()).map((key) => key.source)).toEqual(['tofu']);
  });

  it('sequences one batch at a time: a request arriving during a slow commit is decided after it', async () => {
    const { store, log, ingest } = await ingestOnMemoryStore();
    const keys = generateKeyPair();
    const pause = store.faults.pauseNext('commitBatch');
    const first = ingest.ingest(request(signedSpan('agent-y', keys)));
    await pause.reached;
    // Same agent, another key: decided only after the first batch pinned its key, so it is refused.
    const second = ingest.ingest(request(signedSpan('agent-y')));
    pause.release();
    expect(await first).toMatchObject({ accepted: 1 });
    expect(await second).toMatchObject({ accepted: 0, rejected: 1 });
    expect((await store.listKeys()).map((key) => key.publicKey)).toEqual([toHex(keys.publicKey)]);
  });
});

describe('IngestService and the forward queue', () => {
  async function ingestWithForwarder(unsigned: 'reject' | 'store' | 'forward', queueSize = 10) {
    const { store, ingest, forwarder, metrics } = await ingestOnMemoryStore({ unsigned, forwardQueueSize: queueSize });
    return { store, ingest, forwarder: forwarder!, metrics };
  }

  it('commits the request as received in the batch that stores its spans', async () => {
    const { store, ingest, forwarder } = await ingestWithForwarder('store');
    const { protobuf } = traceRequest([[2], [1]]);
    const outcome = await ingest.ingestBody(protobuf, 'protobuf');
    expect([outcome.unverified, outcome.forwarding]).toEqual([3, 'queued']);
    const queued = await store.listForwards(0, 10);
    expect(queued.map(({ encoding, keepJson }) => ({ encoding, keepJson }))).toEqual([{ encoding: 'protobuf', keepJson: null }]);
    expect(Buffer.from(queued[0]!.body).equals(Buffer.from(protobuf))).toBe(true);
    expect([forwarder.depth, await store.countUnverified()]).toEqual([1, 3]);
  });

  it('queues nothing, and says so, when no span goes on', async () => {
    const { store, ingest, forwarder } = await ingestWithForwarder('reject');
    const outcome = await ingest.ingestBody(traceRequest([[2]]).json, 'json');
    expect([outcome.rejected, outcome.forwarding]).toEqual([2, 'none']);
    expect([await store.listForwards(0, 10), forwarder.depth]).toEqual([[], 0]);
  });

  it('queues nothing when the commit fails, and frees the room it took', async () => {
    const { store, ingest, forwarder } = await ingestWithForwarder('forward', 1);
    store.faults.failNext('commitBatch');
    await expect(ingest.ingestBody(traceRequest([[1]]).json, 'json')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect([await store.listForwards(0, 10), forwarder.depth]).toEqual([[], 0]);
    // The room is free again: a queue of one takes the next request.
    expect((await ingest.ingestBody(traceRequest([[1]]).json, 'json')).forwarding).toBe('queued');
    expect(await store.listForwards(0, 10)).toHaveLength(1);
  });

  it('commits the spans of a request the full queue refused, and marks it refused, counted as dropped', async () => {
    const { store, ingest, metrics } = await ingestWithForwarder('store', 1);
    expect((await ingest.ingestBody(traceRequest([[1]]).json, 'json')).forwarding).toBe('queued');
    const second = await ingest.ingestBody(traceRequest([[3]]).json, 'json');
    expect([second.unverified, second.forwarding]).toEqual([3, 'refused']);
    expect(await store.countUnverified()).toBe(3);
    expect(await store.listForwards(0, 10)).toHaveLength(1);
    expect((await metrics.forwardDropped.get()).values[0]?.value).toBe(1);
  });
});
