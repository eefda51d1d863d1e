/**
 * What leaves the agent's process, byte for byte: an agent whose spans go to a local OTLP endpoint
 * (otlp-sink.ts) through the real exporter, for tests of what must never be sent. A test reads the
 * request bodies exactly as they were sent and the spans in them, verified with @facto/core alone
 * (what the processor withholds must still leave a record that verifies). Registers the async
 * context manager an application installs, so spans nest as they do there.
 */
import { context, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { generateKeyPair, type AttributePairs, type SpanFields } from '@facto/core';
import { createFacto, type Facto, type FactoOptions } from '@facto/otel';
import { startOtlpSink, type OtlpSink } from './otlp-sink.js';
import { verifySpans } from './verify-spans.js';

export interface Exported {
  /** Every request body the exporter sent, concatenated as sent (gunzipped). */
  readonly bytes: Buffer;
  readonly spans: SpanFields[];
  /** Where in the spans `text` appears: `"<span name> <field>"` for each place, empty when nowhere. */
  placesOf(text: string): string[];
}

export interface WireAgent {
  readonly facto: Facto;
  /** Delivers everything and returns what was sent; fails the test if a span does not verify. */
  exported(): Promise<Exported>;
}

/** Registers the context manager and the clean-up for a test file; returns the agent factory. */
export function useWireAgents(): (options?: Partial<FactoOptions>) => Promise<WireAgent> {
  const open: { facto: Facto; sink: OtlpSink }[] = [];
  let manager: AsyncLocalStorageContextManager | undefined;
  beforeAll(() => {
    manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
  });
  afterEach(async () => {
    for (const { facto, sink } of open.splice(0)) {
      await facto.shutdown();
      await sink.close();
    }
  });
  afterAll(() => {
    manager?.disable();
    context.disable();
  });
  return async (options = {}) => {
    const sink = await startOtlpSink();
    const keys = generateKeyPair();
    const facto = createFacto({ agentId: 'wire-agent', endpoint: sink.url, privateKey: keys.privateKey, scheduledDelayMillis: 10, ...options });
    open.push({ facto, sink });
    return {
      facto,
      async exported() {
        const report = await facto.shutdown();
        expect(report.undelivered).toBe(0);
        const spans = sink.acceptedSpans();
        expect(verifySpans(spans, keys.publicKey).failures).toEqual([]);
        return { bytes: Buffer.concat(sink.requests.map((request) => request.body)), spans, placesOf: (text) => placesOf(spans, text) };
      },
    };
  };
}

function placesOf(spans: readonly SpanFields[], text: string): string[] {
  const places: string[] = [];
  const look = (span: SpanFields, field: string, value: unknown) => {
    if (JSON.stringify(value).includes(text)) places.push(`${span.name} ${field}`);
  };
  const lookIn = (span: SpanFields, prefix: string, attributes: AttributePairs) => {
    for (const [key, value] of attributes) look(span, `${prefix}${key}`, value);
  };
  for (const span of spans) {
    look(span, 'name', span.name);
    look(span, 'status.message', span.status.message);
    lookIn(span, '', span.attributes);
    for (const event of span.events) lookIn(span, `event ${event.name}: `, event.attributes);
    for (const link of span.links) lookIn(span, 'link: ', link.attributes);
  }
  return places;
}

/** The one span with this name among those sent. */
export function sentSpan(spans: readonly SpanFields[], name: string): SpanFields {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name), `spans: ${spans.map((span) => span.name).join(', ')}`).toEqual([name]);
  return found[0]!;
}

/**
 * An error recorded without any of its text: status ERROR with no message, `error.type`, and one
 * exception event that names the exception's type and nothing else.
 */
export function expectErrorWithoutText(span: SpanFields, errorType: string): void {
  expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: '' });
  expect(span.attributes.find(([key]) => key === 'error.type')?.[1]).toEqual({ s: errorType });
  const exceptions = span.events.filter((event) => event.name === 'exception');
  expect(exceptions.map((event) => event.attributes.map(([key]) => key))).toEqual([['exception.type']]);
}
