/**
 * Test support for the API: a real collector context without HTTP (a SQLite store in a temporary
 * folder, the Merkle log, the key registry in strict mode, the ingest service), agents that seal real
 * signed spans the way the SDK does, and a caller that sends a request through the collector's own
 * dispatch (routing, tokens, error mapping: createApp(...).request), as the server does. A handler
 * that throws a raw error therefore answers 500 here as in production, which the tests check.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX, type AttributePairs, type SealedSpan, type SpanFields } from '@facto/core';
import { afterEach, beforeEach, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../config.js';
import type { CollectorContext } from '../context.js';
import { createApp } from '../http/app.js';
import { collectorRoutes } from '../http/routes.js';
import type { HttpResponse, Route } from '../http/types.js';
import { IngestService, type IngestOutcome } from '../ingest/ingest-service.js';
import { KeyRegistry } from '../ingest/key-registry.js';
import { loadOrCreateLogKey } from '../log/log-key.js';
import { LogService } from '../log/log-service.js';
import { silentLogger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';
import { createSqliteStore } from '../store/sqlite/index.js';

export interface CallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface ApiFixture {
  readonly context: CollectorContext;
  readonly routes: Route[];
  /** Sends a request through the collector's dispatch; a JSON answer's body is parsed. */
  call(method: string, target: string, options?: CallOptions): Promise<HttpResponse & { headers: Record<string, string>; body: any }>;
  close(): Promise<void>;
}

export async function createApiFixture(): Promise<ApiFixture> {
  const folder = mkdtempSync(join(tmpdir(), 'facto-api-'));
  const store = createSqliteStore({ path: join(folder, 'facto.db'), synchronous: 'NORMAL' });
  await store.init();
  const log = await LogService.open(store, loadOrCreateLogKey(join(folder, 'log-key.pem')));
  const registry = new KeyRegistry(store, 'strict', silentLogger);
  await registry.load();
  const metrics = createMetrics({ defaultMetrics: false });
  const ingest = new IngestService({ store, log, registry, unsigned: 'reject', replayWindowSeconds: 900, metrics, logger: silentLogger });
  const config = { ...DEFAULT_CONFIG, db: join(folder, 'facto.db'), logKey: join(folder, 'log-key.pem'), trust: 'strict' as const };
  const context: CollectorContext = { config, store, log, registry, ingest, metrics, logger: silentLogger, forwarder: undefined, ready: true };
  const routes = collectorRoutes(context);
  const app = createApp({ routes, context });
  return {
    context,
    routes,
    call: async (method, target, options = {}) => {
      const body = options.body === undefined ? undefined : options.body instanceof Uint8Array || typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      const headers = options.body === undefined || options.body instanceof Uint8Array || typeof options.body === 'string' ? { ...options.headers } : { 'content-type': 'application/json', ...options.headers };
      const response = await app.request(method, target, { headers, body });
      // An event stream does not end: it is handed back unread (its status and headers are the answer).
      // Any other streamed answer is read to its end, as a client would receive it.
      if (response.stream !== undefined && (response.headers['content-type'] ?? '').startsWith('text/event-stream')) return { ...response, body: '' };
      const bytes = response.stream === undefined ? response.body : await readStream(response.stream);
      const text = new TextDecoder().decode(bytes);
      const isJson = (response.headers['content-type'] ?? '').startsWith('application/json');
      return { status: response.status, headers: response.headers, body: isJson && text !== '' ? JSON.parse(text) : text };
    },
    close: async () => {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
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

async function readStream(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
