/**
 * The Node adapter around the collector's dispatch (app.ts): it reads a request's head, lets the
 * dispatch route and authorise it, reads the body within the limits (size after decompression, time,
 * and a memory budget shared by every request being read), hands it to the dispatch and writes the
 * answer. Every failure ends as a status code; none reaches the process.
 *
 * Slow clients: reading a body holds no ingest slot (the dispatch takes one only for the work), and
 * what bodies in flight may buffer is bounded. The read timeout is the collector's own from the head
 * on: a body still arriving when it runs out is answered 408 the way its route writes failures (OTLP
 * ingest: a google.rpc.Status in the request's encoding), counted, and its connection closed. Only
 * headers that never complete are left to Node's headersTimeout, whose bare 408 cannot name an
 * encoding nobody sent.
 * Too-large bodies: the 413 is sent at once, and the rest of the body is read and discarded (up to a
 * bound) rather than the connection dropped, so a client still writing its request gets the answer
 * instead of a broken pipe, and can split its batch.
 *
 * Streamed answers (server-sent events, exports): the next chunk is pulled from the handler's stream
 * only after the socket took the previous one (write() said so, or 'drain' came), so what one slow
 * reader costs is the socket's buffer, never the whole answer. When the client leaves, the request's
 * signal aborts and the stream is closed, which runs its cleanup.
 *
 * Shutdown (drain()): the server stops taking requests, also on keep-alive connections that stay
 * busy, where closing the listener and the idle connections once does not reach: a request arriving
 * after that is answered 503 without being run, and every answer carries Connection: close, so each
 * connection ends after the answer it is waiting for and the drain ends with the work in flight.
 */
import http from 'node:http';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { CollectorContext } from '../context.js';
import { createApp, type App, type PreparedResponse, type RequestHead, type RouteMatch } from './app.js';
import { HttpError, type Route } from './types.js';

/** A node:http server that can stop taking requests while it finishes the ones in flight. */
export interface CollectorHttpServer extends http.Server {
  /**
   * Stops taking requests, and resolves once every connection has ended: the listener and the idle
   * connections close at once; a request arriving on a connection still open is answered 503 with
   * Retry-After (in its route's failure body) and not run; every answer from now on carries
   * Connection: close. After `graceMillis`, `onGraceOver` runs and the connections still open (an
   * answer whose reader stopped reading, a request body still trickling in) are cut, so a drain always
   * ends. Calling it again returns the same drain.
   */
  drain(options: { readonly graceMillis: number; readonly onGraceOver?: () => void }): Promise<void>;
}

export interface HttpServerOptions {
  readonly routes: readonly Route[];
  readonly context: CollectorContext;
}

/** Bodies being read may hold at most this many times --max-body-bytes in memory, all together. */
const BUFFER_BUDGET_BODIES = 4;
/** After a 413, up to this many times --max-body-bytes more are read and discarded before the connection is closed. */
const DRAIN_BODIES = 4;
/** Retry-After for a request refused because the collector is stopping: a restart, or another instance, takes over. */
const STOPPING_RETRY_AFTER_SECONDS = '5';

type BodyResult = { readonly kind: 'body'; readonly body: Buffer } | { readonly kind: 'refused'; readonly error: HttpError } | { readonly kind: 'gone' };

export function createHttpServer(options: HttpServerOptions): CollectorHttpServer {
  const { context } = options;
  const app = createApp(options);
  const readTimeoutMillis = context.config.readTimeout * 1000;
  const budget = new ByteBudget(BUFFER_BUDGET_BODIES * context.config.maxBodyBytes, (held) => context.metrics.bodyBytesBuffered.set(held));
  let draining: Promise<void> | undefined;

  const server = http.createServer(
    // How often Node checks the headers timeout: often enough that a short read timeout holds.
    { connectionsCheckingInterval: Math.max(50, Math.min(1000, readTimeoutMillis / 4)) },
    (incoming, outgoing) => {
      const startedAt = performance.now();
      const head: RequestHead = {
        method: incoming.method ?? 'GET',
        target: incoming.url ?? '',
        headers: Object.fromEntries(Object.entries(incoming.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value])),
        remoteAddress: incoming.socket.remoteAddress ?? '',
      };
      const matched = draining === undefined ? app.route(head) : app.refuse(head, new HttpError(503, 'the collector is shutting down; retry later', { 'retry-after': STOPPING_RETRY_AFTER_SECONDS }));
      // Aborted when the connection closes before the answer is complete. Not after: an abort makes a
      // DOMException with a stack trace, which every request would pay for in CPU and garbage.
      const clientGone = new AbortController();
      outgoing.once('close', () => {
        if (!outgoing.writableFinished) clientGone.abort();
        // An answer begun before the drain went out as keep-alive: its connection is idle now, and ends.
        else if (draining !== undefined) server.closeIdleConnections();
      });
      const readExpired = readDeadline(incoming, outgoing, readTimeoutMillis);
      const answered = 'route' in matched ? respond(app, matched, incoming, context, budget, clientGone.signal, readExpired) : Promise.resolve(matched);
      answered
        .then((response) => {
          if (response === undefined) return;
          // Refused before its body (a 401) counts too: an exporter with a wrong token must show.
          const access = 'route' in matched ? matched.route.access : matched.access;
          if (access === 'ingest') context.metrics.requests.inc({ status: String(response.status) });
          context.logger.debug('http request', { method: head.method, path: pathOf(head.target), status: response.status, durationMillis: Math.round(performance.now() - startedAt) });
          const closeConnection = draining !== undefined;
          if (response.stream !== undefined) return sendStream(incoming, outgoing, response, response.stream, context, closeConnection);
          send(incoming, outgoing, response, context.config.maxBodyBytes, closeConnection || readExpired.aborted);
          return undefined;
        })
        .catch((error: unknown) => {
          context.logger.error('could not send a response', { error: error instanceof Error ? error.stack : String(error) });
          outgoing.destroy();
        });
    },
  );
  // Headers that never complete are Node's to end (with a bare 408: no route, no encoding to answer
  // in); from the head on, readDeadline() keeps the time, so the 408 is the collector's own answer.
  server.headersTimeout = readTimeoutMillis;
  server.requestTimeout = 0;
  const drain = ({ graceMillis, onGraceOver }: { readonly graceMillis: number; readonly onGraceOver?: () => void }) =>
    (draining ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      const cut = setTimeout(() => {
        onGraceOver?.();
        server.closeAllConnections();
      }, graceMillis);
      cut.unref();
      server.once('close', () => clearTimeout(cut));
    }));
  return Object.assign(server, { drain });
}

/**
 * The read timeout of one request, from its head to the end of its body: aborted when the body is
 * still arriving after `millis`. readBody() then answers 408; an answer already sent (a 413 whose
 * rest is being discarded, a 401) has its connection closed instead, as no second answer can follow.
 */
function readDeadline(incoming: http.IncomingMessage, outgoing: http.ServerResponse, millis: number): AbortSignal {
  const expired = new AbortController();
  const timer = setTimeout(() => {
    if (incoming.complete) return;
    expired.abort();
    if (outgoing.headersSent) incoming.socket.destroy();
  }, millis);
  // Not the answer's end: a body may still be arriving after it (the rest of a refused one, discarded).
  const clear = () => {
    clearTimeout(timer);
    incoming.socket.off('close', clear);
  };
  incoming.once('end', clear);
  incoming.socket.once('close', clear);
  return expired.signal;
}

/** Reads the body and runs the route; undefined when the client left and nobody is there to answer. */
async function respond(app: App, matched: RouteMatch, incoming: http.IncomingMessage, context: CollectorContext, budget: ByteBudget, signal: AbortSignal, readExpired: AbortSignal): Promise<PreparedResponse | undefined> {
  let read: BodyResult;
  try {
    read = await readBody(incoming, context.config.maxBodyBytes, budget, readExpired, context.config.readTimeout);
  } catch (error) {
    return app.fail(error, matched);
  }
  if (read.kind === 'gone') {
    context.logger.debug('client went away before its body ended', { path: matched.url.pathname });
    return undefined;
  }
  if (read.kind === 'refused') return app.fail(read.error, matched);
  return app.handle(matched, read.body, signal);
}

function pathOf(target: string): string {
  return target.startsWith('/') ? target.split('?')[0]! : '-';
}

function send(incoming: http.IncomingMessage, outgoing: http.ServerResponse, response: PreparedResponse, maxBodyBytes: number, closeConnection: boolean): void {
  if (outgoing.destroyed) return;
  const headers = { ...response.headers };
  // The connection ends after this answer (draining, or the read timeout ran out): the rest of a body still arriving is not waited for.
  if (closeConnection) headers.connection = 'close';
  else if (!incoming.complete) {
    // Node reads and discards the rest of this request's body after the answer (so it is not taken
    // for the next request); past the drain bound the connection is closed instead.
    const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
    if (declared > DRAIN_BODIES * maxBodyBytes) headers.connection = 'close';
    else {
      let drained = 0;
      incoming.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > DRAIN_BODIES * maxBodyBytes) incoming.socket.destroy();
      });
    }
  }
  outgoing.writeHead(response.status, headers).end(response.body);
}

/** Resolves when the socket wants more ('drain') or will take no more ('close'). */
function writable(outgoing: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (outgoing.destroyed) return resolve();
    const done = () => {
      outgoing.off('drain', done);
      outgoing.off('close', done);
      resolve();
    };
    outgoing.on('drain', done);
    outgoing.on('close', done);
  });
}

/**
 * Writes a streamed answer, pulling one chunk at a time and waiting for the socket between them. A
 * failure after the headers went out cannot change the status, so it cuts the connection: the client
 * sees an incomplete chunked body, never a complete-looking one.
 */
async function sendStream(incoming: http.IncomingMessage, outgoing: http.ServerResponse, response: PreparedResponse, stream: AsyncIterable<Uint8Array>, context: CollectorContext, closeConnection: boolean): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    if (outgoing.destroyed) return;
    outgoing.writeHead(response.status, closeConnection ? { ...response.headers, connection: 'close' } : response.headers);
    // Headers at once: an event stream may have nothing to say for a while.
    outgoing.flushHeaders();
    if (incoming.method === 'HEAD') {
      outgoing.end();
      return;
    }
    while (!outgoing.destroyed) {
      const next = await iterator.next();
      if (next.done === true) {
        finished = true;
        break;
      }
      if (outgoing.destroyed) break;
      if (!outgoing.write(next.value)) await writable(outgoing);
    }
    if (finished && !outgoing.destroyed) outgoing.end();
  } catch (error) {
    context.logger.error('a streamed response failed midway; closing its connection', { path: pathOf(incoming.url ?? ''), error: error instanceof Error ? error.message : String(error) });
    outgoing.destroy();
  } finally {
    // Runs the stream's own cleanup when it was left before its end (client gone, HEAD, failure).
    if (!finished) await iterator.return?.().catch(() => undefined);
  }
}

/** Bytes held by bodies being read, across all connections. */
class ByteBudget {
  readonly #limit: number;
  readonly #report: (held: number) => void;
  #held = 0;

  constructor(limit: number, report: (held: number) => void) {
    this.#limit = limit;
    this.#report = report;
  }

  take(bytes: number): boolean {
    if (this.#held + bytes > this.#limit) return false;
    this.#held += bytes;
    this.#report(this.#held);
    return true;
  }

  give(bytes: number): void {
    if (bytes === 0) return;
    this.#held -= bytes;
    this.#report(this.#held);
  }
}

function decompressorFor(encoding: string): Transform | undefined {
  if (encoding === '' || encoding === 'identity') return undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.createGunzip();
  if (encoding === 'deflate') return zlib.createInflate();
  throw new HttpError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}; accepted: gzip, deflate, identity`);
}

const tooLarge = (maxBytes: number) => new HttpError(413, `request body exceeds ${maxBytes} bytes (the limit applies after decompression too)`);

function readBody(incoming: http.IncomingMessage, maxBytes: number, budget: ByteBudget, expired: AbortSignal, timeoutSeconds: number): Promise<BodyResult> {
  if (Number(incoming.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve({ kind: 'refused', error: tooLarge(maxBytes) });
  const encoding = (incoming.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decompressor = decompressorFor(encoding);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    let heldBytes = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      budget.give(heldBytes);
      heldBytes = 0;
      if (result.kind !== 'body') {
        chunks.length = 0;
        if (decompressor !== undefined) {
          incoming.unpipe(decompressor);
          decompressor.destroy();
        }
      }
      resolve(result);
    };
    incoming.on('data', (chunk: Buffer) => {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBytes) settle({ kind: 'refused', error: tooLarge(maxBytes) });
    });
    const output = decompressor ?? incoming;
    output.on('data', (chunk: Buffer) => {
      if (settled) return;
      // Checked per output chunk, so a gzip bomb costs at most the limit plus one chunk of memory.
      if (heldBytes + chunk.length > maxBytes) return settle({ kind: 'refused', error: tooLarge(maxBytes) });
      if (!budget.take(chunk.length)) return settle({ kind: 'refused', error: new HttpError(503, 'the collector is reading too many request bodies at once; retry later', { 'retry-after': '1' }) });
      heldBytes += chunk.length;
      chunks.push(chunk);
    });
    output.on('end', () => {
      if (settled) return;
      const body = Buffer.concat(chunks, heldBytes);
      // The listeners live as long as the handler: let the pieces go, or every body is held twice.
      chunks.length = 0;
      settle({ kind: 'body', body });
    });
    decompressor?.on('error', (error) => settle({ kind: 'refused', error: new HttpError(400, `corrupt ${encoding} body: ${error.message}`) }));
    const timedOut = () => settle({ kind: 'refused', error: new HttpError(408, `the request body did not arrive within ${timeoutSeconds} s of its headers`) });
    if (expired.aborted) return timedOut();
    expired.addEventListener('abort', timedOut, { once: true });
    incoming.on('error', () => settle({ kind: 'gone' }));
    incoming.on('close', () => {
      if (!incoming.complete) settle({ kind: 'gone' });
    });
    if (decompressor !== undefined) incoming.pipe(decompressor);
  });
}
