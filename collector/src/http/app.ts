/**
 * The collector's one HTTP dispatch, free of node:http (as Hono's app is): it matches a request to a
 * route, checks the route class's bearer token, runs the handler with the ingest concurrency limit,
 * and turns what the handler returns or throws into a response. The Node server (server.ts) is a thin
 * adapter around it that reads bodies off sockets; tests call `request()` directly and so exercise
 * the same routing, token checks and error mapping as production.
 *
 * Dispatch has two steps because the body comes in between: `route()` decides from the request head
 * alone (so a request that will be refused is never read), `handle()` runs the matched route on the
 * body once it has been read.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { FactoError } from '@facto/core';
import type { CollectorConfig } from '../config.js';
import type { CollectorContext } from '../context.js';
import { LogKeyMismatchError } from '../log/log-key.js';
import type { Logger } from '../ops/logger.js';
import { StoreConflictError, StoreRefusedError, StoreUnavailableError } from '../store/errors.js';
import { HttpError, json, type Access, type Failure, type HttpResponse, type Route } from './types.js';
import { StoreOutage } from './store-outage.js';

/** A response ready for the socket: lower-case headers, the body as bytes, or a stream of them (then `body` is empty). */
export interface PreparedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly stream?: AsyncIterable<Uint8Array>;
  /** The access of the route the request was for, when one matched even though it was refused (a 401): for the metrics. */
  readonly access?: Route['access'];
}

/** What is known of a request before its body: method, target and headers (lower-case names). */
export interface RequestHead {
  readonly method: string;
  /** The request target as sent (origin form: /path?query). */
  readonly target: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly remoteAddress: string;
}

/** A request that may go ahead: its route, path parameters and parsed URL. */
export interface RouteMatch {
  readonly head: RequestHead;
  readonly route: Route;
  readonly url: URL;
  readonly params: Record<string, string>;
}

export interface App {
  /** Routing and authorisation from the head alone: a match to read the body for, or the answer. */
  route(head: RequestHead): RouteMatch | PreparedResponse;
  /** Runs a matched route on its body; `signal` aborts when the client leaves. Never throws: every failure is a response. */
  handle(match: RouteMatch, body: Uint8Array, signal?: AbortSignal): Promise<PreparedResponse>;
  /** Both steps at once: one request through the whole dispatch, for tests and other adapters. */
  request(method: string, target: string, init?: { headers?: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal }): Promise<PreparedResponse>;
  /**
   * Answers `error` without running the request (the collector is stopping), written as the route
   * the request names writes its failures, whatever its token: a refusal that runs nothing tells
   * nothing.
   */
  refuse(head: RequestHead, error: unknown): PreparedResponse;
  /**
   * Turns any failure into its response (the adapter's own failures, such as a body over the limit),
   * written as the matched route writes its failures, if a route was matched.
   */
  fail(error: unknown, match?: RouteMatch): PreparedResponse;
}

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
}

export function createApp(options: { readonly routes: readonly Route[]; readonly context: CollectorContext }): App {
  const { context } = options;
  const routes = compileRoutes(options.routes);
  let ingestInFlight = 0;
  // Streamed answers open now: each holds a page and a socket buffer for as long as its reader takes.
  let streamsOpen = 0;
  const { streamsOpen: openGauge, streamsMax, ingestInFlight: ingestGauge, ingestMaxConcurrent } = context.metrics;
  streamsMax.set(context.config.maxStreams);
  ingestMaxConcurrent.set(context.config.maxConcurrentIngest);
  // The limit is checked on the count above (prom-client reads a gauge back only asynchronously); the
  // gauge follows it step by step for /metrics.
  const takeStreamSlot = () => {
    streamsOpen++;
    openGauge.inc();
  };
  const releaseStreamSlot = () => {
    streamsOpen--;
    openGauge.dec();
  };

  const outage = new StoreOutage(context.logger);
  const fail = (error: unknown, match?: Pick<RouteMatch, 'head' | 'route'>) => {
    const failure = describeFailure(error, context.logger);
    if (StoreUnavailableError.isInstance(error)) {
      // One damaged row (its read fails, the rest work) does not take the collector out of service;
      // a damaged file fails /readyz's own read.
      if (!error.damaged) context.storeUnavailableAt = Date.now();
      outage.failed(error.message);
    }
    const write = match?.route.failureBody;
    return prepare(write === undefined ? json(failure.status, { error: failure.message }, { ...failure.headers }) : write(failure, match!.head.headers));
  };

  const route = (head: RequestHead): RouteMatch | PreparedResponse => {
    let found: Route | undefined;
    try {
      const url = requestUrl(head.target);
      if (url === undefined) throw new HttpError(400, 'the request target must be a path, such as /v1/traces');
      const matched = findRoute(routes, head.method, url.pathname);
      found = matched.route;
      authorize(found.access, head.headers.authorization, context.config);
      return { head, route: found, url, params: matched.params };
    } catch (error) {
      if (found === undefined) return fail(error);
      return { ...fail(error, { head, route: found }), access: found.access };
    }
  };

  const handle = async (match: RouteMatch, body: Uint8Array, signal?: AbortSignal): Promise<PreparedResponse> => {
    const { head, route: matched, url, params } = match;
    // The slot is taken for the work only, never while a body is on the wire: a slow client must
    // not keep a fast one out. At the limit the answer is immediate, as a queue would only hold memory.
    const limited = matched.access === 'ingest';
    if (limited && ingestInFlight >= context.config.maxConcurrentIngest) {
      return fail(new HttpError(503, 'too many ingest requests in flight; retry later', { 'retry-after': '1' }), match);
    }
    // A streaming route takes its slot before it works (an export signs a checkpoint first), and
    // gives it back when its stream ends, or at once when it answers without one.
    const streaming = matched.streams === true;
    if (streaming && streamsOpen >= context.config.maxStreams) return fail(new HttpError(503, 'too many streams open; retry later', { 'retry-after': '5' }), match);
    if (limited) {
      ingestInFlight++;
      ingestGauge.inc();
    }
    if (streaming) takeStreamSlot();
    let slotHandedOn = false;
    try {
      const prepared = prepare(await matched.handler({ method: head.method, url, headers: head.headers, params, body, remoteAddress: head.remoteAddress, signal }));
      // An ingest request answered 200 committed its spans: the store takes writes again (one that
      // held no span touched no store, and says so too early; the next failure is then reported anew).
      if (limited && prepared.status === 200) outage.worked();
      if (!streaming || prepared.stream === undefined) return prepared;
      slotHandedOn = true;
      return { ...prepared, stream: releasedAtEnd(prepared.stream, releaseStreamSlot) };
    } catch (error) {
      return fail(error, match);
    } finally {
      if (limited) {
        ingestInFlight--;
        ingestGauge.dec();
      }
      if (streaming && !slotHandedOn) releaseStreamSlot();
    }
  };

  const refuse = (head: RequestHead, error: unknown): PreparedResponse => {
    const url = requestUrl(head.target);
    let found: Route | undefined;
    try {
      if (url !== undefined) found = findRoute(routes, head.method, url.pathname).route;
    } catch {
      // No route by that path or method: the refusal in plain JSON.
    }
    return found === undefined ? fail(error) : { ...fail(error, { head, route: found }), access: found.access };
  };

  return {
    route,
    handle,
    refuse,
    fail,
    async request(method, target, init = {}) {
      const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
      const matched = route({ method, target, headers, remoteAddress: '127.0.0.1' });
      if (!('route' in matched)) return matched;
      const body = typeof init.body === 'string' ? new TextEncoder().encode(init.body) : (init.body ?? new Uint8Array(0));
      return handle(matched, body, init.signal);
    },
  };
}

/**
 * The stream, calling `release` once when it ends, fails, or is closed before its end (also when it
 * is closed before it was ever read, which an async generator's own finally would miss).
 */
function releasedAtEnd(stream: AsyncIterable<Uint8Array>, release: () => void): AsyncIterable<Uint8Array> {
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    release();
  };
  return {
    [Symbol.asyncIterator]() {
      const inner = stream[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const result = await inner.next();
            if (result.done === true) once();
            return result;
          } catch (error) {
            once();
            throw error;
          }
        },
        async return(value?: unknown) {
          once();
          return (await inner.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

// Only origin-form targets (/path?query) are served; the host is a placeholder, as handlers read only
// the path and the query.
function requestUrl(target: string): URL | undefined {
  if (!target.startsWith('/')) return undefined;
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

/**
 * What a client is told. Only a client's own mistakes are described to it (an HttpError, or a
 * FactoError about its input); a store's failures and bugs get a fixed sentence, and their details
 * (file paths, SQL) go to the operator's log only.
 */
function describeFailure(error: unknown, logger: Logger): Failure {
  if (HttpError.isInstance(error)) return { status: error.status, message: error.message, headers: error.headers };
  // Logged by StoreOutage: once as it begins, then once a minute, not once per request.
  if (StoreUnavailableError.isInstance(error)) {
    return { status: 503, message: 'storage is temporarily unavailable; retry later', headers: { 'retry-after': '5' } };
  }
  // Another sequencer moved the head between this one's read and its write (a section that lost its
  // lock): nothing was written, and the next section reloads. 500 would end an OTLP exporter's
  // retries and lose the batch; 503 has it sent again.
  if (StoreConflictError.isInstance(error)) {
    logger.error('the store refused a write decided on a stale head; answering 503', { error: error.message });
    return { status: 503, message: 'the log head moved during this request; retry', headers: { 'retry-after': '1' } };
  }
  if (StoreRefusedError.isInstance(error)) {
    logger.error('the store refused a write; answering 500', { error: error.message });
    return { status: 500, message: 'internal error', headers: {} };
  }
  // This process's key did not sign the log's latest checkpoint: it signs nothing more and is shutting
  // down (collector.ts). Another process, or a restart with the right key, can answer; the reason
  // (it names the key file) was logged once where it was found.
  if (LogKeyMismatchError.isInstance(error)) {
    return { status: 503, message: 'this collector is stopping: its log key does not sign this log; retry later', headers: { 'retry-after': '5' } };
  }
  if (FactoError.isInstance(error) && (error.code === 'invalid_argument' || error.code === 'record_format')) {
    return { status: 400, message: error.message, headers: {} };
  }
  logger.error('request failed', { error: error instanceof Error ? error.stack : String(error) });
  return { status: 500, message: 'internal error', headers: {} };
}

function prepare(response: HttpResponse): PreparedResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  if (response.stream !== undefined) {
    // No content-length: node:http sends the stream chunked.
    headers['content-type'] ??= 'application/octet-stream';
    return { status: response.status, headers, body: new Uint8Array(0), stream: response.stream };
  }
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
