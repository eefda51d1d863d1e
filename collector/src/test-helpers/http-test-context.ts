/**
 * Test doubles for the HTTP layer: a CollectorContext with real metrics, a recording logger, and an
 * ingest service and store whose behaviour each test sets; a helper that listens on a free port; and
 * OTLP trace requests of a chosen shape in both encodings.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { DEFAULT_CONFIG, type CollectorConfig } from '../config.js';
import type { CollectorContext, Forwarder } from '../context.js';
import type { IngestOutcome, IngestService } from '../ingest/ingest-service.js';
import type { Logger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';
import { decodeTraceRequest } from '../otlp/decode-trace-request.js';
import type { DecodedTraceRequest, OtlpContentType } from '../otlp/decoded-trace-request.js';
import { exportTraceServiceRequestType } from '../otlp/proto-schema.js';
import type { Checkpoint, Store } from '../store/types.js';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record = (level: LogEntry['level']) => (message: string, fields: Record<string, unknown> = {}) => void entries.push({ level, message, fields });
  return { logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }, entries };
}

export interface FakeContextOptions {
  readonly config?: Partial<CollectorConfig>;
  readonly ingest?: (request: DecodedTraceRequest) => Promise<IngestOutcome>;
  readonly latestCheckpoint?: () => Promise<Checkpoint | null>;
  /** The store's log entry at a leaf index (for the checkpoint-pending gauge); default none. */
  readonly getLogEntry?: (leafIndex: number) => Promise<unknown>;
  /** The store's tree size; default 0. */
  readonly treeSize?: number;
  readonly forwarder?: Forwarder;
}

export function fakeContext(options: FakeContextOptions = {}): CollectorContext & { logEntries: LogEntry[] } {
  const { logger, entries } = recordingLogger();
  // The real decoder, then the test's decision: what IngestService.ingestBody does around its lane.
  const ingest = {
    async ingestBody(body: Uint8Array, contentType: OtlpContentType): Promise<IngestOutcome> {
      if (options.ingest === undefined) throw new Error('this test does not ingest');
      const decoded = body.length === 0 ? { resourceSpans: [] } : decodeTraceRequest(body, contentType);
      const received = decoded.resourceSpans.reduce((total, resource) => total + resource.scopeSpans.reduce((sum, scope) => sum + scope.spans.length, 0), 0);
      if (received === 0) return { received, accepted: 0, duplicates: 0, rejected: 0, unverified: 0, rejectedByReason: {}, errorMessage: '', forward: [], forwarding: 'none' };
      return options.ingest(decoded);
    },
  } as unknown as IngestService;
  const store = {
    latestCheckpoint: options.latestCheckpoint ?? (() => Promise.resolve(null)),
    treeSize: () => Promise.resolve(options.treeSize ?? 0),
    getLogEntry: options.getLogEntry ?? (() => Promise.resolve(null)),
    queryEvents: () => Promise.resolve([]),
  } as unknown as Store;
  return {
    config: { ...DEFAULT_CONFIG, ...options.config },
    store,
    log: undefined as unknown as CollectorContext['log'],
    registry: undefined as unknown as CollectorContext['registry'],
    ingest,
    metrics: createMetrics({ defaultMetrics: false }),
    logger,
    forwarder: options.forwarder,
    ready: true,
    logEntries: entries,
  };
}

/** Listens on a free loopback port; returns the base URL. */
export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The span at [resource][scope][index] is named `span-<resource>-<scope>-<index>`. */
export const spanName = (resource: number, scope: number, index: number) => `span-${resource}-${scope}-${index}`;

/**
 * An ExportTraceServiceRequest whose resource r has `layout[r][s]` spans in scope s, as OTLP/JSON
 * (with an unknown key, which must survive filtering) and as protobuf.
 */
export function traceRequest(layout: readonly (readonly number[])[]): { json: Uint8Array; protobuf: Uint8Array; object: Record<string, unknown> } {
  const span = (resource: number, scope: number, index: number) => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: `1${resource}${scope}${index}`.padStart(16, '0'),
    name: spanName(resource, scope, index),
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000500000000',
    attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }],
  });
  const object = {
    resourceSpans: layout.map((scopes, resource) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: `agent-${resource}` } }] },
      scopeSpans: scopes.map((count, scope) => ({
        scope: { name: 'facto-test', version: '1' },
        spans: Array.from({ length: count }, (_, index) => span(resource, scope, index)),
      })),
    })),
  };
  const json = new TextEncoder().encode(JSON.stringify({ ...object, unknownExtension: { kept: true } }));
  // fromObject reads the ids as base64; convert the hex ids to bytes for it.
  const forProtobuf = JSON.parse(JSON.stringify(object), (key, value: unknown) => (key === 'traceId' || key === 'spanId' ? Buffer.from(value as string, 'hex') : value)) as Record<string, unknown>;
  const protobuf = exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(forProtobuf)).finish();
  return { json, protobuf, object };
}

/** Span names in a protobuf or JSON ExportTraceServiceRequest, grouped as [resource][scope]. */
export function spanNamesOf(body: Uint8Array, contentType: 'protobuf' | 'json'): string[][][] {
  const request = (contentType === 'protobuf'
    ? exportTraceServiceRequestType.toObject(exportTraceServiceRequestType.decode(body), { arrays: true })
    : JSON.parse(new TextDecoder().decode(body))) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
  return request.resourceSpans.map((resource) => resource.scopeSpans.map((scope) => scope.spans.map((span) => span.name)));
}

/** The `error` of a JSON error answer. */
export async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

/** A request through node:http, for what fetch will not send: a lying Content-Length, a body in slow chunks, an abort. */
export function rawRequest(url: string, options: http.RequestOptions, send: (request: http.ClientRequest) => void): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    send(request);
  });
}

/**
 * A client that sends a request's headers and the start of its body, then nothing: it ends with what
 * the server last said (status line, headers and body, as latin1 text).
 */
export function stallingClient(url: string, path: string, bodyStart: string, declaredLength: number, headers: Record<string, string> = {}): Promise<{ ended: Promise<string> }> {
  const { port } = new URL(url);
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: collector\r\n${extra}Content-Length: ${declaredLength}\r\n\r\n${bodyStart}`);
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      resolve({ ended: new Promise((done) => socket.on('close', () => done(received))) });
    });
  });
}

/** A whole HTTP/1.1 answer as a raw socket read it (latin1): status line, lower-case headers, body bytes. */
export function parseRawAnswer(text: string): { statusLine: string; headers: Record<string, string>; body: Uint8Array } {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { statusLine: statusLine!, headers, body: Buffer.from(text.slice(end + 4), 'latin1') };
}
