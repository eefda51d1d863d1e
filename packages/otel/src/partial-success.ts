/**
 * What the collector rejected inside a 200. OTLP lets a receiver take a request and reject some of
 * its spans (`partial_success`: how many, and why); the Facto collector does so for a span it cannot
 * trust (an unknown or mismatched key, a bad signature, a record altered after signing). The official
 * OTLP exporters read that answer but only log it through diag, and report the export as a success,
 * so an agent whose key the collector does not know would be told "delivered" for every span.
 *
 * The exporters' delegate (OTLPExporterBase's `_delegate`, @opentelemetry/otlp-exporter-base 0.2xx)
 * hands every deserialised answer to its response handler, synchronously, just before it calls the
 * export's callback. observeRejections puts a handler in front of the official one (which still runs,
 * so its diag warning stays) that notes the answer's partial_success, and wraps export() so that the
 * callback's result carries it. An answer noted is only read by the callback that follows it in the
 * same synchronous run: it is forgotten on the next microtask, so an answer to someone else's use of
 * the same exporter is never taken for ours.
 *
 * The delegate is not public API. When it is not there (a custom exporter, another exporter version),
 * the exporter is used as it is and rejections go uncounted, as before; the tests hold both official
 * exporters of the tested versions to the hook.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface Rejection {
  /** Spans the collector took in and rejected. */
  readonly spans: number;
  /** The collector's reason, as it wrote it (may be ''). */
  readonly message: string;
}

/** An export's result with the collector's partial_success, when it rejected anything. */
export interface ObservedExportResult extends ExportResult {
  readonly rejection?: Rejection;
}

interface ResponseHandler {
  handleResponse(response: unknown): void;
}

const MAX_MESSAGE_LENGTH = 500;

/** partial_success of an ExportTraceServiceResponse as the official serializers decode it (protobuf or JSON). */
export function rejectionOf(response: unknown): Rejection | undefined {
  const partial = (response as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } } | null | undefined)?.partialSuccess;
  if (partial === undefined || partial === null) return undefined;
  // int64: a number from protobufjs (or a Long), a decimal string from OTLP/JSON.
  const raw = partial.rejectedSpans;
  const spans = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : typeof raw === 'object' && raw !== null ? Number(String(raw)) : 0;
  if (!Number.isSafeInteger(spans) || spans <= 0) return undefined;
  const message = typeof partial.errorMessage === 'string' ? partial.errorMessage.slice(0, MAX_MESSAGE_LENGTH) : '';
  return { spans, message };
}

/** The exporter, reporting the collector's partial_success on each export's result (ObservedExportResult). */
export function observeRejections(exporter: SpanExporter): SpanExporter {
  const delegate = (exporter as { _delegate?: { _responseHandler?: unknown } })._delegate;
  const official = delegate?._responseHandler as ResponseHandler | undefined;
  if (delegate === undefined || typeof official?.handleResponse !== 'function') return exporter;
  let answered: Rejection | undefined;
  const observing: ResponseHandler = {
    handleResponse(response) {
      try {
        answered = rejectionOf(response);
        if (answered !== undefined) queueMicrotask(() => (answered = undefined));
      } catch {
        answered = undefined;
      }
      official.handleResponse(response);
    },
  };
  delegate._responseHandler = observing;
  return {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
      exporter.export(spans, (result) => {
        const rejection = answered;
        answered = undefined;
        const observed: ObservedExportResult = rejection !== undefined && result.code === ExportResultCode.SUCCESS ? { ...result, rejection } : result;
        resultCallback(observed);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/** The diag error for the first export of an episode whose answer rejected spans. */
export function rejectionReport(rejected: number, sent: number, message: string): string {
  const why = message === '' ? '' : ` (${message})`;
  return `the collector took in ${sent} spans and rejected ${rejected} of them${why}; they are not sent again: it keeps each as an incident (GET /v1/incidents). Usually the collector does not know this agent's key: register it (--keys). Reported once until an export is taken whole`;
}
