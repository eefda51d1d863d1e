import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { FactoError } from '@facto/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CollectorConfig } from '../config.js';
import { LogKeyMismatchError } from '../log/log-key.js';
import { StoreConflictError, StoreRefusedError, StoreUnavailableError } from '../store/errors.js';
import { closeServer, errorOf, fakeContext, listen, rawRequest, stallingClient } from '../test-helpers/http-test-context.js';
import { createHttpServer } from './server.js';
import { HttpError, json, type Handler, type HttpRequest, type Route } from './types.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

const echo: Handler = (request) => json(200, { params: request.params, length: request.body.length, text: Buffer.from(request.body).toString('utf8') });

async function start(routes: Route[], config: Partial<CollectorConfig> = {}) {
  const context = fakeContext({ config: { maxBodyBytes: 64 * 1024, ...config } });
  const server = createHttpServer({ routes, context });
  servers.push(server);
  return { url: await listen(server), context, server };
}

describe('routing', () => {
  const routes: Route[] = [
    { method: 'GET', path: '/v1/items/{id}', access: 'public', handler: echo },
    { method: 'GET', path: '/v1/items/latest', access: 'public', handler: () => json(200, { latest: true }) },
    { method: 'POST', path: '/v1/items', access: 'public', handler: echo },
  ];

  it('decodes path parameters and prefers literal segments', async () => {
    const { url } = await start(routes);
    expect(await (await fetch(`${url}/v1/items/a%20b%2Fc`)).json()).toMatchObject({ params: { id: 'a b/c' } });
    expect(await (await fetch(`${url}/v1/items/latest`)).json()).toEqual({ latest: true });
  });

  it('answers 404 for unknown paths, 405 with Allow for wrong methods, 400 for bad percent-encoding', async () => {
    const { url } = await start(routes);
    const missing = await fetch(`${url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no such path: /v2/nothing' });
    const wrongMethod = await fetch(`${url}/v1/items`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await fetch(`${url}/v1/items/%E0%A4%A`)).status).toBe(400);
  });

  it('answers HEAD like GET, without a body', async () => {
    const { url } = await start(routes);
    const response = await fetch(`${url}/v1/items/latest`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('response bodies', () => {
  it('sends objects as JSON, strings as text, bytes as they are', async () => {
    const { url } = await start([
      { method: 'GET', path: '/object', access: 'public', handler: () => ({ status: 200, body: { a: 1 } }) },
      { method: 'GET', path: '/text', access: 'public', handler: () => ({ status: 200, body: 'hello' }) },
      { method: 'GET', path: '/note', access: 'public', handler: () => ({ status: 200, body: 'note', headers: { 'Content-Type': 'text/x-note' } }) },
      { method: 'GET', path: '/bytes', access: 'public', handler: () => ({ status: 201, body: Uint8Array.of(0, 1, 255) }) },
    ]);
    const object = await fetch(`${url}/object`);
    expect([object.headers.get('content-type'), await object.text()]).toEqual(['application/json', '{"a":1}']);
    const text = await fetch(`${url}/text`);
    expect([text.headers.get('content-type'), await text.text()]).toEqual(['text/plain; charset=utf-8', 'hello']);
    expect((await fetch(`${url}/note`)).headers.get('content-type')).toBe('text/x-note');
    const bytes = await fetch(`${url}/bytes`);
    expect([bytes.status, [...new Uint8Array(await bytes.arrayBuffer())]]).toEqual([201, [0, 1, 255]]);
  });
});

describe('request bodies', () => {
  const limit = 1024;
  const handler = vi.fn(echo);
  const routes: Route[] = [{ method: 'POST', path: '/upload', access: 'public', handler }];
  afterEach(() => handler.mockClear());

  it('decompresses gzip and deflate', async () => {
    const { url } = await start(routes, { maxBodyBytes: limit });
    for (const [encoding, body] of [['gzip', zlib.gzipSync('zipped')], ['deflate', zlib.deflateSync('zipped')]] as const) {
      const response = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-encoding': encoding }, body });
      expect(await response.json()).toMatchObject({ text: 'zipped' });
    }
  });

  it('answers 413 at once when Content-Length is over the limit, before the body is sent', async () => {
    const { url } = await start(routes, { maxBodyBytes: limit });
    const response = await rawRequest(`${url}/upload`, { method: 'POST', headers: { 'content-length': String(limit + 1) } }, (request) => request.flushHeaders());
    expect(response.status).toBe(413);
    // Within the drain bound the rest of the body is read and discarded, and the connection kept.
    expect(response.headers.connection).toBe('keep-alive');
    const huge = await rawRequest(`${url}/upload`, { method: 'POST', headers: { 'content-length': String(100 * limit) } }, (request) => request.flushHeaders());
    expect([huge.status, huge.headers.connection]).toEqual([413, 'close']);
    expect(handler).not.toHaveBeenCalled();
  });

  it('lets a client that writes its whole over-limit body read the 413 (no broken pipe), then serves it again', async () => {
    // Bodies larger than the socket buffers: the client is still writing when the answer comes.
    const { url } = await start(routes, { maxBodyBytes: 1024 * 1024 });
    // node:http is the client the official OTLP exporters use; a reset socket is an 'error' there.
    // With a Content-Length (end(body)) and chunked, as the exporters stream it (write(), then end()).
    for (const size of [1024 * 1024 + 1, 3 * 1024 * 1024]) {
      const sized = await rawRequest(`${url}/upload`, { method: 'POST' }, (request) => request.end(Buffer.alloc(size, 7)));
      const chunked = await rawRequest(`${url}/upload`, { method: 'POST' }, (request) => {
        request.write(Buffer.alloc(size, 7));
        request.end();
      });
      for (const response of [sized, chunked]) {
        expect(response.status).toBe(413);
        expect(JSON.parse(response.body).error).toMatch(/exceeds 1048576 bytes/);
      }
    }
    // The connection outlives the 413: the rest of the body was read, not left to reset the socket.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await rawRequest(`${url}/upload`, { method: 'POST', agent }, (request) => request.end(Buffer.alloc(2 * 1024 * 1024, 1)));
      let reused: boolean | undefined;
      const second = await rawRequest(`${url}/upload`, { method: 'POST', agent }, (request) => {
        request.on('socket', () => (reused = request.reusedSocket));
        request.end('after');
      });
      expect([first.status, second.status, JSON.parse(second.body).text, reused]).toEqual([413, 200, 'after', true]);
    } finally {
      agent.destroy();
    }
  });

  it('stops reading a chunked body at the limit with 413', async () => {
    const { url } = await start(routes, { maxBodyBytes: limit });
    let sent = 0;
    let answered = false;
    const response = await rawRequest(`${url}/upload`, { method: 'POST' }, (request) => {
      request.on('response', () => (answered = true));
      const writeMore = () => {
        if (answered || request.destroyed || sent > 100 * limit) return;
        request.write(Buffer.alloc(256, 1));
        sent += 256;
        setTimeout(writeMore, 2);
      };
      writeMore();
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error).toMatch(/exceeds 1024 bytes/);
    expect(sent).toBeLessThan(10 * limit);
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 413 to a gzip bomb, whose compressed size is under the limit', async () => {
    const { url } = await start(routes, { maxBodyBytes: 64 * 1024 });
    const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const response = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: bomb });
    expect(response.status).toBe(413);
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 400 to a corrupt gzip stream and 415 to an unknown encoding', async () => {
    const { url } = await start(routes, { maxBodyBytes: limit });
    const corrupt = zlib.gzipSync('some text that will be cut short');
    const truncated = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: corrupt.subarray(0, corrupt.length - 6) });
    expect(truncated.status).toBe(400);
    expect(await errorOf(truncated)).toMatch(/^corrupt gzip body/);
    const garbage = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: 'not gzip at all' });
    expect(garbage.status).toBe(400);
    const unknown = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-encoding': 'br' }, body: 'x' });
    expect(unknown.status).toBe(415);
    expect(await errorOf(unknown)).toMatch(/gzip, deflate, identity/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('survives a client that aborts mid-body', async () => {
    const { url, context } = await start(routes, { maxBodyBytes: limit });
    await new Promise<void>((resolve) => {
      const request = http.request(`${url}/upload`, { method: 'POST', headers: { 'content-length': '500' } });
      request.on('error', () => resolve());
      request.write('only part of it', () => setTimeout(() => request.destroy(), 20));
    });
    const response = await fetch(`${url}/upload`, { method: 'POST', body: 'next' });
    expect(await response.json()).toMatchObject({ text: 'next' });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(context.logEntries.filter((entry) => entry.level === 'error')).toEqual([]);
  });
});

describe('bearer tokens', () => {
  const routes: Route[] = [
    { method: 'POST', path: '/ingest', access: 'ingest', handler: () => json(200, {}) },
    { method: 'GET', path: '/query', access: 'query', handler: () => json(200, {}) },
    { method: 'GET', path: '/public', access: 'public', handler: () => json(200, {}) },
  ];

  it('requires the token of the route class where one is configured', async () => {
    const { url } = await start(routes, { ingestToken: 'ingest-secret' });
    const missing = await fetch(`${url}/ingest`, { method: 'POST' });
    expect([missing.status, missing.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    expect(await missing.json()).toEqual({ error: 'missing bearer token' });
    for (const authorization of ['Bearer wrong', 'Bearer ingest-secretX', 'Basic aW5nZXN0LXNlY3JldA==']) {
      expect((await fetch(`${url}/ingest`, { method: 'POST', headers: { authorization } })).status).toBe(401);
    }
    expect((await fetch(`${url}/ingest`, { method: 'POST', headers: { authorization: 'Bearer ingest-secret' } })).status).toBe(200);
    expect((await fetch(`${url}/ingest`, { method: 'POST', headers: { authorization: 'bearer ingest-secret' } })).status).toBe(200);
    // No query token configured: open. Public routes never ask.
    expect((await fetch(`${url}/query`)).status).toBe(200);
    expect((await fetch(`${url}/public`)).status).toBe(200);
  });

  it('counts ingest requests refused for their token in the ingest request metric, by status', async () => {
    const { url, context } = await start(routes, { ingestToken: 'ingest-secret' });
    await fetch(`${url}/ingest`, { method: 'POST' });
    await fetch(`${url}/ingest`, { method: 'POST', headers: { authorization: 'Bearer wrong' } });
    await fetch(`${url}/ingest`, { method: 'POST', headers: { authorization: 'Bearer ingest-secret' } });
    await fetch(`${url}/query`);
    const counted = Object.fromEntries((await context.metrics.requests.get()).values.map((value) => [value.labels.status, value.value]));
    expect(counted).toEqual({ '401': 2, '200': 1 });
  });

  it('answers 503 + Retry-After past --max-streams open streamed answers, and takes new ones as old ones end', async () => {
    const opened: string[] = [];
    const handled: string[] = [];
    const streaming: Route = {
      method: 'GET',
      path: '/stream',
      access: 'query',
      streams: true,
      handler: (request: HttpRequest) => {
        handled.push(request.url.search);
        if (request.url.search === '?bad') throw new HttpError(400, 'bad filter');
        const stream = (async function* () {
          opened.push(request.url.search);
          yield new TextEncoder().encode('open\n');
          // Open until its client leaves, as a live stream is.
          await new Promise((resolve) => request.signal?.addEventListener('abort', resolve, { once: true }));
        })();
        return { status: 200, headers: { 'content-type': 'text/plain' }, stream };
      },
    };
    const { url } = await start([streaming], { maxStreams: 2 });
    // A streaming route that fails before it streams gives its slot back.
    for (let attempt = 0; attempt < 3; attempt++) expect((await fetch(`${url}/stream?bad`)).status).toBe(400);
    const clients = [new AbortController(), new AbortController()];
    const first = await fetch(`${url}/stream?1`, { signal: clients[0]!.signal });
    const second = await fetch(`${url}/stream?2`, { signal: clients[1]!.signal });
    expect([first.status, second.status]).toEqual([200, 200]);
    const refused = await fetch(`${url}/stream?3`);
    expect([refused.status, refused.headers.get('retry-after'), await refused.json()]).toEqual([503, '5', { error: 'too many streams open; retry later' }]);
    clients[0]!.abort();
    await vi.waitFor(async () => {
      const again = await fetch(`${url}/stream?4`);
      expect(again.status).toBe(200);
      await again.body?.cancel();
    });
    clients[1]!.abort();
    // The refused request never reached its handler (an export would have signed a checkpoint).
    expect(handled).not.toContain('?3');
    expect(opened).not.toContain('?3');
  });

  it('keeps one class token from opening another class', async () => {
    const { url } = await start(routes, { ingestToken: 'ingest-secret', queryToken: 'query-secret' });
    const statuses = ['Bearer ingest-secret', 'Bearer query-secret'].map(async (authorization) => (await fetch(`${url}/query`, { headers: { authorization } })).status);
    expect(await Promise.all(statuses)).toEqual([401, 200]);
  });
});

describe('ingest concurrency', () => {
  it('answers 503 with Retry-After beyond maxConcurrentIngest, without queueing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    const { url, context } = await start(
      [
        { method: 'POST', path: '/ingest', access: 'ingest', handler: async () => (entered++, await gate, json(200, {})) },
        { method: 'GET', path: '/query', access: 'query', handler: () => json(200, {}) },
      ],
      { maxConcurrentIngest: 2 },
    );
    const gauges = async () => [(await context.metrics.ingestInFlight.get()).values[0]!.value, (await context.metrics.ingestMaxConcurrent.get()).values[0]!.value];
    expect(await gauges()).toEqual([0, 2]);
    const held = [fetch(`${url}/ingest`, { method: 'POST' }), fetch(`${url}/ingest`, { method: 'POST' })];
    await vi.waitFor(() => expect(entered).toBe(2));
    const refused = await fetch(`${url}/ingest`, { method: 'POST' });
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '1']);
    expect(await gauges()).toEqual([2, 2]);
    expect((await fetch(`${url}/query`)).status).toBe(200);
    release();
    expect((await Promise.all(held)).map((response) => response.status)).toEqual([200, 200]);
    expect((await fetch(`${url}/ingest`, { method: 'POST' })).status).toBe(200);
    expect(await gauges()).toEqual([0, 2]);
    const counted = await context.metrics.requests.get();
    expect(Object.fromEntries(counted.values.map((value) => [value.labels.status, value.value]))).toEqual({ '200': 3, '503': 1 });
  });
});

describe('slow clients', () => {
  it('keeps serving while eight clients trickle their bodies: reading holds no ingest slot, and the read timeout ends them with 408', async () => {
    const { url, server } = await start([{ method: 'POST', path: '/ingest', access: 'ingest', handler: (request) => json(200, { length: request.body.length }) }], { maxConcurrentIngest: 2, readTimeout: 1 });
    let heads = 0;
    server.on('request', () => heads++);
    const stalled = await Promise.all(Array.from({ length: 8 }, () => stallingClient(url, '/ingest', 'partial', 1000)));
    await vi.waitFor(() => expect(heads).toBe(8));
    const genuine = await fetch(`${url}/ingest`, { method: 'POST', body: 'a genuine export' });
    expect([genuine.status, await genuine.json()]).toEqual([200, { length: 16 }]);
    const endings = await Promise.all(stalled.map((client) => client.ended));
    for (const ending of endings) expect(ending).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('still ends a client that never finishes its headers, or trickles the rest of a body already refused', async () => {
    const { url } = await start([{ method: 'POST', path: '/ingest', access: 'ingest', handler: () => json(200, {}) }], { maxBodyBytes: 16, readTimeout: 1 });
    const headers = net.connect(Number(new URL(url).port), '127.0.0.1');
    headers.write('POST /ingest HTTP/1.1\r\nHost: collector\r\n');
    let unfinished = '';
    headers.on('data', (chunk) => (unfinished += chunk.toString('latin1')));
    const refused = await stallingClient(url, '/ingest', 'x', 32);
    expect(await refused.ended).toMatch(/^HTTP\/1\.1 413 /);
    await once(headers, 'close');
    expect(unfinished).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('bounds what bodies being read may buffer in memory, all together, and answers 503 beyond', async () => {
    const { url, context } = await start([{ method: 'POST', path: '/ingest', access: 'ingest', handler: () => json(200, {}) }], { maxBodyBytes: 1024, readTimeout: 30 });
    const buffered = async () => (await context.metrics.bodyBytesBuffered.get()).values[0]?.value;
    // Four bodies of 1000 bytes, each one byte short: 4000 of the 4096 bytes the budget allows.
    const held = await Promise.all(Array.from({ length: 4 }, () => stallingClient(url, '/ingest', 'x'.repeat(1000), 1001)));
    await vi.waitFor(async () => expect(await buffered()).toBe(4000));
    const refused = await rawRequest(`${url}/ingest`, { method: 'POST' }, (request) => request.end('y'.repeat(1000)));
    expect([refused.status, refused.headers['retry-after']]).toEqual([503, '1']);
    expect(await buffered()).toBe(4000);
    expect(held).toHaveLength(4);
  });
});

describe('errors', () => {
  const failWith = (error: unknown): Handler => () => Promise.reject(error);

  it('maps thrown errors to statuses without leaking internals', async () => {
    const { url, context } = await start([
      { method: 'GET', path: '/http-error', access: 'public', handler: failWith(new HttpError(409, 'already there', { 'x-reason': 'conflict' })) },
      { method: 'GET', path: '/invalid', access: 'public', handler: failWith(new FactoError('invalid_argument', 'resourceSpans[0]: bad')) },
      { method: 'GET', path: '/store-down', access: 'public', handler: failWith(new StoreUnavailableError('SQLite store at /secret/facto.db: disk I/O error')) },
      { method: 'GET', path: '/head-moved', access: 'public', handler: failWith(new StoreConflictError('Checkpoint for tree size 9 refused: in /secret/facto.db')) },
      { method: 'GET', path: '/schema-refused', access: 'public', handler: failWith(new StoreRefusedError('CHECK constraint failed: events in /secret/facto.db')) },
      { method: 'GET', path: '/key-refused', access: 'public', handler: failWith(new LogKeyMismatchError('the log key /secret/log-key.pem did not sign the latest checkpoint')) },
      { method: 'GET', path: '/sync-throw', access: 'public', handler: () => JSON.parse('{') as never },
      { method: 'GET', path: '/bug', access: 'public', handler: failWith(new Error('password=hunter2 in /srv/app')) },
      { method: 'GET', path: '/not-an-error', access: 'public', handler: failWith('a thrown string') },
      { method: 'GET', path: '/unserialisable', access: 'public', handler: () => json(200, { big: 1n }) },
    ]);
    const answer = async (path: string) => {
      const response = await fetch(url + path);
      return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after'), reason: response.headers.get('x-reason') };
    };
    expect(await answer('/http-error')).toEqual({ status: 409, body: { error: 'already there' }, retryAfter: null, reason: 'conflict' });
    expect(await answer('/invalid')).toMatchObject({ status: 400, body: { error: 'resourceSpans[0]: bad' } });
    expect(context.storeUnavailableAt).toBeUndefined();
    expect(await answer('/store-down')).toMatchObject({ status: 503, retryAfter: '5', body: { error: 'storage is temporarily unavailable; retry later' } });
    expect(context.storeUnavailableAt).toBeGreaterThan(0);
    const headMoved = await answer('/head-moved');
    expect(headMoved).toMatchObject({ status: 503, retryAfter: '1', body: { error: 'the log head moved during this request; retry' } });
    expect(await answer('/schema-refused')).toMatchObject({ status: 500, retryAfter: null, body: { error: 'internal error' } });
    const keyRefused = await answer('/key-refused');
    expect(keyRefused).toMatchObject({ status: 503, retryAfter: '5', body: { error: expect.stringMatching(/stopping: its log key does not sign this log/) } });
    expect(JSON.stringify(keyRefused.body)).not.toMatch(/secret|pem/);
    for (const path of ['/bug', '/not-an-error', '/unserialisable', '/sync-throw']) expect(await answer(path)).toMatchObject({ status: 500, body: { error: 'internal error' } });
    const errors = context.logEntries.filter((entry) => entry.level === 'error');
    expect(errors.map((entry) => entry.message)).toEqual([
      'store unavailable; answering 503 until it works again',
      'the store refused a write decided on a stale head; answering 503',
      'the store refused a write; answering 500',
      'request failed', 'request failed', 'request failed', 'request failed']);
    expect(String(errors[3]!.fields.error)).toMatch(/password=hunter2[\s\S]*server\.test\.ts/);
    expect((await fetch(`${url}/invalid`)).status).toBe(400);
  });

  it('logs every request at debug level, without headers or bodies', async () => {
    const { url, context } = await start([{ method: 'POST', path: '/upload', access: 'public', handler: echo }]);
    await fetch(`${url}/upload?q=1`, { method: 'POST', headers: { authorization: 'Bearer secret' }, body: 'body-secret' });
    const entry = context.logEntries.find((candidate) => candidate.message === 'http request')!;
    expect(entry).toMatchObject({ level: 'debug', fields: { method: 'POST', path: '/upload', status: 200 } });
    expect(Object.keys(entry.fields).sort()).toEqual(['durationMillis', 'method', 'path', 'status']);
  });
});
