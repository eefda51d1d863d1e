/**
 * Cuts an OTLP trace request down to the spans the collector passes on (rejected spans never go
 * downstream). When every span passes, the body goes on byte for byte; otherwise the request is
 * re-encoded in its own encoding without the others, and without scope and resource groups left empty.
 */
import type { OtlpContentType, SpanSelection } from '../otlp/decoded-trace-request.js';
import { exportTraceServiceRequestType } from '../otlp/proto-schema.js';

/** The shape shared by the protobufjs message and the parsed OTLP/JSON, as far as filtering needs it. */
interface SpanGroups {
  resourceSpans?: { scopeSpans?: { spans?: unknown[] | null }[] | null }[] | null;
}

/**
 * The request without the spans `keep` leaves out. `body` must be the request `keep` was made for (it
 * was decoded once already); a selection of another shape is a RangeError.
 */
export function filterRequest(body: Uint8Array, contentType: OtlpContentType, keep: SpanSelection): Uint8Array {
  if (keep.every((scopes) => scopes.every((spans) => spans.every(Boolean)))) return body;
  if (contentType === 'protobuf') {
    const message = exportTraceServiceRequestType.decode(body);
    removeLeftOutSpans(message as SpanGroups, keep);
    return exportTraceServiceRequestType.encode(message).finish();
  }
  // JSON.stringify writes back each number as the same double JSON.parse read, which is also how the
  // collector's own decoder took it; unknown keys stay, as OTLP/JSON asks of intermediaries.
  const request = JSON.parse(new TextDecoder().decode(body)) as SpanGroups;
  removeLeftOutSpans(request, keep);
  return new TextEncoder().encode(JSON.stringify(request));
}

function removeLeftOutSpans(request: SpanGroups, keep: SpanSelection): void {
  request.resourceSpans = (request.resourceSpans ?? []).filter((resource, resourceIndex) => {
    resource.scopeSpans = (resource.scopeSpans ?? []).filter((scope, scopeIndex) => {
      scope.spans = (scope.spans ?? []).filter((_span, spanIndex) => {
        const kept = keep[resourceIndex]?.[scopeIndex]?.[spanIndex];
        if (kept === undefined) throw new RangeError(`span selection has no entry for resourceSpans[${resourceIndex}].scopeSpans[${scopeIndex}].spans[${spanIndex}]`);
        return kept;
      });
      return scope.spans.length > 0;
    });
    return resource.scopeSpans.length > 0;
  });
}
