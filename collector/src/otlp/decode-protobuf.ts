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

/** A protobufjs Long: two 32-bit halves and the field's signedness. */
interface LongValue {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
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
 * replace bad UTF-8 silently (differently for Buffer and Uint8Array). This reader bounds-checks and
 * refuses invalid UTF-8, as proto3 requires of string fields. A string of ASCII bytes (attribute keys,
 * ids, most values) is valid UTF-8 as it is and is read straight from the body; any other goes
 * through the strict decoder.
 */
class StrictReader extends protobuf.Reader {
  readonly #text: Buffer;

  constructor(view: Uint8Array) {
    super(view);
    this.#text = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  }

  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw new RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
    this.pos = end;
    const bytes = this.buf;
    for (let index = start; index < end; index++) {
      if (bytes[index]! < 0x80) continue;
      try {
        return utf8Decoder.decode(bytes.subarray(start, end));
      } catch (error) {
        if (error instanceof TypeError) throw new OtlpDecodeError('', 'malformed protobuf body: a string field is not valid UTF-8');
        throw error;
      }
    }
    return this.#text.toString('latin1', start, end);
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
  try {
    return { resourceSpans: request.resourceSpans.map((resourceSpans, resourceIndex) => within(`resourceSpans[${resourceIndex}]`, mapResourceSpans, resourceSpans)) };
  } catch (error) {
    if (error instanceof Misplaced) throw new OtlpDecodeError(error.segmentsInnermostFirst.reverse().join(''), error.problem);
    throw error;
  }
}

/**
 * A problem found while mapping, without its place yet: each enclosing level adds its own path
 * segment as the failure passes through (within()), so a request that maps cleanly builds no path
 * strings at all. Mapping runs for every attribute of every span, and building a path such as
 * `resourceSpans[0].scopeSpans[0].spans[57].attributes[12].value` for each was a fifth of ingest's
 * garbage.
 */
class Misplaced {
  readonly segmentsInnermostFirst: string[] = [];
  constructor(readonly problem: string) {}
}

/** fn(value), with `segment` added to the place of any failure inside it (built only then). */
function within<T, R>(segment: string, fn: (value: T) => R, value: T): R {
  try {
    return fn(value);
  } catch (error) {
    throw placed(error, segment);
  }
}

/** The failure with `segment` added to its place; a rule from field-rules.ts (thrown at path '') becomes Misplaced. */
function placed(error: unknown, segment: string): unknown {
  if (error instanceof OtlpDecodeError && error.path === '') error = new Misplaced(error.message);
  if (error instanceof Misplaced) error.segmentsInnermostFirst.push(segment);
  return error;
}

function mapResourceSpans(resourceSpans: RequestMessage['resourceSpans'][number]) {
  return {
    resource: { attributes: within('.resource.attributes', mapAttributes, resourceSpans.resource?.attributes ?? []) },
    schemaUrl: resourceSpans.schemaUrl,
    scopeSpans: resourceSpans.scopeSpans.map((scopeSpans, scopeIndex) => {
      try {
        return {
          scope: { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version ?? '' },
          schemaUrl: scopeSpans.schemaUrl,
          spans: scopeSpans.spans.map((span, spanIndex) => within(`.spans[${spanIndex}]`, mapSpan, span)),
        };
      } catch (error) {
        throw placed(error, `.scopeSpans[${scopeIndex}]`);
      }
    }),
  };
}

function mapSpan(span: SpanMessage): SpanFields {
  return {
    traceId: within('.traceId', idHex, [span.traceId, TRACE_ID_BYTES, false] as const),
    spanId: within('.spanId', idHex, [span.spanId, SPAN_ID_BYTES, false] as const),
    parentSpanId: within('.parentSpanId', idHex, [span.parentSpanId, SPAN_ID_BYTES, true] as const),
    name: span.name,
    kind: within('.kind', int32, span.kind),
    startTimeUnixNano: decimal(span.startTimeUnixNano),
    endTimeUnixNano: decimal(span.endTimeUnixNano),
    status: { code: within('.status.code', int32, span.status?.code ?? 0), message: span.status?.message ?? '' },
    attributes: within('.attributes', mapAttributes, span.attributes),
    events: span.events.map((event, index) => {
      try {
        return { name: event.name, timeUnixNano: decimal(event.timeUnixNano), attributes: within('.attributes', mapAttributes, event.attributes) };
      } catch (error) {
        throw placed(error, `.events[${index}]`);
      }
    }),
    links: span.links.map((link, index) => {
      try {
        return {
          traceId: within('.traceId', idHex, [link.traceId, TRACE_ID_BYTES, false] as const),
          spanId: within('.spanId', idHex, [link.spanId, SPAN_ID_BYTES, false] as const),
          attributes: within('.attributes', mapAttributes, link.attributes),
        };
      } catch (error) {
        throw placed(error, `.links[${index}]`);
      }
    }),
  };
}

const int32 = (value: number): number => checkInt32(value, '');

/**
 * A Long's exact decimal text, through BigInt. Long's own toString() is exact too, but divides in
 * Long arithmetic, a new Long per step: four times the cost (0.23 against 0.06 µs) on every time
 * and integer attribute of every span.
 */
function decimal(value: LongValue | number): string {
  // protobufjs hands out plain numbers when it runs without the long package: exact up to 2^53.
  if (typeof value === 'number') return String(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return (value.unsigned ? bits : BigInt.asIntN(64, bits)).toString();
}

function idHex([bytes, byteLength, optional]: readonly [Bytes, number, boolean]): string {
  const hex = Buffer.from(bytes).toString('hex');
  return checkHexId(hex, byteLength, '', optional, () => `expected ${byteLength} bytes, got ${bytes.length}`);
}

function mapAttributes(pairs: readonly KeyValueMessage[], depth = 0): AttributePairs {
  const mapped = new Array<readonly [string, TypedValue]>(pairs.length);
  for (let index = 0; index < pairs.length; index++) {
    const pair = pairs[index]!;
    try {
      mapped[index] = [pair.key, mapAnyValue(pair.value, depth)];
    } catch (error) {
      throw placed(error, `[${index}].value`);
    }
  }
  return mapped;
}

function mapAnyValue(value: AnyValueMessage | null, depth: number): TypedValue {
  if (value === null) return null;
  // protobufjs keeps every oneof member it meets; a conforming sender writes at most one.
  let name: (typeof ANY_VALUE_FIELDS)[number] | undefined;
  for (const field of ANY_VALUE_FIELDS) {
    if (!Object.hasOwn(value, field)) continue;
    if (name !== undefined) throw new Misplaced(`AnyValue has more than one value set (${ANY_VALUE_FIELDS.filter((present) => Object.hasOwn(value, present)).join(', ')})`);
    name = field;
  }
  if (depth >= MAX_VALUE_DEPTH) throw new Misplaced(`values nest deeper than ${MAX_VALUE_DEPTH} levels`);
  if (name === undefined) return null;
  switch (name) {
    case 'stringValue': return { s: value.stringValue! };
    case 'boolValue': return { b: value.boolValue! };
    case 'intValue': return { i: decimal(value.intValue!) };
    // Non-finite doubles pass through as they are: the record builder rejects that span alone.
    case 'doubleValue': return { d: value.doubleValue! };
    case 'bytesValue': return { x: Buffer.from(value.bytesValue!).toString('hex') };
    case 'arrayValue': {
      const values = value.arrayValue!.values;
      const items = new Array<TypedValue>(values.length);
      for (let index = 0; index < values.length; index++) {
        try {
          items[index] = mapAnyValue(values[index]!, depth + 1);
        } catch (error) {
          throw placed(error, `.arrayValue.values[${index}]`);
        }
      }
      return { a: items };
    }
    case 'kvlistValue':
      return { m: within('.kvlistValue.values', (pairs: readonly KeyValueMessage[]) => mapAttributes(pairs, depth + 1), value.kvlistValue!.values) };
  }
}
