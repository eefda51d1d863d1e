/**
 * OTLP/JSON ExportTraceServiceRequest -> DecodedTraceRequest. Keys are the lowerCamelCase names the OTLP
 * spec prescribes; unknown keys are ignored, as the spec requires of receivers; a key given twice in
 * one object is refused, as protobuf's own JSON parsers refuse a field set twice.
 */
import { parseStrictJson, type SpanFields } from '@facto/core';
import type { DecodedTraceRequest } from './decoded-trace-request.js';
import { OtlpDecodeError } from './errors.js';
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from './field-rules.js';
import { type JsonObject, asObject, readArray, readAttributes, readEnum, readId, readNanos, readObject, readString } from './json-fields.js';
import { spanKindValues, statusCodeValues } from './proto-schema.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function decodeJsonTraceRequest(body: Uint8Array): DecodedTraceRequest {
  let parsed: unknown;
  try {
    // Strict: a member named twice in one object is refused, where JSON.parse would keep the last
    // and silently drop the spans of the first (and a reader keeping the first would see others).
    parsed = parseStrictJson(utf8Decoder.decode(body));
  } catch (error) {
    const reason = error instanceof TypeError ? 'not valid UTF-8' : error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError('', `body is not valid JSON: ${reason}`, { cause: error });
  }
  const request = asObject(parsed, 'body');
  return {
    resourceSpans: readArray(request, 'resourceSpans', 'resourceSpans').map((item, resourceIndex) => {
      const resourcePath = `resourceSpans[${resourceIndex}]`;
      const resourceSpans = asObject(item, resourcePath);
      const resource = readObject(resourceSpans, 'resource', `${resourcePath}.resource`);
      return {
        resource: { attributes: readAttributes(resource, 'attributes', `${resourcePath}.resource.attributes`) },
        schemaUrl: readString(resourceSpans, 'schemaUrl', `${resourcePath}.schemaUrl`),
        scopeSpans: readArray(resourceSpans, 'scopeSpans', `${resourcePath}.scopeSpans`).map((scopeItem, scopeIndex) => {
          const scopePath = `${resourcePath}.scopeSpans[${scopeIndex}]`;
          const scopeSpans = asObject(scopeItem, scopePath);
          const scope = readObject(scopeSpans, 'scope', `${scopePath}.scope`);
          return {
            scope: { name: readString(scope, 'name', `${scopePath}.scope.name`), version: readString(scope, 'version', `${scopePath}.scope.version`) },
            schemaUrl: readString(scopeSpans, 'schemaUrl', `${scopePath}.schemaUrl`),
            spans: readArray(scopeSpans, 'spans', `${scopePath}.spans`).map((span, spanIndex) => readSpan(span, `${scopePath}.spans[${spanIndex}]`)),
          };
        }),
      };
    }),
  };
}

function readSpan(value: unknown, path: string): SpanFields {
  const span = asObject(value, path);
  const status = readObject(span, 'status', `${path}.status`);
  return {
    traceId: readId(span, 'traceId', `${path}.traceId`, TRACE_ID_BYTES, false),
    spanId: readId(span, 'spanId', `${path}.spanId`, SPAN_ID_BYTES, false),
    parentSpanId: readId(span, 'parentSpanId', `${path}.parentSpanId`, SPAN_ID_BYTES, true),
    name: readString(span, 'name', `${path}.name`),
    kind: readEnum(span, 'kind', `${path}.kind`, spanKindValues),
    startTimeUnixNano: readNanos(span, 'startTimeUnixNano', `${path}.startTimeUnixNano`),
    endTimeUnixNano: readNanos(span, 'endTimeUnixNano', `${path}.endTimeUnixNano`),
    status: { code: readEnum(status, 'code', `${path}.status.code`, statusCodeValues), message: readString(status, 'message', `${path}.status.message`) },
    attributes: readAttributes(span, 'attributes', `${path}.attributes`),
    events: readArray(span, 'events', `${path}.events`).map((item, index) => {
      const eventPath = `${path}.events[${index}]`;
      const event = asObject(item, eventPath);
      return {
        name: readString(event, 'name', `${eventPath}.name`),
        timeUnixNano: readNanos(event, 'timeUnixNano', `${eventPath}.timeUnixNano`),
        attributes: readAttributes(event, 'attributes', `${eventPath}.attributes`),
      };
    }),
    links: readArray(span, 'links', `${path}.links`).map((item, index) => {
      const linkPath = `${path}.links[${index}]`;
      const link: JsonObject = asObject(item, linkPath);
      return {
        traceId: readId(link, 'traceId', `${linkPath}.traceId`, TRACE_ID_BYTES, false),
        spanId: readId(link, 'spanId', `${linkPath}.spanId`, SPAN_ID_BYTES, false),
        attributes: readAttributes(link, 'attributes', `${linkPath}.attributes`),
      };
    }),
  };
}
