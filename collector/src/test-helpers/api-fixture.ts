/**
 * Test support for the API: a real collector context without HTTP (a SQLite store in a temporary
 * folder, the Merkle log, the key registry in strict mode, the ingest service), agents that seal real
 * signed spans the way the SDK does, and a caller that routes a request to a handler as the server
 * would, answering an HttpError as the server answers it. Anything else a handler throws fails the
 * test, which is how the tests hold handlers to "never a raw error".
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX, type AttributePairs, type SealedSpan, type SpanFields } from '@facto/core';
import { afterEach, beforeEach, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../config.js';
import type { CollectorContext } from '../context.js';
import { HttpError, type HttpResponse, type Route } from '../http/types.js';
import { IngestService, type IngestOutcome } from '../ingest/ingest-service.js';
import { KeyRegistry } from '../ingest/key-registry.js';
import { loadOrCreateLogKey } from '../log/log-key.js';
import { LogService } from '../log/log-service.js';
import { silentLogger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import { apiRoutes } from '../api/index.js';

export interface CallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface ApiFixture {
  readonly context: CollectorContext;
  readonly routes: Route[];
  /** Routes a request like the server does; an HttpError becomes its status and `{ error }`. */
  call(method: string, target: string, options?: CallOptions): Promise<HttpResponse & { body: any }>;
  close(): Promise<void>;
}

export async function createApiFixture(): Promise<ApiFixture> {
  const folder = mkdtempSync(join(tmpdir(), 'facto-api-'));
  const store = createSqliteStore({ path: join(folder, 'facto.db'), synchronous: 'NORMAL' });
  await store.init();
  const log = await LogService.open(store, loadOrCreateLogKey(join(folder, 'log-key.pem')));
  const registry = new KeyRegistry(store, 'strict', silentLogger);
  await registry.load([]);
  const metrics = createMetrics({ defaultMetrics: false });
  const ingest = new IngestService({ store, log, registry, unsigned: 'reject', replayWindowSeconds: 900, metrics, logger: silentLogger });
  const config = { ...DEFAULT_CONFIG, db: join(folder, 'facto.db'), logKey: join(folder, 'log-key.pem'), trust: 'strict' as const };
  const context: CollectorContext = { config, store, log, registry, ingest, metrics, logger: silentLogger, forwarder: undefined, ready: true };
  const routes = apiRoutes(context);
  return {
    context,
    routes,
    call: (method, target, options = {}) => callRoute(routes, method, target, options),
    close: async () => {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

function matchRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  const actual = pathname.split('/').slice(1);
  const candidates = routes.filter((route) => route.method === method && route.path.split('/').length - 1 === actual.length);
  // Literal segments win over parameters, as in the server (/v1/checkpoints/latest is not a tree size).
  const literalCount = (route: Route) => route.path.split('/').filter((segment) => !segment.startsWith('{')).length;
  for (const route of candidates.sort((left, right) => literalCount(right) - literalCount(left))) {
    const params: Record<string, string> = {};
    const segments = route.path.split('/').slice(1);
    const matches = segments.every((segment, index) => {
      if (segment.startsWith('{')) return (params[segment.slice(1, -1)] = decodeURIComponent(actual[index]!)) !== '';
      return segment === actual[index];
    });
    if (matches) return { route, params };
  }
  return undefined;
}

async function callRoute(routes: readonly Route[], method: string, target: string, options: CallOptions): Promise<HttpResponse & { body: any }> {
  const url = new URL(`http://collector${target}`);
  const found = matchRoute(routes, method, url.pathname);
  if (found === undefined) throw new Error(`no route for ${method} ${url.pathname}`);
  const body = options.body === undefined ? new Uint8Array(0) : options.body instanceof Uint8Array ? options.body : new TextEncoder().encode(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  const headers = options.body === undefined || options.body instanceof Uint8Array || typeof options.body === 'string' ? { ...options.headers } : { 'content-type': 'application/json', ...options.headers };
  try {
    const response = await found.route.handler({ method, url, headers, params: found.params, body, remoteAddress: '127.0.0.1' });
    // An event stream does not end: it is handed back unread (its status and headers are the answer).
    const endless = response.headers?.['content-type']?.startsWith('text/event-stream') === true;
    return (response.stream === undefined || endless ? response : { ...response, body: await readStream(response) }) as HttpResponse & { body: any };
  } catch (error) {
    if (HttpError.isInstance(error)) return { status: error.status, headers: { ...error.headers }, body: { error: error.message } };
    throw error;
  }
}

/** A streamed answer read to its end, as a client would receive it: parsed when it is JSON. */
async function readStream(response: HttpResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream!) chunks.push(Buffer.from(chunk));
  const text = Buffer.concat(chunks).toString('utf8');
  return response.headers?.['content-type']?.startsWith('application/json') ? JSON.parse(text) : text;
}

export interface SealOptions {
  readonly actionType?: string;
  readonly dropped?: number;
  /** Seal at this seq instead of the next one (forks, gaps). */
  readonly seq?: number;
  /** Skip this many seqs before sealing (a gap). */
  readonly skip?: number;
  readonly attributes?: AttributePairs;
}

export interface SealedTestSpan {
  /** The span as the collector receives it. */
  readonly span: SpanFields;
  readonly sealed: SealedSpan;
}

/** An agent with its own key, sealing spans chain by chain as the SDK does (content captured in full). */
export class TestAgent {
  readonly keyId: string;
  readonly #heads = new Map<string, { seq: number; prevHash: string }>();

  constructor(
    readonly agentId: string,
    readonly keyPair = generateKeyPair(),
  ) {
    this.keyId = keyId(keyPair.publicKey);
  }

  async register(context: CollectorContext): Promise<void> {
    await context.store.putKey({ agentId: this.agentId, keyId: this.keyId, publicKey: toHex(this.keyPair.publicKey), notBefore: null, notAfter: null, revokedAt: null, source: 'admin', createdAt: Date.now() });
    await context.registry.refresh();
  }

  seal(chainId: string, options: SealOptions = {}): SealedTestSpan {
    const head = this.#heads.get(chainId) ?? { seq: -1, prevHash: ZERO_HASH_HEX };
    const seq = options.seq ?? head.seq + 1 + (options.skip ?? 0);
    const now = BigInt(Date.now()) * 1_000_000n;
    const span: SpanFields = {
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      parentSpanId: '',
      name: `step ${seq}`,
      kind: 1,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 5_000_000n),
      status: { code: 0, message: '' },
      attributes: [['gen_ai.operation.name', { s: options.actionType ?? 'chat' }], ['gen_ai.input.messages', { s: `prompt of step ${seq}` }], ...(options.attributes ?? [])],
      events: [],
      links: [],
    };
    const sealed = sealSpan({
      span,
      chain: { factoId: `ft-${randomUUID()}`, agentId: this.agentId, chainId, seq, prevHash: head.prevHash, keyId: this.keyId, dropped: options.dropped ?? 0 },
      privateKey: this.keyPair.privateKey,
      contentKeys: new Set(DEFAULT_CONTENT_KEYS),
      capture: 'full',
    });
    this.#heads.set(chainId, { seq, prevHash: toHex(sealed.hash) });
    const removed = new Set(sealed.removeKeys);
    const attributes: [string, ReturnType<typeof toTypedValue>][] = span.attributes.filter(([key]) => !removed.has(key)).map(([key, value]) => [key, value]);
    for (const [key, value] of Object.entries(sealed.attributes)) attributes.push([key, toTypedValue(value)]);
    return { span: { ...span, attributes }, sealed };
  }
}

/** Ingests spans as one OTLP request. */
export function ingestSpans(context: CollectorContext, spans: readonly SealedTestSpan[]): Promise<IngestOutcome> {
  return context.ingest.ingest({
    resourceSpans: [{ resource: { attributes: [['service.name', { s: 'api-test' }]] }, schemaUrl: '', scopeSpans: [{ scope: { name: 'facto-test', version: '1' }, schemaUrl: '', spans: spans.map((item) => item.span) }] }],
  });
}

/**
 * Registers the usual hooks: before each test a fresh fixture with the named agents registered
 * (and Date faked to `now`, when given), handed to `ready`; after it, real timers and cleanup.
 */
export function useApiFixture(options: { agents: readonly string[]; now?: number }, ready: (fixture: ApiFixture, agents: TestAgent[]) => void): void {
  let current: ApiFixture | undefined;
  beforeEach(async () => {
    if (options.now !== undefined) {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(options.now);
    }
    current = await createApiFixture();
    const agents = options.agents.map((name) => new TestAgent(name));
    for (const agent of agents) await agent.register(current.context);
    ready(current, agents);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await current?.close();
  });
}
