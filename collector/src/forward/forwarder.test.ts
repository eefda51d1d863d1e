import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Forwarder } from '../context.js';
import { createMetrics } from '../ops/metrics.js';
import { closeServer, listen, recordingLogger, spanName, spanNamesOf, traceRequest } from '../test-helpers/http-test-context.js';
import { StoreUnavailableError } from '../store/errors.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import type { NewForward, Store } from '../store/types.js';
import { createForwarder, type ForwardClock, type ForwarderOptions } from './forwarder.js';
import { STORE_RETRY_MILLIS, UNREADABLE_ROW_READS } from './send-request.js';

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

type Answer = (received: Received, request: http.IncomingMessage, response: http.ServerResponse) => void | Promise<void>;

const servers: http.Server[] = [];
const forwarders: Forwarder[] = [];
afterEach(async () => {
  await Promise.all(forwarders.splice(0).map((forwarder) => forwarder.close(0)));
  await Promise.all(servers.splice(0).map(closeServer));
});

const ok: Answer = (_received, _request, response) => void response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();

/** A downstream OTLP endpoint that records each request and answers as `answer` says (200 by default). */
async function downstream(answer: Answer = ok) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { headers: request.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      void answer(entry, request, response);
    });
  });
  servers.push(server);
  return { url: `${await listen(server)}/v1/traces`, received };
}

const storeOf = new WeakMap<Forwarder, Store>();

/** A forwarder on a memory store (unless `options` names another), delivering; `deliver: false` leaves delivery unstarted. */
async function forwarderTo(url: string, options: Partial<ForwarderOptions> & { deliver?: boolean } = {}) {
  const metrics = createMetrics({ defaultMetrics: false });
  const { logger, entries } = recordingLogger();
  const { deliver = true, ...rest } = options;
  const store = rest.store ?? new MemoryStore();
  if (rest.store === undefined) await store.init();
  const forwarder = createForwarder({ url, queueSize: 10, queueBytes: 1024 ** 2, logger, metrics, store, durable: false, initialBackoffMillis: 5, ...rest });
  forwarders.push(forwarder);
  storeOf.set(forwarder, store);
  await forwarder.open();
  if (deliver) forwarder.startDelivering();
  return { forwarder, metrics, logEntries: entries, store };
}

/** A batch that stores nothing but `forwards`, on a store whose log is empty. */
function forwardsOnly(forwards: readonly NewForward[]) {
  return { expectedTreeSize: 0, newTreeSize: 0, events: [], logEntries: [], nodes: [], linkUpdates: [], incidents: [], keys: [], unverified: [], erasures: [], forwards };
}

/** What the ingest service does with a request: admit it, commit it with the batch, and tell the forwarder. False: the queue refused it. */
async function offer(forwarder: Forwarder, ...args: Parameters<Forwarder['admit']>): Promise<boolean> {
  const admitted = forwarder.admit(...args);
  if (admitted === undefined) {
    // The ingest service counts a refusal once the commit it was refused in stands.
    await storeOf.get(forwarder)!.commitBatch(forwardsOnly([]));
    forwarder.refused(1, 0);
    return false;
  }
  await storeOf.get(forwarder)!.commitBatch(forwardsOnly([admitted]));
  forwarder.committed([admitted]);
  return true;
}

async function enqueue(forwarder: Forwarder, ...args: Parameters<Forwarder['admit']>): Promise<void> {
  if (!(await offer(forwarder, ...args))) throw new Error('the forward queue refused the request');
}

/** A clock whose sleep returns at once, moving its time on by the wait and recording it. */
function fakeClock() {
  let time = Date.parse('2025-01-01T00:00:00Z');
  const waits: number[] = [];
  const clock: ForwardClock = {
    now: () => time,
    sleep: async (millis, signal) => {
      signal.throwIfAborted();
      waits.push(millis);
      time += millis;
    },
  };
  return { clock, waits, now: () => time, advance: (millis: number) => void (time += millis) };
}

const counterValue = async (counter: { get(): Promise<{ values: { value: number }[] }> }) => (await counter.get()).values[0]?.value ?? 0;

const request = traceRequest([[2, 1], [1]]);
const keepAll = [[[true, true], [true]], [[true]]];

describe('forwarder', () => {
  it('sends the exact bytes when every span is kept, with the encoding and extra headers', async () => {
    const { url, received } = await downstream();
    const { forwarder } = await forwarderTo(url, { headers: { authorization: 'Bearer downstream' } });
    await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await enqueue(forwarder, request.json, 'json', keepAll);
    await forwarder.close(5_000);
    expect(received.map((entry) => entry.headers['content-type'])).toEqual(['application/x-protobuf', 'application/json']);
    expect(received[0]!.headers.authorization).toBe('Bearer downstream');
    expect(received[0]!.body.equals(Buffer.from(request.protobuf))).toBe(true);
    expect(received[1]!.body.equals(Buffer.from(request.json))).toBe(true);
  });

  it('sends only the kept spans, and nothing when none is kept', async () => {
    const { url, received } = await downstream();
    const { forwarder, metrics } = await forwarderTo(url);
    await enqueue(forwarder, request.protobuf, 'protobuf', [[[false, true], [false]], [[false]]]);
    // Nothing to forward is not a drop: nothing is queued or counted.
    expect(forwarder.admit(request.json, 'json', [[[false, false], [false]], [[false]]])).toBeUndefined();
    expect(forwarder.depth).toBe(1);
    await forwarder.close(5_000);
    expect(received).toHaveLength(1);
    expect(await counterValue(metrics.forwardDropped)).toBe(0);
    expect(spanNamesOf(received[0]!.body, 'protobuf')).toEqual([[[spanName(0, 0, 1)]]]);
  });

  it('retries after 503 (honouring Retry-After) and after a network error, then succeeds', async () => {
    let attempts = 0;
    const { url, received } = await downstream((_received, incoming, response) => {
      attempts++;
      if (attempts === 1) response.writeHead(503, { 'retry-after': '0' }).end();
      else if (attempts === 2) incoming.socket.destroy();
      else response.writeHead(200).end();
    });
    const { forwarder, metrics } = await forwarderTo(url);
    await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await vi.waitFor(() => expect(forwarder.depth).toBe(0));
    expect(received).toHaveLength(3);
    expect(await counterValue(metrics.forwardFailures)).toBe(2);
  });

  it('logs the URL without its query values, where a receiver token often travels', async () => {
    const { url } = await downstream((_received, _request, response) => void response.writeHead(400).end());
    const { forwarder, logEntries } = await forwarderTo(`${url}?api_key=SUPERSECRET123`);
    await enqueue(forwarder, request.json, 'json', keepAll);
    await forwarder.close(5_000);
    expect(logEntries.find((entry) => entry.level === 'error')?.fields.url).toBe(`${url}?api_key=***`);
    expect(JSON.stringify(logEntries)).not.toContain('SUPERSECRET123');
  });

  it('follows no redirect: a 301 is a refusal naming where it points, not a delivery', async () => {
    const { url, received } = await downstream((_received, _request, response) => void response.writeHead(301, { location: '/elsewhere/v1/traces?token=SECRET9' }).end());
    const { forwarder, metrics, logEntries } = await forwarderTo(url);
    await enqueue(forwarder, request.json, 'json', keepAll);
    await forwarder.close(5_000);
    expect(received.map((entry) => entry.headers['content-type'])).toEqual(['application/json']);
    expect(await counterValue(metrics.forwardDropped)).toBe(1);
    const origin = new URL(url).origin;
    expect(logEntries.filter((entry) => entry.level !== 'debug')).toEqual([
      expect.objectContaining({ level: 'error', message: expect.stringMatching(/^downstream answered with a redirect/), fields: { url, status: 301, location: `${origin}/elsewhere/v1/traces?token=***` } }),
    ]);
  });

  it('counts a 200 whose answer body drags past the attempt limit as delivered, once', async () => {
    const open: http.ServerResponse[] = [];
    const { url, received } = await downstream((_received, _request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      // The rest of the body never comes while the test looks: the 1 s limit cuts the reading.
      response.write('{');
      open.push(response);
    });
    const { forwarder, metrics } = await forwarderTo(url, { attemptTimeoutMillis: 1_000 });
    await enqueue(forwarder, request.json, 'json', keepAll);
    await vi.waitFor(() => expect(forwarder.depth).toBe(0));
    expect(received).toHaveLength(1);
    expect([await counterValue(metrics.forwardFailures), await counterValue(metrics.forwardDropped)]).toEqual([0, 0]);
    for (const response of open) response.destroy();
  });

  it('gives up on other 4xx answers without retrying', async () => {
    const { url, received } = await downstream((_received, _request, response) => void response.writeHead(400).end());
    const { forwarder, metrics, logEntries } = await forwarderTo(url);
    await enqueue(forwarder, request.json, 'json', keepAll);
    await forwarder.close(5_000);
    expect(received).toHaveLength(1);
    expect(await counterValue(metrics.forwardFailures)).toBe(0);
    expect(await counterValue(metrics.forwardDropped)).toBe(1);
    expect(logEntries.filter((entry) => entry.level !== 'debug')).toEqual([expect.objectContaining({ level: 'error', message: 'downstream refused a forwarded request; dropped it', fields: { url, status: 400 } })]);
  });

  it('gives a request up at once, as an error, when fetch refuses the port (a bad port of the Fetch standard)', async () => {
    const { forwarder, metrics, logEntries } = await forwarderTo('http://127.0.0.1:6000/v1/traces', { clock: fakeClock().clock });
    await enqueue(forwarder, request.json, 'json', keepAll);
    await forwarder.close(60_000);
    expect(await counterValue(metrics.forwardFailures)).toBe(0);
    expect(await counterValue(metrics.forwardDropped)).toBe(1);
    expect(logEntries.filter((entry) => entry.level !== 'debug')).toEqual([
      expect.objectContaining({ level: 'error', message: expect.stringMatching(/^fetch refuses to connect to the forward URL's port/), fields: { url: 'http://127.0.0.1:6000/v1/traces' } }),
    ]);
  });

  it('waits no longer than the maximum backoff for a long Retry-After, and keeps trying for the whole budget', async () => {
    const { url, received } = await downstream((_received, _request, response) => void response.writeHead(503, { 'retry-after': '600' }).end());
    const { clock, waits } = fakeClock();
    const { forwarder, metrics, logEntries } = await forwarderTo(url, { clock, initialBackoffMillis: 1_000, maxBackoffMillis: 30_000, maxElapsedMillis: 300_000 });
    await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await enqueue(forwarder, request.json, 'json', keepAll);
    await forwarder.close(5_000);
    // Each request: attempts at 0 s, 30 s, ... 300 s, then given up; none sooner.
    expect(received).toHaveLength(22);
    expect(waits).toEqual(new Array(20).fill(30_000));
    expect(await counterValue(metrics.forwardFailures)).toBe(22);
    expect(await counterValue(metrics.forwardDropped)).toBe(2);
    expect(logEntries.filter((entry) => entry.message === 'giving up forwarding a request').map((entry) => entry.fields.attempts)).toEqual([11, 11]);
  });

  it('waits at least the backoff when Retry-After is 0 or a date already past', async () => {
    const { clock, waits, now } = fakeClock();
    let attempts = 0;
    const { url, received } = await downstream((_received, _request, response) => {
      attempts++;
      if (attempts === 1) response.writeHead(503, { 'retry-after': '0' }).end();
      else if (attempts === 2) response.writeHead(429, { 'retry-after': new Date(now() - 60_000).toUTCString() }).end();
      else response.writeHead(200).end();
    });
    const { forwarder, metrics } = await forwarderTo(url, { clock, initialBackoffMillis: 1_000 });
    await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await forwarder.close(5_000);
    expect(received).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(800);
    expect(waits[0]).toBeLessThanOrEqual(1_200);
    expect(waits[1]).toBeGreaterThanOrEqual(1_600);
    expect(waits[1]).toBeLessThanOrEqual(2_400);
    expect(await counterValue(metrics.forwardDropped)).toBe(0);
  });

  it("logs the first failure of a run as a warning with the network cause, the rest at debug, and the recovery", async () => {
    let attempts = 0;
    const { url } = await downstream((_received, incoming, response) => {
      attempts++;
      if (attempts <= 3 || attempts === 5) incoming.socket.destroy();
      else response.writeHead(200).end();
    });
    const { clock } = fakeClock();
    const { forwarder, logEntries } = await forwarderTo(url, { clock });
    await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await enqueue(forwarder, request.json, 'json', keepAll);
    await forwarder.close(5_000);
    const failures = logEntries.filter((entry) => entry.message.startsWith('forwarding failed'));
    expect(failures.map((entry) => entry.level)).toEqual(['warn', 'debug', 'debug', 'warn']);
    expect(failures[0]!.fields).toMatchObject({ url, attempt: 1, reason: expect.stringMatching(/^fetch failed: \S/) });
    expect(logEntries.filter((entry) => entry.level === 'info')).toEqual([
      { level: 'info', message: 'forwarding works again', fields: { url, failedAttempts: 3 } },
      { level: 'info', message: 'forwarding works again', fields: { url, failedAttempts: 1 } },
    ]);
  });

  it('names the cause when the downstream is not listening', async () => {
    const closed = http.createServer();
    const url = `${await listen(closed)}/v1/traces`;
    await closeServer(closed);
    const { clock, now } = fakeClock();
    const startedAt = now();
    const { forwarder, metrics, logEntries } = await forwarderTo(url, { clock, initialBackoffMillis: 1_000, maxElapsedMillis: 2_000 });
    await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await forwarder.close(5_000);
    expect(logEntries.map((entry) => entry.level)).toEqual(['warn', 'debug', 'error']);
    for (const entry of logEntries) expect(entry.fields.reason).toMatch(/^fetch failed: .*ECONNREFUSED/);
    expect(logEntries[2]!.fields).toMatchObject({ url, attempts: 3 });
    expect(now() - startedAt).toBe(2_000);
    expect(await counterValue(metrics.forwardDropped)).toBe(1);
  });

  it('counts a request it cannot filter as dropped', async () => {
    const { url, received } = await downstream();
    const { forwarder, metrics, logEntries } = await forwarderTo(url);
    await enqueue(forwarder, request.protobuf, 'protobuf', [[[true, false]]]);
    await forwarder.close(5_000);
    expect(received).toHaveLength(0);
    expect(await counterValue(metrics.forwardDropped)).toBe(1);
    expect(logEntries.some((entry) => entry.level === 'error')).toBe(true);
  });

  it('refuses the newest request when the queue is full, counting it, and never waits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { url, received } = await downstream(async (entry, incoming, response) => {
      await gate;
      ok(entry, incoming, response);
    });
    const { forwarder, metrics, logEntries } = await forwarderTo(url, { queueSize: 2 });
    const bodies = [[[1]], [[2]], [[3]], [[4]]].map((layout) => traceRequest(layout).json);
    const taken: boolean[] = [];
    for (const body of bodies) taken.push(await offer(forwarder, body, 'json', [[Array.from({ length: spanNamesOf(body, 'json')[0]![0]!.length }, () => true)]]));
    expect(taken).toEqual([true, true, false, false]);
    expect(forwarder.depth).toBe(2);
    expect(await counterValue(metrics.forwardDropped)).toBe(2);
    expect(await counterValue(metrics.forwardQueueDepth)).toBe(2);
    // The first refusal is said at once, the second within the same interval only at the close.
    const full = { message: 'forward queue full: newer requests were not queued for downstream' };
    expect(logEntries.filter((entry) => entry.level === 'warn')).toEqual([expect.objectContaining({ ...full, fields: { dropped: 1, answered503: 0, queueSize: 2, queueBytes: 1024 ** 2 } })]);
    release();
    await forwarder.close(5_000);
    expect(logEntries.filter((entry) => entry.level === 'warn').map((entry) => entry.fields.dropped)).toEqual([1, 1]);
    expect(received.map((entry) => entry.body.toString())).toEqual(bodies.slice(0, 2).map((body) => Buffer.from(body).toString()));
    expect(await counterValue(metrics.forwardQueueDepth)).toBe(0);
  });

  it('holds no more bytes than queueBytes, dropping what would exceed it, and frees them as requests go', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { url, received } = await downstream(async (entry, incoming, response) => {
      await gate;
      ok(entry, incoming, response);
    });
    const size = request.protobuf.byteLength;
    const { forwarder, metrics } = await forwarderTo(url, { queueSize: 100, queueBytes: 2 * size + 1 });
    expect([await offer(forwarder, request.protobuf, 'protobuf', keepAll), await offer(forwarder, request.protobuf, 'protobuf', keepAll), await offer(forwarder, request.protobuf, 'protobuf', keepAll)]).toEqual([true, true, false]);
    expect(forwarder.depth).toBe(2);
    expect(await counterValue(metrics.forwardDropped)).toBe(1);
    release();
    await vi.waitFor(() => expect(forwarder.depth).toBe(0));
    expect([await offer(forwarder, request.protobuf, 'protobuf', keepAll), await offer(forwarder, request.protobuf, 'protobuf', keepAll)]).toEqual([true, true]);
    expect(forwarder.depth).toBe(2);
    await forwarder.close(5_000);
    expect(received).toHaveLength(4);
    expect(await counterValue(metrics.forwardDropped)).toBe(1);
  });

  it('close() drains the queue', async () => {
    const { url, received } = await downstream((entry, incoming, response) => void setTimeout(() => ok(entry, incoming, response), 10));
    const { forwarder } = await forwarderTo(url);
    for (let index = 0; index < 3; index++) await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await forwarder.close(5_000);
    expect([received.length, forwarder.depth]).toEqual([3, 0]);
  });

  it('close() stops at its timeout when the downstream hangs, and reports what it dropped', async () => {
    const { url, received } = await downstream(() => {});
    const { forwarder, metrics, logEntries } = await forwarderTo(url);
    for (let index = 0; index < 3; index++) await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    // With the downstream never answering, close() returning at all is the point (a close that
    // waited for it would hang this test until vitest's timeout).
    await forwarder.close(100);
    expect(forwarder.depth).toBe(0);
    expect(logEntries.find((entry) => entry.level === 'warn')).toMatchObject({ fields: { dropped: 3 } });
    expect(await counterValue(metrics.forwardDropped)).toBe(3);
    expect(await offer(forwarder, request.protobuf, 'protobuf', keepAll)).toBe(false);
    expect(forwarder.depth).toBe(0);
  });

  it('validates its options', () => {
    const { logger } = recordingLogger();
    const metrics = createMetrics({ defaultMetrics: false });
    const store = new MemoryStore();
    expect(() => createForwarder({ url: 'not a url', queueSize: 1, queueBytes: 1, logger, metrics, store, durable: false })).toThrow(TypeError);
    expect(() => createForwarder({ url: 'http://127.0.0.1:1/v1/traces', queueSize: 0, queueBytes: 1, logger, metrics, store, durable: false })).toThrow(RangeError);
    expect(() => createForwarder({ url: 'http://127.0.0.1:1/v1/traces', queueSize: 1, queueBytes: 0, logger, metrics, store, durable: false })).toThrow(RangeError);
  });

  it('refuses a URL with user:password@ (fetch would refuse every attempt), without the password in the error', () => {
    const { logger } = recordingLogger();
    const metrics = createMetrics({ defaultMetrics: false });
    for (const url of ['http://alice:hunter2@127.0.0.1:1/v1/traces', 'http://alice@127.0.0.1:1/v1/traces']) {
      let thrown: unknown;
      try {
        createForwarder({ url, queueSize: 1, queueBytes: 1, logger, metrics, store: new MemoryStore(), durable: false });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toContain('http://***@127.0.0.1:1/v1/traces');
      expect((thrown as Error).message).not.toMatch(/alice|hunter2/);
    }
  });

  describe('the queue in the store', () => {
    it('keeps what it could not deliver in a durable store, and a forwarder started on it later delivers it, in order', async () => {
      const folder = mkdtempSync(join(tmpdir(), 'facto-forward-'));
      try {
        const path = join(folder, 'facto.db');
        const down = await downstream(() => {}); // never answers
        const first = createSqliteStore({ path });
        await first.init();
        const before = await forwarderTo(down.url, { store: first, durable: true });
        await enqueue(before.forwarder, request.protobuf, 'protobuf', keepAll);
        await enqueue(before.forwarder, request.json, 'json', [[[false, true], [false]], [[true]]]);
        await vi.waitFor(() => expect(down.received).toHaveLength(1));
        await before.forwarder.close(50);
        expect(before.logEntries.filter((entry) => entry.level !== 'debug')).toEqual([expect.objectContaining({ level: 'info', fields: { requests: 2 } })]);
        expect(await counterValue(before.metrics.forwardDropped)).toBe(0);
        await first.close();

        const up = await downstream();
        const second = createSqliteStore({ path });
        await second.init();
        const after = await forwarderTo(up.url, { store: second, durable: true });
        expect(after.logEntries[0]).toMatchObject({ level: 'info', message: expect.stringMatching(/holds requests from before this start/), fields: { requests: 2, bytes: request.protobuf.byteLength + request.json.byteLength } });
        expect(after.forwarder.depth).toBe(2);
        await after.forwarder.close(5_000);
        expect(up.received.map((entry) => entry.headers['content-type'])).toEqual(['application/x-protobuf', 'application/json']);
        expect(up.received[0]!.body.equals(Buffer.from(request.protobuf))).toBe(true);
        expect(spanNamesOf(up.received[1]!.body, 'json')).toEqual([[[spanName(0, 0, 1)]], [[spanName(1, 0, 0)]]]);
        expect(await second.listForwards(0, 10)).toEqual([]);
        expect(after.forwarder.depth).toBe(0);
        await second.close();
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });

    it('takes each request off the store once delivered or given up', async () => {
      let attempts = 0;
      const { url } = await downstream((_received, _request, response) => void response.writeHead(++attempts === 1 ? 200 : 400).end());
      const { forwarder, store } = await forwarderTo(url);
      await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
      await enqueue(forwarder, request.json, 'json', keepAll);
      await vi.waitFor(() => expect(forwarder.depth).toBe(0));
      expect(attempts).toBe(2);
      expect(await store.forwardBacklog()).toEqual({ requests: 0, bytes: 0 });
    });

    it('frees the room of a request whose commit failed (released)', async () => {
      const { url } = await downstream();
      const { forwarder, metrics } = await forwarderTo(url, { queueSize: 1, deliver: false });
      const admitted = forwarder.admit(request.protobuf, 'protobuf', keepAll)!;
      expect(forwarder.admit(request.protobuf, 'protobuf', keepAll)).toBeUndefined();
      forwarder.released([admitted]);
      expect(forwarder.depth).toBe(0);
      expect(await counterValue(metrics.forwardQueueDepth)).toBe(0);
      expect(forwarder.admit(request.protobuf, 'protobuf', keepAll)).toBeDefined();
      // A refusal counts only once the commit it was refused in stands (refused()): none did here.
      expect(await counterValue(metrics.forwardDropped)).toBe(0);
    });

    it('waits out a store it cannot read, saying so once, and delivers when it can read again', async () => {
      const { url, received } = await downstream();
      const { clock, waits } = fakeClock();
      const memory = new MemoryStore();
      await memory.init();
      const { forwarder, logEntries } = await forwarderTo(url, { store: memory, deliver: false, clock });
      await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
      memory.faults.failNext('read', undefined, 3);
      forwarder.startDelivering();
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(waits).toEqual([1_000, 1_000, 1_000]);
      expect(logEntries.map((entry) => [entry.level, entry.message])).toEqual([
        ['error', 'the forward queue cannot be read from the store; delivery waits until it can'],
        ['info', 'the forward queue can be read again; delivery goes on'],
      ]);
    });

    it('says once that the store cannot read one request while the others read fine, and once that it can again', async () => {
      const { url, received } = await downstream();
      let broken: number | undefined;
      let failedReads = 0;
      // One row the store cannot read (a damaged page, say): every other request reads and goes.
      class OneBadRow extends MemoryStore {
        override async getForward(id: number) {
          if (id === broken) {
            failedReads++;
            throw new StoreUnavailableError('page damaged', { cause: new Error('SQLITE_CORRUPT') });
          }
          return super.getForward(id);
        }
      }
      const store = new OneBadRow();
      await store.init();
      const { forwarder, logEntries } = await forwarderTo(url, { store, deliver: false, concurrency: 4 });
      for (let index = 0; index < 5; index++) await enqueue(forwarder, request.json, 'json', keepAll);
      broken = (await store.listForwards(0, 1))[0]!.id;
      forwarder.startDelivering();
      await vi.waitFor(() => expect(received).toHaveLength(4));
      // Tried again a second later, still failing: no more lines than the first failure.
      await vi.waitFor(() => expect(failedReads).toBeGreaterThanOrEqual(2), { timeout: 3_000 });
      broken = undefined;
      await vi.waitFor(() => expect(forwarder.depth).toBe(0), { timeout: 3_000 });
      expect(received).toHaveLength(5);
      expect(logEntries.map((entry) => [entry.level, entry.message])).toEqual([
        ['error', 'the forward queue cannot be read from the store; delivery waits until it can'],
        ['info', 'the forward queue can be read again; delivery goes on'],
      ]);
    });

    it('gives up a request whose row never reads while the queue lists it, so the requests behind it go', async () => {
      const { url, received } = await downstream();
      const fake = fakeClock();
      // Each pause also lets timers run: retries that never end must not starve the test's own waits.
      const clock: ForwardClock = { now: fake.clock.now, sleep: async (millis, signal) => (await new Promise((resolve) => setImmediate(resolve)), fake.clock.sleep(millis, signal)) };
      const { waits } = fake;
      let broken: number | undefined;
      let storeDown = false;
      let listingFails = false;
      class DamagedRow extends MemoryStore {
        override async getForward(id: number) {
          // In the first phase the whole store goes down once the queue has been listed.
          if (id === broken && storeDown) listingFails = true;
          if (id === broken) throw new StoreUnavailableError('page damaged', { cause: new Error('SQLITE_CORRUPT'), damaged: true });
          return super.getForward(id);
        }
        override async listForwardIds(afterId: number, limit: number) {
          if (listingFails) throw new StoreUnavailableError('down');
          return super.listForwardIds(afterId, limit);
        }
      }
      const store = new DamagedRow();
      await store.init();
      // One delivery slot, the default: before, the damaged row held it, and nothing behind it went.
      const { forwarder, logEntries, metrics } = await forwarderTo(url, { store, deliver: false, clock });
      for (let index = 0; index < 3; index++) await enqueue(forwarder, request.json, 'json', keepAll);
      broken = (await store.listForwards(0, 1))[0]!.id;
      // While the listing fails too, the store is down, not the row: delivery waits, however long.
      storeDown = true;
      const delivery = forwarder.startDelivering();
      await vi.waitFor(() => expect(waits.length).toBeGreaterThanOrEqual(3 * UNREADABLE_ROW_READS));
      await delivery.stop();
      expect(received).toHaveLength(0);
      expect(await counterValue(metrics.forwardDropped)).toBe(0);
      // The queue reads again, the row still does not: given up after UNREADABLE_ROW_READS reads.
      storeDown = false;
      listingFails = false;
      waits.length = 0;
      forwarder.startDelivering();
      await vi.waitFor(() => expect(received).toHaveLength(2));
      expect(waits.filter((millis) => millis === STORE_RETRY_MILLIS)).toHaveLength(UNREADABLE_ROW_READS - 1);
      expect(await counterValue(metrics.forwardDropped)).toBe(1);
      await vi.waitFor(() => expect(forwarder.depth).toBe(0));
      expect(logEntries.map((entry) => [entry.level, entry.message])).toEqual([
        ['error', 'the forward queue cannot be read from the store; delivery waits until it can'],
        ['info', 'the forward queue can be read again; delivery goes on'],
        ['error', 'the forward queue cannot be read from the store; delivery waits until it can'],
        ['error', 'a queued request cannot be read from the store, though the queue can; gave up forwarding it (its signed spans stay in the log; unsigned spans kept only for forwarding are lost with it)'],
      ]);
      expect(logEntries.find((entry) => entry.message.startsWith('a queued request'))!.fields).toMatchObject({ request: broken, reads: UNREADABLE_ROW_READS, error: 'page damaged' });
    });

    it('waits on a row whose reads fail while the store is busy or down, however long, and never gives it up', async () => {
      const { url, received } = await downstream();
      const fake = fakeClock();
      const clock: ForwardClock = { now: fake.clock.now, sleep: async (millis, signal) => (await new Promise((resolve) => setImmediate(resolve)), fake.clock.sleep(millis, signal)) };
      let busy: number | undefined;
      class BusyRow extends MemoryStore {
        override async getForward(id: number) {
          // Not damage: SQLITE_BUSY or a lost connection, which pass. The queue still lists.
          if (id === busy) throw new StoreUnavailableError('database is locked (SQLITE_BUSY)');
          return super.getForward(id);
        }
      }
      const store = new BusyRow();
      await store.init();
      const { forwarder, metrics } = await forwarderTo(url, { store, deliver: false, clock });
      for (let index = 0; index < 2; index++) await enqueue(forwarder, request.json, 'json', keepAll);
      busy = (await store.listForwards(0, 1))[0]!.id;
      forwarder.startDelivering();
      await vi.waitFor(() => expect(fake.waits.length).toBeGreaterThanOrEqual(3 * UNREADABLE_ROW_READS));
      expect([received.length, await counterValue(metrics.forwardDropped)]).toEqual([0, 0]);
      busy = undefined;
      await vi.waitFor(() => expect(received).toHaveLength(2));
      expect(await counterValue(metrics.forwardDropped)).toBe(0);
    });

    it('says the store reads again in a loop started after one that stopped while reads failed (a re-election)', async () => {
      const { url } = await downstream();
      let listing = false;
      let unreadable: number | undefined;
      class Failing extends MemoryStore {
        override async listForwardIds(afterId: number, limit: number) {
          if (listing) throw new StoreUnavailableError('down');
          return super.listForwardIds(afterId, limit);
        }
        override async getForward(id: number) {
          if (id === unreadable) throw new StoreUnavailableError('page damaged');
          return super.getForward(id);
        }
      }
      const store = new Failing();
      await store.init();
      const { forwarder, logEntries } = await forwarderTo(url, { store, deliver: false });
      const lines = () => logEntries.map((entry) => [entry.level, entry.message]);
      const failed = ['error', 'the forward queue cannot be read from the store; delivery waits until it can'];
      const works = ['info', 'the forward queue can be read again; delivery goes on'];

      // The listing fails when the loop stops; in the next loop it works.
      listing = true;
      const first = forwarder.startDelivering();
      await vi.waitFor(() => expect(lines()).toEqual([failed]));
      await first.stop();
      listing = false;
      forwarder.startDelivering();
      await vi.waitFor(() => expect(lines()).toEqual([failed, works]));

      // A request's read fails when the loop stops, and another process delivers it meanwhile: it
      // is never read here again, yet the next read that works says the store works.
      await enqueue(forwarder, request.json, 'json', keepAll);
      unreadable = (await store.listForwards(0, 1))[0]!.id;
      const running = forwarder.startDelivering(); // the loop already running
      await vi.waitFor(() => expect(lines()).toEqual([failed, works, failed]));
      await running.stop();
      await store.deleteForwards([unreadable]);
      forwarder.startDelivering();
      await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
      await vi.waitFor(() => expect(lines()).toEqual([failed, works, failed, works]));
    });

    it('deletes a delivered request with the next ones when its delete fails, without sending it again, saying so once', async () => {
      const { url, received } = await downstream();
      const { forwarder, store, logEntries } = await forwarderTo(url);
      const memory = store as MemoryStore;
      memory.faults.failNext('deleteForwards');
      await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
      await vi.waitFor(() => expect(memory.faults.calls.deleteForwards).toBe(1));
      expect(await store.forwardBacklog()).toMatchObject({ requests: 1 });
      expect(forwarder.depth).toBe(1);
      await enqueue(forwarder, request.json, 'json', keepAll);
      await vi.waitFor(() => expect(forwarder.depth).toBe(0));
      expect(received.map((entry) => entry.headers['content-type'])).toEqual(['application/x-protobuf', 'application/json']);
      expect(await store.forwardBacklog()).toEqual({ requests: 0, bytes: 0 });
      // Reads kept working: only the delete is reported, once failing and once working again.
      expect(logEntries.map((entry) => [entry.level, entry.message])).toEqual([
        ['error', expect.stringMatching(/^delivered requests cannot be taken off the forward queue/)],
        ['info', 'delivered requests are taken off the forward queue again'],
      ]);
    });

    it('with refreshMillis, counts and delivers what other processes queue in a shared store', async () => {
      const { url, received } = await downstream();
      const store = new MemoryStore();
      await store.init();
      const writer = await forwarderTo(url, { store, deliver: false, refreshMillis: 10, queueSize: 2 });
      // Another process commits two requests: this one's count catches up at its next reading.
      const fromElsewhere = (body: Uint8Array, encoding: 'protobuf' | 'json') => ({ encoding, body, keepJson: null, queuedAt: 0, factoIds: [] });
      await store.commitBatch(forwardsOnly([fromElsewhere(request.protobuf, 'protobuf'), fromElsewhere(request.json, 'json')]));
      await vi.waitFor(() => expect(writer.forwarder.depth).toBe(2));
      expect(writer.forwarder.admit(request.json, 'json', keepAll)).toBeUndefined();
      const leader = await forwarderTo(url, { store, refreshMillis: 10 });
      await vi.waitFor(() => expect(received).toHaveLength(2));
      await vi.waitFor(() => expect(writer.forwarder.depth).toBe(0));
      // The leader was told of none of these commits: it found them by looking again while idle.
      await store.commitBatch(forwardsOnly([fromElsewhere(request.json, 'json')]));
      await vi.waitFor(() => expect(received).toHaveLength(3));
      expect(received.map((entry) => entry.headers['content-type'])).toEqual(['application/x-protobuf', 'application/json', 'application/json']);
    });

    it('delivers the rewritten request, not the one read ahead, when an erasure revises the queue (each attempt reads its request from the store)', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const { url, received } = await downstream(async (entry, incoming, response) => {
        await gate;
        ok(entry, incoming, response);
      });
      const { forwarder, store } = await forwarderTo(url, { deliver: false });
      const bodies = [[[1]], [[2]], [[3]]].map((layout) => traceRequest(layout).json);
      for (const body of bodies) await enqueue(forwarder, body, 'json', [[Array.from({ length: spanNamesOf(body, 'json')[0]![0]!.length }, () => true)]]);
      forwarder.startDelivering();
      await vi.waitFor(() => expect(received).toHaveLength(1));
      // The loop holds all three in memory; an erasure rewrites the second and removes the third.
      const [first, second, third] = await store.listForwards(0, 10);
      const rewritten = traceRequest([[1]]).json;
      await store.commitBatch({ ...forwardsOnly([]), forwardEdits: [{ id: second!.id, replacement: { body: rewritten, keepJson: null, factoIds: [] } }, { id: third!.id, replacement: null }] });
      forwarder.revised([{ id: second!.id }, { id: third!.id }]);
      await vi.waitFor(() => expect(forwarder.depth).toBe(2));
      release();
      await vi.waitFor(() => expect(forwarder.depth).toBe(0));
      expect(received.map((entry) => entry.body.toString())).toEqual([first!.body, rewritten].map((body) => Buffer.from(body).toString()));
    });

    it('cuts the attempt under way when an erasure rewrites the request being delivered, and sends the rewritten one', async () => {
      const { url, received } = await downstream(() => {}); // never answers the first attempt
      const { forwarder, store } = await forwarderTo(url);
      await enqueue(forwarder, request.json, 'json', keepAll);
      await vi.waitFor(() => expect(received).toHaveLength(1));
      const [queued] = await store.listForwards(0, 10);
      const rewritten = traceRequest([[1]]).json;
      await store.commitBatch({ ...forwardsOnly([]), forwardEdits: [{ id: queued!.id, replacement: { body: rewritten, keepJson: null, factoIds: [] } }] });
      forwarder.revised([{ id: queued!.id }]);
      await vi.waitFor(() => expect(received).toHaveLength(2));
      expect(received[1]!.body.equals(Buffer.from(rewritten))).toBe(true);
    });

    it('keeps a request\'s retry budget when an erasure cuts an attempt: rewriting it does not renew its retries', async () => {
      const { clock, now } = fakeClock();
      const startedAt = now();
      let cutDone = false;
      let rewriteOnce!: () => Promise<void>;
      const { url, received } = await downstream(async (_entry, _request, response) => {
        // The third attempt is cut by an erasure of the request while the downstream holds it.
        if (received.length === 3 && !cutDone) {
          cutDone = true;
          await rewriteOnce();
          return;
        }
        response.writeHead(503, { 'retry-after': '600' }).end();
      });
      const { forwarder, store, logEntries } = await forwarderTo(url, { clock, deliver: false, initialBackoffMillis: 1_000, maxBackoffMillis: 30_000, maxElapsedMillis: 300_000 });
      await enqueue(forwarder, request.json, 'json', keepAll);
      const [queued] = await store.listForwards(0, 10);
      const rewritten = traceRequest([[1]]).json;
      rewriteOnce = async () => {
        await store.commitBatch({ ...forwardsOnly([]), forwardEdits: [{ id: queued!.id, replacement: { body: rewritten, keepJson: null, factoIds: [] } }] });
        forwarder.revised([{ id: queued!.id }]);
      };
      forwarder.startDelivering();
      await forwarder.close(5_000);
      // Attempts at 0 and 30 s answered 503; the one at 60 s was cut and sent again at once as
      // rewritten; then 90 s ... 300 s and given up, 300 s after the first, as with no erasure.
      expect(received).toHaveLength(12);
      expect(received.slice(3).every((entry) => entry.body.equals(Buffer.from(rewritten)))).toBe(true);
      expect(logEntries.filter((entry) => entry.message === 'giving up forwarding a request').map((entry) => entry.fields.attempts)).toEqual([11]);
      expect(now() - startedAt).toBe(300_000);
    });

    it('charges none of the time its own store took to fail to the downstream budget', async () => {
      const { clock, now, advance } = fakeClock();
      let failing = 0;
      // Reads that fail slowly (a database past its connect timeout), each taking 59 s of the clock.
      class SlowFailing extends MemoryStore {
        override async getForward(id: number) {
          if (failing > 0) {
            failing--;
            advance(59_000);
            throw new StoreUnavailableError('connect timeout');
          }
          return super.getForward(id);
        }
      }
      const store = new SlowFailing();
      await store.init();
      const answers: number[] = [];
      const { url } = await downstream((_received, _request, response) => {
        answers.push(now());
        // The first attempt is answered 503; the store then fails six times before the retry reads it.
        if (answers.length === 1) failing = 6;
        response.writeHead(503, { 'retry-after': '600' }).end();
      });
      const { forwarder, logEntries } = await forwarderTo(url, { store, clock, initialBackoffMillis: 1_000, maxBackoffMillis: 30_000, maxElapsedMillis: 300_000 });
      await enqueue(forwarder, request.json, 'json', keepAll);
      await forwarder.close(5_000);
      // Eleven downstream attempts 30 s apart, as with a store that never failed; six minutes of
      // failing reads in between are not the downstream's.
      expect(logEntries.filter((entry) => entry.message === 'giving up forwarding a request').map((entry) => entry.fields.attempts)).toEqual([11]);
      expect(answers).toHaveLength(11);
    });

    it('ends at a count of zero, and closes, when an erasure takes off a request delivered but not yet deleted', async () => {
      let answered = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const { url } = await downstream(async (entry, incoming, response) => {
        if (answered++ > 0) await gate;
        ok(entry, incoming, response);
      });
      const { forwarder, store, metrics } = await forwarderTo(url, { deliver: false });
      await enqueue(forwarder, request.json, 'json', keepAll);
      await enqueue(forwarder, request.protobuf, 'protobuf', keepAll);
      const [first] = await store.listForwards(0, 10);
      forwarder.startDelivering();
      // The first is delivered (its delete waits for the queue to run dry); the second is held.
      await vi.waitFor(() => expect(answered).toBe(2));
      await store.commitBatch({ ...forwardsOnly([]), forwardEdits: [{ id: first!.id, replacement: null }] });
      forwarder.revised([{ id: first!.id }]);
      release();
      await vi.waitFor(async () => expect(await store.forwardBacklog()).toEqual({ requests: 0, bytes: 0 }));
      await vi.waitFor(() => expect(forwarder.depth).toBe(0));
      await forwarder.close(1_000);
      expect([forwarder.depth, await counterValue(metrics.forwardQueueDepth), await counterValue(metrics.forwardDropped)]).toEqual([0, 0, 0]);
    });

    it('waits out a store that cannot read a request, without spending its retries or dropping it', async () => {
      class FlakyStore extends MemoryStore {
        failures = 3;
        override async getForward(id: number) {
          if (this.failures-- > 0) throw new StoreUnavailableError('the database is down');
          return super.getForward(id);
        }
      }
      const { url, received } = await downstream();
      const { clock, waits } = fakeClock();
      const store = new FlakyStore();
      await store.init();
      const { forwarder, metrics, logEntries } = await forwarderTo(url, { store, clock });
      await enqueue(forwarder, request.json, 'json', keepAll);
      await vi.waitFor(() => expect(received).toHaveLength(1));
      await vi.waitFor(() => expect(forwarder.depth).toBe(0));
      expect(waits).toEqual([1_000, 1_000, 1_000]);
      expect([await counterValue(metrics.forwardFailures), await counterValue(metrics.forwardDropped)]).toEqual([0, 0]);
      expect(logEntries.map((entry) => [entry.level, entry.message])).toEqual([
        ['error', 'the forward queue cannot be read from the store; delivery waits until it can'],
        ['info', 'the forward queue can be read again; delivery goes on'],
      ]);
    });

    describe('several requests at once (concurrency)', () => {
      /** A downstream that holds each answer until the test releases it, by the request's name (nameOf). */
      async function heldDownstream() {
        const held = new Map<string, () => void>();
        const { url, received } = await downstream(async (entry, _request, response) => {
          const name = nameOf(entry.body);
          await new Promise<void>((release) => held.set(name, release));
          ok(entry, _request, response);
        });
        return { url, received, held, names: () => received.map((entry) => nameOf(entry.body)) };
      }
      // Told apart by their number of spans: request n holds n + 1.
      const bodies = Array.from({ length: 5 }, (_, index) => traceRequest([[index + 1]]).json);
      const nameOf = (body: Uint8Array) => `${spanNamesOf(body, 'json')[0]![0]!.length} spans`;

      it('sends up to `concurrency` requests at once, and a slow one holds its slot only', async () => {
        const downstreamHeld = await heldDownstream();
        const { forwarder } = await forwarderTo(downstreamHeld.url, { concurrency: 3 });
        for (const body of bodies) await enqueue(forwarder, body, 'json', [[Array.from({ length: spanNamesOf(body, 'json')[0]![0]!.length }, () => true)]]);
        await vi.waitFor(() => expect(downstreamHeld.held.size).toBe(3));
        // The first three are in flight, the others wait for a slot.
        expect(downstreamHeld.names().sort()).toEqual(bodies.slice(0, 3).map(nameOf).sort());
        // The second answers: the fourth takes its slot while the first and third are still held.
        downstreamHeld.held.get(nameOf(bodies[1]!))!();
        await vi.waitFor(() => expect(downstreamHeld.names()).toHaveLength(4));
        expect(downstreamHeld.names()[3]).toBe(nameOf(bodies[3]!));
        for (const release of downstreamHeld.held.values()) release();
        await vi.waitFor(() => expect(downstreamHeld.names()).toHaveLength(5));
        for (const release of downstreamHeld.held.values()) release();
        await vi.waitFor(() => expect(forwarder.depth).toBe(0));
        expect(downstreamHeld.names().sort()).toEqual(bodies.map(nameOf).sort());
      });

      const many = Array.from({ length: 20 }, (_, index) => traceRequest([[index + 1]]).json);
      const keepOf = (body: Uint8Array) => [[Array.from({ length: spanNamesOf(body, 'json')[0]![0]!.length }, () => true)]];

      it('combines no signal per request with the loop\'s, which Node 20 would keep attached for ever', async () => {
        const combined = vi.spyOn(AbortSignal, 'any');
        try {
          const { url } = await downstream();
          const { forwarder } = await forwarderTo(url, { concurrency: 4, queueSize: 1000 });
          for (let round = 0; round < 5; round++) {
            for (const body of many) await enqueue(forwarder, body, 'json', keepOf(body));
            await vi.waitFor(() => expect(forwarder.depth).toBe(0));
          }
          // 100 requests delivered: before, one AbortSignal.any() each, all attached to the loop's stop signal.
          expect(combined.mock.calls.length).toBeLessThan(5);
        } finally {
          combined.mockRestore();
        }
      });

      it('tries a failed delete again within a second, though nothing else wakes it: the room it holds refuses new requests', async () => {
        const { url, received } = await downstream();
        const memory = new MemoryStore();
        await memory.init();
        const { forwarder } = await forwarderTo(url, { store: memory, queueSize: 3, concurrency: 4 });
        memory.faults.failNext('deleteForwards');
        for (const body of many.slice(0, 3)) await enqueue(forwarder, body, 'json', keepOf(body));
        await vi.waitFor(() => expect(received).toHaveLength(3));
        // The queue is full of delivered requests whose delete failed; it empties once the delete is tried again.
        await vi.waitFor(() => expect(forwarder.depth).toBe(0), { timeout: 5_000 });
        expect(await offer(forwarder, many[3]!, 'json', keepOf(many[3]!))).toBe(true);
      });

      it('a stop while a delete is under way hands over without sending that delete\'s requests again', async () => {
        const held: (() => void)[] = [];
        const { url, received } = await downstream(async (entry, incoming, response) => {
          // The first request (1 span) is held; the others are answered at once.
          if (spanNamesOf(entry.body, 'json')[0]![0]!.length === 1) await new Promise<void>((release) => held.push(release));
          ok(entry, incoming, response);
        });
        const memory = new MemoryStore();
        await memory.init();
        const { forwarder } = await forwarderTo(url, { store: memory, queueSize: 100, concurrency: 2, deliver: false });
        for (const body of many) await enqueue(forwarder, body, 'json', keepOf(body));
        const deleting = memory.faults.pauseNext('deleteForwards');
        const first = forwarder.startDelivering();
        // The 16th delivery starts a delete of 16 (paused, as a slow database would be).
        await deleting.reached;
        await vi.waitFor(() => expect(received).toHaveLength(20));
        const stopping = first.stop();
        forwarder.startDelivering();
        await new Promise((resolve) => setTimeout(resolve, 100));
        deleting.release();
        await stopping;
        await vi.waitFor(() => {
          for (const release of held.splice(0)) release();
          expect(forwarder.depth).toBe(0);
        });
        const sent = new Map<number, number>();
        for (const entry of received) {
          const spans = spanNamesOf(entry.body, 'json')[0]![0]!.length;
          sent.set(spans, (sent.get(spans) ?? 0) + 1);
        }
        // Only the request the stop cut goes twice.
        expect([...sent].filter(([, count]) => count > 1).map(([spans]) => spans)).toEqual([1]);
      });

      it('a stop with requests in flight leaves them queued; the next start sends those again and no delivered one', async () => {
        const downstreamHeld = await heldDownstream();
        const { forwarder, store } = await forwarderTo(downstreamHeld.url, { concurrency: 2, deliver: false });
        for (const body of bodies) await enqueue(forwarder, body, 'json', [[Array.from({ length: spanNamesOf(body, 'json')[0]![0]!.length }, () => true)]]);
        const first = forwarder.startDelivering();
        await vi.waitFor(() => expect(downstreamHeld.held.size).toBe(2));
        // The second is delivered; the first stays held, and the third takes the free slot.
        downstreamHeld.held.get(nameOf(bodies[1]!))!();
        await vi.waitFor(() => expect(downstreamHeld.names()).toHaveLength(3));
        await first.stop();
        // Delivered: the second only. The first and third were cut, and stay queued with the rest.
        expect((await store.listForwards(0, 10)).map((queued) => nameOf(queued.body))).toEqual([0, 2, 3, 4].map((index) => nameOf(bodies[index]!)));
        forwarder.startDelivering();
        await vi.waitFor(() => expect(downstreamHeld.names()).toHaveLength(5));
        for (;;) {
          for (const [name, release] of downstreamHeld.held) if (name !== nameOf(bodies[1]!)) release();
          if (forwarder.depth === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const sent = downstreamHeld.names();
        // Each of the cut ones twice (cut, then again), the delivered one once, the others once.
        expect(sent.filter((name) => name === nameOf(bodies[1]!))).toHaveLength(1);
        expect(sent.filter((name) => name === nameOf(bodies[0]!))).toHaveLength(2);
        expect(new Set(sent)).toEqual(new Set(bodies.map(nameOf)));
      });
    });

    it('delivers after a stop and a new start in quick succession (a re-election while the last step-down finishes)', async () => {
      const { url, received } = await downstream();
      const { forwarder } = await forwarderTo(url);
      const stopping = forwarder.startDelivering().stop();
      forwarder.startDelivering();
      await stopping;
      await enqueue(forwarder, request.json, 'json', keepAll);
      await vi.waitFor(() => expect(received).toHaveLength(1));
    });
  });
});
