/**
 * Draining the server at shutdown, over real sockets: keep-alive connections that stay busy must not
 * keep being served. A request that arrives once the drain began is refused (503, Retry-After, the
 * route's failure body, Connection: close) without being run; an answer in flight goes out with
 * Connection: close; and the drain ends with the work in flight, not at the grace.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IngestOutcome } from '../ingest/ingest-service.js';
import { decodeFailureStatus } from '../otlp/encode-status.js';
import { closeServer, fakeContext, listen, parseRawAnswer, rawRequest, traceRequest } from '../test-helpers/http-test-context.js';
import { ingestRoutes } from './ingest-route.js';
import { createHttpServer } from './server.js';
import type { CollectorConfig } from '../config.js';
import { json, type Route } from './types.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

// Long enough that a drain which ends at the grace cannot pass for one that ended with its work.
const GRACE_MILLIS = 60_000;

/** A promise and the function that settles it. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

const accepted = (received: number): IngestOutcome => ({ received, accepted: received, duplicates: 0, rejected: 0, unverified: 0, rejectedByReason: {}, errorMessage: '', forward: [], forwarding: 'none' });

async function start(ingest: () => Promise<IngestOutcome>, extraRoutes: Route[] = []) {
  const context = fakeContext({ ingest });
  const server = createHttpServer({ routes: [...ingestRoutes(context), ...extraRoutes], context });
  servers.push(server);
  return { url: await listen(server), server, context };
}

describe('draining the server', () => {
  it('answers an ingest request in flight with Connection: close, and ends with it, long before the grace', async () => {
    const release = gate();
    const ingestStarted = gate();
    const ingest = vi.fn(async () => {
      ingestStarted.open();
      await release.promise;
      return accepted(3);
    });
    const { url, server } = await start(ingest);
    const agent = new http.Agent({ keepAlive: true });
    const answer = rawRequest(`${url}/v1/traces`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (request) => request.end(traceRequest([[3]]).json));
    await ingestStarted.promise;
    const onGraceOver = vi.fn();
    const drained = server.drain({ graceMillis: GRACE_MILLIS, onGraceOver });
    release.open();
    const response = await answer;
    expect([response.status, response.headers.connection]).toEqual([200, 'close']);
    await drained;
    expect(onGraceOver).not.toHaveBeenCalled();
    agent.destroy();
  });

  it('refuses a request that arrives during the drain with 503, Retry-After and a Status in its encoding, without running it', async () => {
    const ingest = vi.fn(async () => accepted(1));
    const { server, context, busy } = await startWithBusyConnection(ingest);
    const onGraceOver = vi.fn();
    const drained = server.drain({ graceMillis: GRACE_MILLIS, onGraceOver });
    const body = traceRequest([[1]]).protobuf;
    busy.socket.write(`POST /v1/traces HTTP/1.1\r\nHost: collector\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${body.length}\r\n\r\n`);
    busy.socket.write(body);
    // Held until the server has read the pipelined request: its refusal waits behind the stream.
    await vi.waitFor(async () => expect((await context.metrics.requests.get()).values).toHaveLength(1), { timeout: 10_000 });
    const received = await busy.finish();
    await drained;

    const refusal = parseRawAnswer(received.slice(received.indexOf('HTTP/1.1 503')));
    expect(refusal).toMatchObject({ statusLine: 'HTTP/1.1 503 Service Unavailable', headers: { 'retry-after': '5', connection: 'close', 'content-type': 'application/x-protobuf' } });
    expect(decodeFailureStatus(refusal.body)).toEqual({ code: 14, message: 'the collector is shutting down; retry later' });
    expect(ingest).not.toHaveBeenCalled();
    expect((await context.metrics.requests.get()).values.map((value) => [value.labels.status, value.value])).toEqual([['503', 1]]);
    expect(onGraceOver).not.toHaveBeenCalled();
  });

  it('refuses every route during the drain, in JSON where the route answers JSON, whatever the token', async () => {
    const { server, busy, handled } = await startWithBusyConnection(async () => accepted(0), { queryToken: 'secret' });
    const drained = server.drain({ graceMillis: GRACE_MILLIS });
    busy.socket.write('GET /v1/log HTTP/1.1\r\nHost: collector\r\nAuthorization: Bearer wrong\r\n\r\n');
    await vi.waitFor(() => expect(handled()).toBe(2), { timeout: 10_000 });
    const received = await busy.finish();
    await drained;
    const refusal = parseRawAnswer(received.slice(received.indexOf('HTTP/1.1 503')));
    expect(refusal).toMatchObject({ statusLine: 'HTTP/1.1 503 Service Unavailable', headers: { 'retry-after': '5', connection: 'close', 'content-type': 'application/json' } });
    expect(JSON.parse(Buffer.from(refusal.body).toString('utf8'))).toEqual({ error: 'the collector is shutting down; retry later' });
  });
});

/**
 * A server with a connection kept busy by a streamed answer begun before any drain (so it went out
 * keep-alive): the client can send its next request on it (pipelined) once the drain began, which
 * the server reads at once and answers after the stream. finish() ends the stream and resolves with
 * everything the client read, once the server closed the connection.
 */
async function startWithBusyConnection(ingest: () => Promise<IngestOutcome>, config: Partial<CollectorConfig> = {}) {
  const streamGate = gate();
  const routes: Route[] = [
    {
      method: 'GET',
      path: '/slow',
      access: 'public',
      streams: true,
      handler: () => ({
        status: 200,
        stream: (async function* () {
          await streamGate.promise;
          yield new TextEncoder().encode('done');
        })(),
      }),
    },
    { method: 'GET', path: '/v1/log', access: 'query', handler: () => json(200, {}) },
  ];
  const context = fakeContext({ ingest, config });
  const server = createHttpServer({ routes: [...ingestRoutes(context), ...routes], context });
  servers.push(server);
  let handled = 0;
  server.on('request', () => handled++);
  const url = await listen(server);
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.write('GET /slow HTTP/1.1\r\nHost: collector\r\n\r\n');
  await vi.waitFor(() => expect(received).toContain('\r\n\r\n'), { timeout: 10_000 });
  expect(received).toMatch(/connection: keep-alive/i);
  const finish = async () => {
    streamGate.open();
    await once(socket, 'close');
    return received;
  };
  return { server, context, busy: { socket, finish }, handled: () => handled };
}
