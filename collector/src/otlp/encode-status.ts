/**
 * The body of an OTLP/HTTP failure. The OTLP specification (OTLP/HTTP, "Failures") requires every 4xx
 * and 5xx answer to carry a `google.rpc.Status` describing the problem, in the encoding of the
 * request: an OTLP/HTTP exporter (the OpenTelemetry Collector's among them) reads its `message` to say
 * why an export failed. Status is `{ int32 code = 1; string message = 2; repeated Any details = 3; }`
 * (googleapis, google/rpc/status.proto); `details` is left empty. `code` is the gRPC status code
 * (grpc/grpc, doc/statuscodes.md) closest to the HTTP status the collector answers with.
 */
import protobuf from 'protobufjs';
import type { OtlpContentType } from './decoded-trace-request.js';

const statusType = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(statusType);

/** gRPC status codes by the HTTP status the collector answers with. */
const GRPC_CODES: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  405: 12, // UNIMPLEMENTED
  408: 4, // DEADLINE_EXCEEDED
  413: 3, // INVALID_ARGUMENT: this body, as sent, will never be taken
  415: 3, // INVALID_ARGUMENT
  429: 8, // RESOURCE_EXHAUSTED
  500: 13, // INTERNAL
  503: 14, // UNAVAILABLE
};
const UNKNOWN = 2;

export function grpcCodeFor(httpStatus: number): number {
  return GRPC_CODES[httpStatus] ?? UNKNOWN;
}

// A lone surrogate has no UTF-8 form; protobuf's string must be valid UTF-8 (and JSON.stringify would
// write it as an escape no strict reader takes). Messages quote input through JSON, so none is
// expected; one would become U+FFFD rather than an invalid body.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A Status for `message`, as protobuf for a protobuf request and as proto3 JSON otherwise. */
export function encodeFailureStatus(httpStatus: number, message: string, contentType: OtlpContentType | undefined): { readonly mediaType: string; readonly body: Uint8Array } {
  const status = { code: grpcCodeFor(httpStatus), message: message.replace(LONE_SURROGATE, '\uFFFD') };
  if (contentType === 'protobuf') return { mediaType: 'application/x-protobuf', body: statusType.encode(statusType.fromObject(status)).finish() };
  return { mediaType: 'application/json', body: Buffer.from(JSON.stringify(status), 'utf8') };
}

/** Reads a Status from a protobuf body (tests, and anyone checking what an exporter would read). */
export function decodeFailureStatus(body: Uint8Array): { code: number; message: string } {
  const decoded = statusType.toObject(statusType.decode(body), { defaults: true }) as { code: number; message: string };
  return { code: decoded.code, message: decoded.message };
}
