/**
 * Entry point for OTLP/HTTP trace bodies, already gunzipped by the HTTP layer. Both encodings yield the
 * same DecodedTraceRequest for the same spans; that equality is what lets the collector re-derive the
 * exact record an agent signed, whichever exporter protocol the agent chose.
 */
import type { DecodedTraceRequest, OtlpContentType } from './decoded-trace-request.js';
import { decodeJsonTraceRequest } from './decode-json.js';
import { decodeProtobufTraceRequest } from './decode-protobuf.js';

/** Throws OtlpDecodeError (a FactoError, code 'invalid_argument') naming the offending field. */
export function decodeTraceRequest(body: Uint8Array, contentType: OtlpContentType): DecodedTraceRequest {
  if (!(body instanceof Uint8Array)) throw new TypeError('body must be a Uint8Array');
  if (contentType === 'protobuf') return decodeProtobufTraceRequest(body);
  if (contentType === 'json') return decodeJsonTraceRequest(body);
  throw new TypeError(`contentType must be 'protobuf' or 'json', got ${String(contentType)}`);
}
