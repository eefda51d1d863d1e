/**
 * Streamed answers through the Node server: chunks in order without a Content-Length, a producer held
 * back by a slow reader instead of buffered ahead of it, its cleanup run when the client leaves, and a
 * failure midway cut off rather than passed as a complete body.
 */
import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeServer, fakeContext, listen } from '../test-helpers/http-test-context.js';
import { createApp } from './app.js';
import { createHttpServer } from './server.js';
import type { HttpRequest, Route } from './types.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

async function start(handler: (request: HttpRequest) => AsyncIterable<Uint8Array>) {
  const context = fakeContext();
  const routes: Route[] = [{ method: 'GET', path: '/stream', access: 'public', handler: (request) => ({ status: 200, headers: { 'content-type': 'text/plain' }, stream: handler(request) }) }];
  const server = createHttpServer({ routes, context });
  servers.push(server);
  return { url: await listen(server), context, server };
}

const text = (value: string) => new TextEncoder().encode(value);

describe('streamed responses', () => {
  it('sends the chunks in order, chunked, with the handler headers', async () => {
    const { url } = await start(async function* () {
      for (const part of ['one ', 'two ', 'three']) yield text(part);
    });
    const response = await fetch(`${url}/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(await response.text()).toBe('one two three');
  });

  it('answers HEAD without pulling a single chunk', async () => {
    let pulls = 0;
    const { url } = await start(async function* () {
      pulls++;
      yield text('never');
    });
    const response = await fetch(`${url}/stream`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(pulls).toBe(0);
  });

  it('is passed through the dispatch unchanged, for adapters and tests', async () => {
    const app = createApp({ context: fakeContext(), routes: [{ method: 'GET', path: '/stream', access: 'public', handler: () => ({ status: 200, stream: (async function* () { yield text('x'); })() }) }] });
    const prepared = await app.request('GET', '/stream');
    expect(prepared.headers).toEqual({ 'content-type': 'application/octet-stream' });
    const chunks: string[] = [];
    for await (const chunk of prepared.stream!) chunks.push(new TextDecoder().decode(chunk));
    expect(chunks).toEqual(['x']);
  });

  it('pulls no further ahead of a slow reader than the socket buffers, and delivers everything once it reads', async () => {
    const chunkBytes = 64 * 1024;
    const total = 1024; // 64 MiB, far beyond any socket buffer
    let pulled = 0;
    let received = 0;
    let largestLead = 0;
    const { url, server } = await start(async function* () {
      for (let index = 0; index < total; index++) {
        largestLead = Math.max(largestLead, (pulled + 1) * chunkBytes - received);
        pulled++;
        yield new Uint8Array(chunkBytes);
      }
    });
    let serverResponse: http.ServerResponse | undefined;
    server.on('request', (_incoming, outgoing: http.ServerResponse) => (serverResponse = outgoing));

    const response = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${url}/stream`, resolve).on('error', reject));
    response.pause();
    // The reader is stalled: the server fills the socket, then must wait for it to drain.
    await vi.waitFor(() => expect(serverResponse?.writableNeedDrain).toBe(true));
    const pulledWhileStalled = pulled;
    const done = new Promise<void>((resolve) => response.on('end', resolve));
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    response.resume();
    await done;

    expect(received).toBe(total * chunkBytes);
    expect(pulledWhileStalled).toBeLessThan(total / 4);
    // Without back-pressure the producer would run the whole 64 MiB ahead of the reader.
    expect(largestLead).toBeLessThan(16 * 1024 * 1024);
  });

  it('aborts the request signal and runs the stream cleanup when the client leaves', async () => {
    let cleanedUp = false;
    let signal: AbortSignal | undefined;
    const { url } = await start(async function* (request) {
      signal = request.signal;
      try {
        yield text('first');
        // Waits for the next commit, as the event stream does, until the client leaves.
        await new Promise<void>((resolve) => request.signal!.addEventListener('abort', () => resolve(), { once: true }));
        yield text('after the client left');
      } finally {
        cleanedUp = true;
      }
    });
    const client = new AbortController();
    const response = await fetch(`${url}/stream`, { signal: client.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first');
    client.abort();
    await vi.waitFor(() => expect(cleanedUp).toBe(true));
    expect(signal!.aborted).toBe(true);
  });

  it('cuts the connection when the stream fails midway, so the body never looks complete, and logs it', async () => {
    const { url, context } = await start(async function* () {
      yield text('partial ');
      throw new Error('store went away');
    });
    const response = await fetch(`${url}/stream`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(context.logEntries).toContainEqual({ level: 'error', message: 'a streamed response failed midway; closing its connection', fields: { path: '/stream', error: 'store went away' } });
  });
});
