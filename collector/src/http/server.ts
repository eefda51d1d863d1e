/**
 * The collector's HTTP server on node:http. It matches a request to a route, checks the route's bearer
 * token and the ingest concurrency limit, reads the body within the size limit (gzip and deflate
 * decompressed, with the limit applied to the decompressed bytes too), runs the handler and turns what
 * it returns or throws into a response. Every failure ends as a status code; none reaches the process.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { FactoError } from '@facto/core';
import type { CollectorConfig } from '../config.js';
import type { CollectorContext } from '../context.js';
import type { Logger } from '../ops/logger.js';
import { StoreUnavailableError } from '../store/errors.js';
import { HttpError, json, type Access, type HttpResponse, type Route } from './types.js';

export interface HttpServerOptions {
  readonly routes: readonly Route[];
  readonly context: CollectorContext;
}

// A client that trickles its headers or body must not hold a connection (or an ingest slot) for long.
const HEADERS_TIMEOUT_MILLIS = 30_000;
const REQUEST_TIMEOUT_MILLIS = 120_000;

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
}

/** A response ready for the socket: lower-case headers, the body as bytes. */
type PreparedResponse = { readonly status: number; readonly headers: Record<string, string>; readonly body: Uint8Array };

/** The client went away before its body arrived: there is nobody left to answer. */
class ClientGoneError extends Error {}

export function createHttpServer(options: HttpServerOptions): http.Server {
  const { context } = options;
  const routes = compileRoutes(options.routes);
  let ingestInFlight = 0;

  const server = http.createServer((incoming, outgoing) => {
    const startedAt = performance.now();
    const method = incoming.method ?? 'GET';
    const url = requestUrl(incoming.url);
    let access: Access | undefined;

    const run = async (): Promise<HttpResponse> => {
      if (url === undefined) throw new HttpError(400, 'the request target must be a path, such as /v1/traces');
      const { route, params } = findRoute(routes, method, url.pathname);
      access = route.access;
      authorize(route.access, incoming.headers.authorization, context.config);
      const limited = route.access === 'ingest';
      // Answer at once rather than queue: the exporter retries, and a queue would only hold memory.
      if (limited && ingestInFlight >= context.config.maxConcurrentIngest) {
        throw new HttpError(503, 'too many ingest requests in flight; retry later', { 'retry-after': '1' });
      }
      if (limited) ingestInFlight++;
      try {
        const body = await readBody(incoming, context.config.maxBodyBytes);
        const headers = Object.fromEntries(Object.entries(incoming.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
        return await route.handler({ method, url, headers, params, body, remoteAddress: incoming.socket.remoteAddress ?? '' });
      } finally {
        if (limited) ingestInFlight--;
      }
    };

    run()
      .then(prepare)
      .catch((error: unknown) => prepare(errorResponse(error, context.logger)))
      .then((response) => {
        if (access === 'ingest') context.metrics.requests.inc({ status: String(response.status) });
        context.logger.debug('http request', { method, path: url?.pathname ?? '-', status: response.status, durationMillis: Math.round(performance.now() - startedAt) });
        if (outgoing.destroyed) return;
        // Body bytes still on the wire would be read as the next request: close the connection instead.
        if (!incoming.complete) response.headers.connection = 'close';
        outgoing.writeHead(response.status, response.headers).end(response.body);
      })
      .catch((error: unknown) => {
        context.logger.error('could not send a response', { error: error instanceof Error ? error.stack : String(error) });
        outgoing.destroy();
      });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MILLIS;
  server.requestTimeout = REQUEST_TIMEOUT_MILLIS;
  return server;
}

// Only origin-form targets (/path?query) are served; the host is a placeholder, as handlers read only
// the path and the query.
function requestUrl(target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  const text = `http://collector${target}`;
  return URL.canParse(text) ? new URL(text) : undefined;
}

const isParameter = (segment: string) => segment.startsWith('{') && segment.endsWith('}');

function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  const compiled = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  // A literal segment wins over a parameter in the same place, so /v1/checkpoints/latest is not taken
  // for a tree size. The sort is stable: otherwise the order given is kept.
  return compiled.sort((first, second) => {
    for (let index = 0; index < Math.min(first.segments.length, second.segments.length); index++) {
      const difference = Number(isParameter(first.segments[index]!)) - Number(isParameter(second.segments[index]!));
      if (difference !== 0) return difference;
    }
    return 0;
  });
}

function findRoute(routes: readonly CompiledRoute[], method: string, pathname: string): { route: Route; params: Record<string, string> } {
  const pathSegments = pathname.split('/').slice(1);
  const allowed = new Set<string>();
  for (const { route, segments } of routes) {
    const params = matchSegments(segments, pathSegments);
    if (params === undefined) continue;
    // node:http leaves the body out of a HEAD answer by itself.
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
    allowed.add(route.method);
  }
  if (allowed.size === 0) throw new HttpError(404, `no such path: ${pathname}`);
  throw new HttpError(405, `method ${method} is not allowed on ${pathname}`, { allow: [...allowed].join(', ') });
}

function matchSegments(segments: readonly string[], pathSegments: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== pathSegments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    const actual = pathSegments[index]!;
    if (!isParameter(segment)) {
      if (segment !== actual) return undefined;
      continue;
    }
    if (actual === '') return undefined;
    try {
      params[segment.slice(1, -1)] = decodeURIComponent(actual);
    } catch {
      throw new HttpError(400, `malformed percent-encoding in path segment ${JSON.stringify(actual)}`);
    }
  }
  return params;
}

const TOKEN_SETTINGS = { ingest: 'ingestToken', query: 'queryToken', admin: 'adminToken' } as const;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function authorize(access: Access, authorization: string | undefined, config: CollectorConfig): void {
  const expected = access === 'public' ? undefined : config[TOKEN_SETTINGS[access]];
  if (expected === undefined) return;
  const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  // Comparing digests gives timingSafeEqual the equal lengths it needs and hides the token's length.
  if (presented !== undefined && timingSafeEqual(digest(presented), digest(expected))) return;
  throw new HttpError(401, presented === undefined ? 'missing bearer token' : 'invalid bearer token', { 'www-authenticate': 'Bearer' });
}

function decompressorFor(encoding: string): Transform | undefined {
  if (encoding === '' || encoding === 'identity') return undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.createGunzip();
  if (encoding === 'deflate') return zlib.createInflate();
  throw new HttpError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}; accepted: gzip, deflate, identity`);
}

const tooLarge = (maxBytes: number) => new HttpError(413, `request body exceeds ${maxBytes} bytes (the limit applies after decompression too)`);

function readBody(incoming: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (Number(incoming.headers['content-length'] ?? 0) > maxBytes) throw tooLarge(maxBytes);
  const encoding = (incoming.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decompressor = decompressorFor(encoding);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    let bodyBytes = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      if (decompressor !== undefined) {
        incoming.unpipe(decompressor);
        decompressor.destroy();
      }
      reject(error);
    };
    incoming.on('data', (chunk: Buffer) => {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBytes) fail(tooLarge(maxBytes));
    });
    const output = decompressor ?? incoming;
    output.on('data', (chunk: Buffer) => {
      if (settled) return;
      bodyBytes += chunk.length;
      // Checked per output chunk, so a gzip bomb costs at most the limit plus one chunk of memory.
      if (bodyBytes > maxBytes) fail(tooLarge(maxBytes));
      else chunks.push(chunk);
    });
    output.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, bodyBytes));
    });
    decompressor?.on('error', (error) => fail(new HttpError(400, `corrupt ${encoding} body: ${error.message}`)));
    incoming.on('error', () => fail(new ClientGoneError('client connection failed')));
    incoming.on('close', () => {
      if (!incoming.complete) fail(new ClientGoneError('client closed the connection before the body ended'));
    });
    if (decompressor !== undefined) incoming.pipe(decompressor);
  });
}

function errorResponse(error: unknown, logger: Logger): HttpResponse {
  if (error instanceof HttpError) return json(error.status, { error: error.message }, { ...error.headers });
  if (FactoError.isInstance(error) && (error.code === 'invalid_argument' || error.code === 'record_format')) {
    return json(400, { error: error.message });
  }
  if (error instanceof StoreUnavailableError) {
    logger.error('store unavailable; answering 503', { error: error.message });
    return json(503, { error: 'storage is temporarily unavailable; retry later' }, { 'retry-after': '5' });
  }
  if (error instanceof ClientGoneError) {
    logger.debug('client went away', { reason: error.message });
    return json(400, { error: error.message });
  }
  logger.error('request failed', { error: error instanceof Error ? error.stack : String(error) });
  return json(500, { error: 'internal error' });
}

function prepare(response: HttpResponse): PreparedResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  let body: Uint8Array;
  if (response.body === undefined) body = new Uint8Array(0);
  else if (response.body instanceof Uint8Array) {
    body = response.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else if (typeof response.body === 'string') {
    body = Buffer.from(response.body, 'utf8');
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else {
    body = Buffer.from(JSON.stringify(response.body), 'utf8');
    headers['content-type'] ??= 'application/json';
  }
  headers['content-length'] = String(body.byteLength);
  return { status: response.status, headers, body };
}
