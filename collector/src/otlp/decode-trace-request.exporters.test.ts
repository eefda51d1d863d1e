/**
 * Drives the official OTLP exporters (protobuf and JSON) against a local HTTP server and checks that
 * both bodies decode to the same SpanFields, equal to what the SDK's own span objects say.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanFields, TypedValue } from '@facto/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedTraceRequest, OtlpContentType } from './decoded-trace-request.js';
import { decodeTraceRequest } from './decode-trace-request.js';
import { encodeExportTraceServiceResponse } from './encode-response.js';

interface Captured { contentType: OtlpContentType; body: Uint8Array }

const captured: Captured[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const contentType: OtlpContentType = request.headers['content-type'] === 'application/x-protobuf' ? 'protobuf' : 'json';
      captured.push({ contentType, body: new Uint8Array(Buffer.concat(chunks)) });
      response.writeHead(200, { 'content-type': contentType === 'protobuf' ? 'application/x-protobuf' : 'application/json' });
      response.end(encodeExportTraceServiceResponse({ rejectedSpans: 0, errorMessage: '' }, contentType));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

// The SDK drops attribute values other than primitives and their arrays; an instrumentation that writes
// span.attributes directly in onEnding (as Facto's processor may) can still hand the exporters bytes and maps.
const addNonPrimitiveValues: SpanProcessor = {
  onStart: () => undefined,
  onEnding: (span) => {
    if (span.name !== 'bytes and maps') return;
    Object.assign(span.attributes, { bytes: new Uint8Array([0, 1, 127, 128, 254, 255]), 'bytes.empty': new Uint8Array(), map: { text: 'x', count: 3, list: [1.5, 2.5], inner: { flag: true } } });
  },
  onEnd: () => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

const nanos = (time: HrTime) => (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
const wellFormed = (text: string) => text.replace(/\p{Cs}/gu, '\uFFFD');

/** The OTLP AnyValue the exporters derive from a JS attribute value, in Facto's typed form. */
function typedValue(value: unknown): TypedValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return { s: wellFormed(value) };
  if (typeof value === 'boolean') return { b: value };
  if (typeof value === 'number') return Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63 ? { i: BigInt(value).toString() } : { d: value };
  if (value instanceof Uint8Array) return { x: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return { a: value.map(typedValue) };
  return { m: Object.entries(value as object).map(([key, item]) => [wellFormed(key), typedValue(item)] as const) };
}

const pairs = (attributes: object | undefined) => Object.entries(attributes ?? {}).map(([key, value]) => [wellFormed(key), typedValue(value)] as const);

function expectedSpan(span: ReadableSpan): SpanFields {
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: wellFormed(span.name),
    // The API numbers kinds from INTERNAL = 0; OTLP reserves 0 for UNSPECIFIED.
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    status: { code: span.status.code, message: span.status.message ?? '' },
    attributes: pairs(span.attributes),
    events: span.events.map((event) => ({ name: event.name, timeUnixNano: nanos(event.time), attributes: pairs(event.attributes) })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId, attributes: pairs(link.attributes) })),
  };
}

const everyAttributeType = {
  string: 'hello', 'string.empty': '', 'string.unicode': 'naïve 日本語 \u{1D11E}\u{1F600}', 'ключ 🔑': 'unicode key',
  int: 42, 'int.negative': -7, 'int.zero': 0, 'int.large': 2 ** 60, 'int.negative.large': -(2 ** 62), 'int.min': -(2 ** 63), 'int.max.safe': Number.MAX_SAFE_INTEGER,
  double: 3.14159, 'double.negative': -0.5, 'double.smallest': 5e-324, 'double.large': 1.7976931348623157e308,
  'bool.true': true, 'bool.false': false,
  'array.string': ['a', '', '\u{1F600}'], 'array.int': [1, -2, 2 ** 60], 'array.double': [1.5, -2.25], 'array.bool': [true, false],
  'array.empty': [], 'array.with.null': ['a', null, 'b'],
};

function decodeAll(contentType: OtlpContentType): { requests: DecodedTraceRequest[]; spans: Map<string, SpanFields> } {
  const requests = captured.filter((item) => item.contentType === contentType).map((item) => decodeTraceRequest(item.body, contentType));
  const spans = new Map<string, SpanFields>();
  for (const span of requests.flatMap((request) => request.resourceSpans.flatMap((group) => group.scopeSpans.flatMap((scope) => scope.spans)))) spans.set(span.spanId, span);
  return { requests, spans };
}

describe('OTLP decoding of what the official exporters send', () => {
  const memory = new InMemorySpanExporter();
  let provider: BasicTracerProvider;

  beforeAll(async () => {
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'otlp-decode-test', 'service.instance.id': 'ünïcode-1', 'process.pid': 4242 }),
      spanProcessors: [
        addNonPrimitiveValues,
        new SimpleSpanProcessor(new ProtobufTraceExporter({ url })),
        new SimpleSpanProcessor(new JsonTraceExporter({ url })),
        new SimpleSpanProcessor(memory),
      ],
    });
    const tracer = provider.getTracer('facto-otlp-test', '1.2.3');
    const linked = tracer.startSpan('linked', { kind: SpanKind.PRODUCER, startTime: [1_700_000_000, 999_999_999] });
    linked.end([1_700_000_001, 0]);
    const root = tracer.startSpan('root \u{1D11E}', { kind: SpanKind.SERVER, attributes: everyAttributeType });
    root.addEvent('event 😀', { 'event.int': 1, 'event.array': ['x'] }, [1_700_000_002, 123_456_789]);
    root.addEvent('bare event');
    root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom ✗' });
    const child = tracer.startSpan('child', {
      kind: SpanKind.CLIENT,
      links: [{ context: linked.spanContext(), attributes: { 'link.text': 'v', 'link.int': -1 } }, { context: root.spanContext() }],
    }, trace.setSpan(ROOT_CONTEXT, root));
    child.setStatus({ code: SpanStatusCode.OK });
    child.end();
    root.end();
    tracer.startSpan('internal', { kind: SpanKind.INTERNAL, startTime: new Date(0) }).end(new Date(1));
    tracer.startSpan('consumer', { kind: SpanKind.CONSUMER }).end();
    tracer.startSpan('bytes and maps').end();
    tracer.startSpan('edge values', { attributes: { nan: Number.NaN, 'beyond.int64': 2 ** 64, 'below.int64': -(2 ** 70), 'lone.surrogate': 'a\ud800b' } }).end();
    await provider.forceFlush();
  });

  afterAll(async () => {
    await provider.shutdown();
  });

  it('decodes every span identically over protobuf and JSON, as the SDK recorded it', () => {
    const expected = new Map(memory.getFinishedSpans().map((span) => [span.spanContext().spanId, expectedSpan(span)]));
    expect(expected.size).toBe(7);
    const protobuf = decodeAll('protobuf');
    const json = decodeAll('json');
    expect(protobuf.spans).toEqual(json.spans);
    expect(protobuf.spans).toEqual(expected);
  });

  it('carries resource, scope and schema URLs alike', () => {
    const resourceAttributes = pairs(memory.getFinishedSpans()[0]!.resource.attributes);
    for (const contentType of ['protobuf', 'json'] as const) {
      for (const request of decodeAll(contentType).requests) {
        expect(request.resourceSpans).toHaveLength(1);
        const [group] = request.resourceSpans;
        expect(group!.resource.attributes).toEqual(resourceAttributes);
        expect(group!.schemaUrl).toBe('');
        expect(group!.scopeSpans.map(({ scope, schemaUrl }) => ({ scope, schemaUrl }))).toEqual([{ scope: { name: 'facto-otlp-test', version: '1.2.3' }, schemaUrl: '' }]);
      }
    }
  });

  it('maps the exporters\u2019 edge cases as documented', () => {
    const edge = (contentType: OtlpContentType) => [...decodeAll(contentType).spans.values()].find((span) => span.name === 'edge values')!;
    for (const contentType of ['protobuf', 'json'] as const) {
      const attributes = new Map(edge(contentType).attributes);
      // NaN: a protobuf double, a JSON null; both read as NaN, which the record builder refuses.
      expect(attributes.get('nan')).toEqual({ d: Number.NaN });
      // Integral numbers past int64: double_value in protobuf, intValue in JSON; both read as the double.
      expect(attributes.get('beyond.int64')).toEqual({ d: 2 ** 64 });
      expect(attributes.get('below.int64')).toEqual({ d: -(2 ** 70) });
      // UTF-8 cannot carry an unpaired surrogate; JSON can, and is normalised the same way.
      expect(attributes.get('lone.surrogate')).toEqual({ s: 'a\uFFFDb' });
    }
  });
});
