/**
 * The forward queue's bound on a PostgreSQL database that several collector processes share (a real
 * server this file starts): each process admits against the queue as the store holds it, read inside
 * the commit's cross-process section, so what other processes added and what the forwarder delivered
 * both count at once. Two processes are two stores, logs, ingest services and forwarders in this
 * process, on one database; neither re-reads the queue's size by its timer during the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createForwarder } from '../forward/forwarder.js';
import { loadOrCreateLogKey } from '../log/log-key.js';
import { LogService } from '../log/log-service.js';
import { silentLogger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';
import { createPostgresStore } from '../store/postgres/index.js';
import type { Store } from '../store/types.js';
import { traceRequest } from '../test-helpers/http-test-context.js';
import { postgresBinaries, startPostgresServer, type PostgresServer } from '../test-helpers/postgres-server.js';
import { IngestService } from './ingest-service.js';
import { KeyRegistry } from './key-registry.js';

const binaries = postgresBinaries();
const missing = 'missing' in binaries ? binaries.missing : undefined;
const HOUR = 3_600_000;

describe.skipIf(missing !== undefined)(`the forward queue shared on PostgreSQL (${missing ?? 'a real server started for this file'})`, () => {
  let server: PostgresServer;
  let folder: string;
  let databases = 0;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    server = await startPostgresServer((binaries as { bin: string }).bin);
    folder = mkdtempSync(join(tmpdir(), 'facto-shared-forward-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await server?.destroy();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** One collector process's ingest path on `url`: unsigned spans stored, and a forwarder (delivering only once elected). */
  async function processOn(url: string, logKey: string, queueSize: number, forwardUrl = 'http://127.0.0.1:1/v1/traces') {
    const store = createPostgresStore({ url, connectTimeoutMillis: 2_000 });
    await store.init();
    const log = await LogService.open(store, loadOrCreateLogKey(logKey), { shared: store });
    const registry = new KeyRegistry(store, 'tofu', silentLogger);
    await registry.load();
    const metrics = createMetrics({ defaultMetrics: false });
    const forwarder = createForwarder({ url: forwardUrl, queueSize, queueBytes: 1024 ** 2, logger: silentLogger, metrics, store, durable: true, refreshMillis: HOUR });
    await forwarder.open();
    const ingest = new IngestService({ store, log, registry, unsigned: 'store', replayWindowSeconds: 900, metrics, logger: silentLogger, forwarder });
    cleanups.push(async () => {
      await forwarder.close(0);
      await store.close();
    });
    const send = async () => (await ingest.ingestBody(traceRequest([[1]]).json, 'json')).forwarding;
    return { store, forwarder, send };
  }

  const deliverAll = async (store: Store) => store.deleteForwards(await store.listForwardIds(0, 100));

  it('the forwarder delivers what another process queued at once: the commit notifies it, it does not wait for its next poll', async () => {
    const name = `facto_shared_forward_${++databases}`;
    const url = await server.createDatabase(name);
    const logKey = join(folder, `${name}.pem`);
    const received: string[] = [];
    const sink = http.createServer((request, response) => {
      request.resume().on('end', () => {
        received.push(request.headers['content-type'] ?? '');
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => sink.close(() => resolve())));
    const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/traces`;
    // A polls the queue once an hour: only the notification can bring B's requests to it.
    const a = await processOn(url, logKey, 10, sinkUrl);
    const b = await processOn(url, logKey, 10, sinkUrl);
    const elected = new Promise<void>((resolve) => {
      const logger = { ...silentLogger, info: (message: string) => message.startsWith('became the forwarder') && resolve() };
      const election = a.store.lead(() => a.forwarder.startDelivering(), logger, 'forwarding');
      cleanups.push(() => election.stop());
    });
    await elected;
    expect([await b.send(), await b.send()]).toEqual(['queued', 'queued']);
    while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual(['application/json', 'application/json']);
  }, 60_000);

  it("bounds the shared queue: another process's requests fill it, and the forwarder's deliveries free it, at once", async () => {
    const name = `facto_shared_forward_${++databases}`;
    const url = await server.createDatabase(name);
    const logKey = join(folder, `${name}.pem`);
    const a = await processOn(url, logKey, 2);
    const b = await processOn(url, logKey, 2);

    // B queues one, A the second: the queue is full for B too, which has queued one only.
    expect(await b.send()).toBe('queued');
    expect(await a.send()).toBe('queued');
    expect(await b.send()).toBe('refused');
    expect((await b.store.forwardBacklog()).requests).toBe(2);

    // The forwarder (A's store: another process) delivers and deletes both: B, which queued two
    // requests and learnt of no delivery, takes two more.
    expect((await deliverAll(a.store)).requests).toBe(2);
    expect([await b.send(), await b.send(), await b.send()]).toEqual(['queued', 'queued', 'refused']);
    expect((await a.store.forwardBacklog()).requests).toBe(2);
    // And the gauge says what the queue held when B last looked, with B's own request on top.
    expect(b.forwarder.depth).toBe(2);
  }, 60_000);
});
