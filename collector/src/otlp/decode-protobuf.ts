/**
 * OTLP/protobuf ExportTraceServiceRequest -> DecodedTraceRequest. protobufjs reads the wire format; this
 * file only adds what protobufjs leaves loose: strict UTF-8, bounds-checked strings, one value per
 * AnyValue, exact 64-bit integers (Long -> decimal, never through Number) and the shared field rules.
 */
import type { AttributePairs, SpanFields, TypedValue } from '@facto/core';
import protobuf from 'protobufjs';
import type { DecodedTraceRequest } from './decoded-trace-request.js';
import { OtlpDecodeError } from './errors.js';
import { MAX_VALUE_DEPTH, SPAN_ID_BYTES, TRACE_ID_BYTES, checkHexId, checkInt32 } from './field-rules.js';
import { exportTraceServiceRequestType } from './proto-schema.js';

/** A protobufjs Long; its toString() is exact and honours the field's signedness. */
interface LongValue {
  toString(): string;
}
type Bytes = Uint8Array | readonly number[];
interface KeyValueMessage { key: string; value: AnyValueMessage | null }
interface AnyValueMessage {
  stringValue?: string; boolValue?: boolean; intValue?: LongValue; doubleValue?: number;
  arrayValue?: { values: AnyValueMessage[] }; kvlistValue?: { values: KeyValueMessage[] }; bytesValue?: Bytes;
}
interface SpanMessage {
  traceId: Bytes; spanId: Bytes; parentSpanId: Bytes; name: string; kind: number;
  startTimeUnixNano: LongValue; endTimeUnixNano: LongValue; attributes: KeyValueMessage[];
  events: { timeUnixNano: LongValue; name: string; attributes: KeyValueMessage[] }[];
  links: { traceId: Bytes; spanId: Bytes; attributes: KeyValueMessage[] }[];
  status: { code: number; message: string } | null;
}
interface RequestMessage {
  resourceSpans: {
    resource: { attributes: KeyValueMessage[] } | null;
    schemaUrl: string;
    scopeSpans: { scope: { name: string; version: string } | null; schemaUrl: string; spans: SpanMessage[] }[];
  }[];
}

const ANY_VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * protobufjs's Buffer reader clips a string that runs past the end of the body, and its decoders
 * replace bad UTF-8 silently (differently for Buffer and Uint8Array). This reader bounds-checks through
 * bytes() and refuses invalid UTF-8, as proto3 requires of string fields.
 */
class StrictReader extends protobuf.Reader {
  override string(): string {
    try {
      return utf8Decoder.decode(this.bytes());
    } catch (error) {
      if (error instanceof TypeError) throw new OtlpDecodeError('', 'malformed protobuf body: a string field is not valid UTF-8');
      throw error;
    }
  }
}

export function decodeProtobufTraceRequest(body: Uint8Array): DecodedTraceRequest {
  let request: RequestMessage;
  try {
    const view = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    request = exportTraceServiceRequestType.decode(new StrictReader(view)) as unknown as RequestMessage;
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError('', `malformed protobuf body (truncated, corrupt or not an ExportTraceServiceRequest): ${reason}`, { cause: error });
  }
  return {
    resourceSpans: request.resourceSpans.map((resourceSpans, resourceIndex) => {
      const resourcePath = `resourceSpans[${resourceIndex}]`;
      return {
        resource: { attributes: mapAttributes(resourceSpans.resource?.attributes ?? [], `${resourcePath}.resource.attributes`) },
        schemaUrl: resourceSpans.schemaUrl,
        scopeSpans: resourceSpans.scopeSpans.map((scopeSpans, scopeIndex) => {
          const scopePath = `${resourcePath}.scopeSpans[${scopeIndex}]`;
          return {
            scope: { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version ?? '' },
            schemaUrl: scopeSpans.schemaUrl,
            spans: scopeSpans.spans.map((span, spanIndex) => mapSpan(span, `${scopePath}.spans[${spanIndex}]`)),
          };
        }),
      };
    }),
  };
}

function mapSpan(span: SpanMessage, path: string): SpanFields {
  return {
    traceId: idHex(span.traceId, TRACE_ID_BYTES, `${path}.traceId`, false),
    spanId: idHex(span.spanId, SPAN_ID_BYTES, `${path}.spanId`, false),
    parentSpanId: idHex(span.parentSpanId, SPAN_ID_BYTES, `${path}.parentSpanId`, true),
    name: span.name,
    kind: checkInt32(span.kind, `${path}.kind`),
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    status: { code: checkInt32(span.status?.code ?? 0, `${path}.status.code`), message: span.status?.message ?? '' },
    attributes: mapAttributes(span.attributes, `${path}.attributes`),
    events: span.events.map((event, index) => ({
      name: event.name,
      timeUnixNano: event.timeUnixNano.toString(),
      attributes: mapAttributes(event.attributes, `${path}.events[${index}].attributes`),
    })),
    links: span.links.map((link, index) => ({
      traceId: idHex(link.traceId, TRACE_ID_BYTES, `${path}.links[${index}].traceId`, false),
      spanId: idHex(link.spanId, SPAN_ID_BYTES, `${path}.links[${index}].spanId`, false),
      attributes: mapAttributes(link.attributes, `${path}.links[${index}].attributes`),
    })),
  };
}

function idHex(bytes: Bytes, byteLength: number, path: string, optional: boolean): string {
  const hex = Buffer.from(bytes).toString('hex');
  return checkHexId(hex, byteLength, path, optional, () => `expected ${byteLength} bytes, got ${bytes.length}`);
}

function mapAttributes(pairs: readonly KeyValueMessage[], path: string, depth = 0): AttributePairs {
  return pairs.map((pair, index) => [pair.key, mapAnyValue(pair.value, `${path}[${index}].value`, depth)] as const);
}

function mapAnyValue(value: AnyValueMessage | null, path: string, depth: number): TypedValue {
  if (value === null) return null;
  // protobufjs keeps every oneof member it meets; a conforming sender writes at most one.
  const present = ANY_VALUE_FIELDS.filter((field) => Object.hasOwn(value, field));
  if (present.length > 1) throw new OtlpDecodeError(path, `AnyValue has more than one value set (${present.join(', ')})`);
  if (depth >= MAX_VALUE_DEPTH) throw new OtlpDecodeError(path, `values nest deeper than ${MAX_VALUE_DEPTH} levels`);
  const name = present[0];
  if (name === undefined) return null;
  switch (name) {
    case 'stringValue': return { s: value.stringValue! };
    case 'boolValue': return { b: value.boolValue! };
    case 'intValue': return { i: value.intValue!.toString() };
    // Non-finite doubles pass through as they are: the record builder rejects that span alone.
    case 'doubleValue': return { d: value.doubleValue! };
    case 'bytesValue': return { x: Buffer.from(value.bytesValue!).toString('hex') };
    case 'arrayValue':
      return { a: value.arrayValue!.values.map((item, index) => mapAnyValue(item, `${path}.arrayValue.values[${index}]`, depth + 1)) };
    case 'kvlistValue':
      return { m: mapAttributes(value.kvlistValue!.values, `${path}.kvlistValue.values`, depth + 1) };
  }
}
