/**
 * The body of a 200 answer to an OTLP trace export: ExportTraceServiceResponse, whose partial_success
 * tells the exporter how many spans were rejected and why. A full success with no message is the empty
 * message, as the OTLP spec treats an all-default partial_success like an absent one.
 */
import type { OtlpContentType } from './decoded-trace-request.js';
import { exportTraceServiceResponseType } from './proto-schema.js';

export interface ExportTraceResult {
  /** Spans not accepted (failed verification, malformed record, ...). */
  readonly rejectedSpans: number;
  /** Developer-facing English; '' when there is nothing to say. */
  readonly errorMessage: string;
}

const encoder = new TextEncoder();

export function encodeExportTraceServiceResponse(result: ExportTraceResult, contentType: OtlpContentType): Uint8Array {
  const { rejectedSpans, errorMessage } = result;
  if (!Number.isSafeInteger(rejectedSpans) || rejectedSpans < 0) throw new RangeError(`rejectedSpans must be a non-negative integer, got ${rejectedSpans}`);
  if (typeof errorMessage !== 'string') throw new TypeError('errorMessage must be a string');
  // Default values are left out, as proto3 encoders do, so full success is the empty message.
  const partialSuccess = {
    ...(rejectedSpans === 0 ? {} : { rejectedSpans }),
    ...(errorMessage === '' ? {} : { errorMessage }),
  };
  const message = rejectedSpans === 0 && errorMessage === '' ? {} : { partialSuccess };
  if (contentType === 'protobuf') {
    return exportTraceServiceResponseType.encode(exportTraceServiceResponseType.fromObject(message)).finish();
  }
  if (contentType === 'json') {
    // proto3 JSON spells int64 as a decimal string.
    return encoder.encode(JSON.stringify(message, (key, value: unknown) => (key === 'rejectedSpans' ? String(value) : value)));
  }
  throw new TypeError(`contentType must be 'protobuf' or 'json', got ${String(contentType)}`);
}
