/**
 * How @facto/otel reads a collector's partial_success through the official OTLP exporters: the
 * decoding of what their serializers produce, an answer given to someone else's export never taken
 * for ours, and an exporter without the hook used as it is.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeExportTraceServiceResponse } from '../../collector/src/otlp/encode-response.js';
import { observeRejections, rejectionOf, type ObservedExportResult } from '../../packages/otel/src/partial-success.js';
import { startOtlpSink, type OtlpSink } from '../support/otlp-sink.js';

const sinks: OtlpSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
});

function someSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('test');
  for (let index = 0; index < count; index++) tracer.startSpan(`step ${index}`).end();
  return memory.getFinishedSpans();
}

const exported = (exporter: SpanExporter, spans: ReadableSpan[]) => new Promise<ObservedExportResult>((resolve) => exporter.export(spans, (result: ExportResult) => resolve(result)));
const rejecting = (spans: number) => ({ status: 200, body: JSON.stringify({ partialSuccess: { rejectedSpans: String(spans), errorMessage: `${spans} rejected: unknown key` } }) });

describe('rejectionOf', () => {
  it('reads the count as protobufjs (a number or a Long) and OTLP/JSON (a decimal string) give it', () => {
    expect(rejectionOf({ partialSuccess: { rejectedSpans: 3, errorMessage: 'why' } })).toEqual({ spans: 3, message: 'why' });
    expect(rejectionOf({ partialSuccess: { rejectedSpans: '12' } })).toEqual({ spans: 12, message: '' });
    expect(rejectionOf({ partialSuccess: { rejectedSpans: { low: 7, high: 0, toString: () => '7' } } })).toEqual({ spans: 7, message: '' });
  });

  it('finds nothing rejected in a full success, a message alone, or a count that is not a count', () => {
    for (const response of [{}, undefined, null, { partialSuccess: {} }, { partialSuccess: { errorMessage: 'a warning' } }, { partialSuccess: { rejectedSpans: 0 } }, { partialSuccess: { rejectedSpans: -1 } }, { partialSuccess: { rejectedSpans: 'many' } }]) {
      expect(rejectionOf(response)).toBeUndefined();
    }
  });

  it('keeps at most 500 characters of the reason', () => {
    expect(rejectionOf({ partialSuccess: { rejectedSpans: 1, errorMessage: 'x'.repeat(5000) } })!.message).toHaveLength(500);
  });
});

describe('observeRejections on the official OTLP/JSON exporter', () => {
  it("puts the collector's rejection on the export's result, and nothing on a whole success", async () => {
    const sink = await startOtlpSink();
    sinks.push(sink);
    sink.reply = (index) => (index === 0 ? rejecting(2) : { status: 200 });
    const exporter = observeRejections(new OTLPTraceExporter({ url: `${sink.url}/v1/traces` }));
    const first = await exported(exporter, someSpans(2));
    expect(first).toMatchObject({ code: ExportResultCode.SUCCESS, rejection: { spans: 2, message: '2 rejected: unknown key' } });
    const second = await exported(exporter, someSpans(2));
    expect(second.code).toBe(ExportResultCode.SUCCESS);
    expect(second.rejection).toBeUndefined();
    await exporter.shutdown();
  });

  it("never takes the answer to someone else's export of the same exporter for the next one of ours", async () => {
    const sink = await startOtlpSink();
    sinks.push(sink);
    // Ours is answered with bytes that are not protobuf, which never reach the response handler.
    const rejectingOne = encodeExportTraceServiceResponse({ rejectedSpans: 1, errorMessage: '1 rejected: unknown key' }, 'protobuf');
    sink.reply = (index) => (index === 0 ? { status: 200, body: rejectingOne } : { status: 200, body: Uint8Array.of(0x0f) });
    const official = new ProtobufExporter({ url: `${sink.url}/v1/traces` });
    const ours = observeRejections(official);
    // Another pipeline shares the exporter: its answer rejects a span.
    await new Promise<void>((resolve) => official.export(someSpans(1), () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const mine = await exported(ours, someSpans(1));
    expect(mine.code).toBe(ExportResultCode.SUCCESS);
    expect(mine.rejection).toBeUndefined();
    await ours.shutdown();
  });

  it('uses an exporter without the official delegate as it is', () => {
    const custom: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => undefined };
    expect(observeRejections(custom)).toBe(custom);
  });
});
