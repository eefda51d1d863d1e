/**
 * POST /v1/traces, the OTLP/HTTP trace receiver. It decodes the body in the encoding its Content-Type
 * names, hands the spans to the ingest service and answers in that same encoding, as OTLP/HTTP
 * requires, with an ExportTraceServiceResponse whose partial_success counts the rejected spans, and
 * fails (4xx, 5xx) with a google.rpc.Status in that encoding too (otlp/encode-status.ts). The
 * 200 comes only after the ingest service committed, the request's copy for downstream included (it
 * is queued in the store with the spans; forwarding itself never delays the answer). Spans kept
 * nowhere but the forward queue (unsigned ones under --unsigned forward) are acknowledged only once
 * queued: the 200 must not stand for spans already lost, so a full queue is a 503 + Retry-After for
 * them, which OTLP exporters retry.
 *
 * A request's spans are counted in the span metrics only once it is acknowledged: one answered 503
 * comes back, and counting both times would count its spans twice.
 */
import type { CollectorContext } from '../context.js';
import type { IngestOutcome } from '../ingest/ingest-service.js';
import type { Metrics } from '../ops/metrics.js';
import { selectsAny, type OtlpContentType } from '../otlp/decoded-trace-request.js';
import { encodeExportTraceServiceResponse } from '../otlp/encode-response.js';
import { encodeFailureStatus } from '../otlp/encode-status.js';
import { HttpError, type Failure, type HttpRequest, type HttpResponse, type Route } from './types.js';

const CONTENT_TYPES = new Map<string, OtlpContentType>([
  ['application/x-protobuf', 'protobuf'],
  ['application/json', 'json'],
]);
const MEDIA_TYPES: Readonly<Record<OtlpContentType, string>> = { protobuf: 'application/x-protobuf', json: 'application/json' };
// A full forward queue drains at the downstream's pace: longer than a busy ingest slot takes to free.
const FORWARD_RETRY_AFTER_SECONDS = '5';

export function ingestRoutes(context: CollectorContext): Route[] {
  return [{ method: 'POST', path: '/v1/traces', access: 'ingest', handler: (request) => exportTraces(context, request), failureBody: otlpFailure }];
}

/** A failure as OTLP/HTTP requires it: a google.rpc.Status in the request's encoding (JSON when that is unknown). */
function otlpFailure(failure: Failure, headers: Readonly<Record<string, string | undefined>>): HttpResponse {
  const { mediaType: answered, body } = encodeFailureStatus(failure.status, failure.message, CONTENT_TYPES.get(mediaTypeOf(headers['content-type'])));
  return { status: failure.status, headers: { ...failure.headers, 'content-type': answered }, body };
}

async function exportTraces(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const contentType = contentTypeOf(request.headers['content-type']);
  // OTLP/HTTP reads an empty body as a request without spans (the empty protobuf message); one
  // without spans costs no durable commit.
  const outcome = await context.ingest.ingestBody(request.body, contentType);
  checkForwarded(context, outcome);
  countAcknowledged(context.metrics, contentType, outcome);
  return exportResponse(contentType, outcome.rejected, outcome.errorMessage);
}

/** The spans of a request about to be answered 200, by what the answer says of them. */
function countAcknowledged(metrics: Metrics, contentType: OtlpContentType, outcome: IngestOutcome): void {
  metrics.spansReceived.inc({ encoding: contentType }, outcome.received);
  metrics.spansDuplicate.inc(outcome.duplicates);
  metrics.spansUnverified.inc(outcome.unverified);
  for (const [reason, count] of Object.entries(outcome.rejectedByReason)) metrics.spansRejected.inc({ reason }, count);
}

/** The media type of a Content-Type header, without parameters, lower-case ('' when absent). */
function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function contentTypeOf(header: string | undefined): OtlpContentType {
  const mediaType = mediaTypeOf(header);
  const contentType = CONTENT_TYPES.get(mediaType);
  if (contentType !== undefined) return contentType;
  const accepted = [...CONTENT_TYPES.keys()].join(' or ');
  if (header === undefined) throw new HttpError(415, `the request has no Content-Type; send ${accepted}`);
  throw new HttpError(415, `unsupported Content-Type ${JSON.stringify(mediaType)}; send ${accepted}`);
}

function exportResponse(contentType: OtlpContentType, rejectedSpans: number, errorMessage: string): HttpResponse {
  return {
    status: 200,
    headers: { 'content-type': MEDIA_TYPES[contentType] },
    body: encodeExportTraceServiceResponse({ rejectedSpans, errorMessage }, contentType),
  };
}

/** Refuses the request when spans kept nowhere else could not be queued for downstream. */
function checkForwarded(context: CollectorContext, outcome: IngestOutcome): void {
  if (!selectsAny(outcome.forward)) return;
  // Signed spans alone: committed to the log, their downstream copy best effort. A request answered
  // 503 below committed nothing (ingest-service.ts), its signed spans neither.
  if (context.config.unsigned !== 'forward' || outcome.unverified === 0) return;
  if (context.forwarder === undefined) {
    context.logger.error('unsigned spans are to be forwarded only, and no forward URL is set; refused them');
    throw notForwarded();
  }
  // The forwarder counted and logged the drop.
  if (outcome.forwarding === 'refused') throw new HttpError(503, "the collector cannot pass on this request's unsigned spans right now; retry later", { 'retry-after': FORWARD_RETRY_AFTER_SECONDS });
}

/** Not retryable: whatever failed will fail again for the same request. */
const notForwarded = () => new HttpError(500, 'the unsigned spans in this request could not be passed on downstream, so they were not accepted');
