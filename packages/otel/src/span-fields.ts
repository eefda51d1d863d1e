/**
 * Reads an SDK span into the transport-neutral fields that @facto/core signs. Each rule mirrors how
 * the official OTLP exporters serialise the same span (otlp-transformer's sdkSpanToOtlpSpan), so the
 * collector, decoding what the exporter sent, rebuilds the same record byte for byte.
 */
import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { toTypedValue, type AttributePairs, type SpanFields } from '@facto/core';

const NANOS_PER_SECOND = 1_000_000_000n;

/** As the exporter does: truncate each part, then seconds * 1e9 + nanos, exactly, in BigInt. */
export function hrTimeToNanos(time: HrTime): string {
  return (BigInt(Math.trunc(time[0])) * NANOS_PER_SECOND + BigInt(Math.trunc(time[1]))).toString();
}

export function attributePairs(attributes: Readonly<Record<string, unknown>> | undefined): AttributePairs {
  if (!attributes) return [];
  return Object.keys(attributes).map((key) => [key, toTypedValue(attributes[key], key)] as const);
}

export function spanFields(span: ReadableSpan): SpanFields {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: span.name,
    // OTLP's SpanKind starts at 1 for INTERNAL; the API's at 0.
    kind: span.kind == null ? 0 : span.kind + 1,
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    status: { code: span.status.code, message: span.status.message ?? '' },
    attributes: attributePairs(span.attributes),
    events: span.events.map((event) => ({ name: event.name, timeUnixNano: hrTimeToNanos(event.time), attributes: attributePairs(event.attributes) })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId, attributes: attributePairs(link.attributes) })),
  };
}
