/**
 * What a failed export says about the batch, read from the HTTP status the official OTLP exporters
 * put on their error: delivered, refused (this batch: split it or drop a lone span), misconfigured
 * (every request: the endpoint or the token) or transient (retry later). export-queue.ts acts on it.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ObservedExportResult, Rejection } from './partial-success.js';

export type Outcome =
  /** The collector took the batch; `rejection` is what it rejected inside its 200 (partial_success). */
  | { readonly kind: 'delivered'; readonly rejection?: Rejection }
  /** The collector will not take this batch as it is: split it, or drop a lone span. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** The collector refuses every request until someone fixes the endpoint or the token. */
  | { readonly kind: 'misconfigured'; readonly reason: string }
  | { readonly kind: 'transient'; readonly reason: string };

// Statuses that say nothing about the batch: the URL, the credentials or the protocol are wrong.
const MISCONFIGURED = new Set([401, 403, 404, 405, 407, 415]);
// 4xx statuses that mean "try again later" rather than "never".
const TRANSIENT_CLIENT_ERRORS = new Set([408, 425, 429]);

/** Reads the HTTP status the OTLP exporters put on their error (OTLPExporterError.code). */
export function classify(result: ExportResult): Outcome {
  if (result.code === ExportResultCode.SUCCESS) {
    const rejection = (result as ObservedExportResult).rejection;
    return rejection === undefined ? { kind: 'delivered' } : { kind: 'delivered', rejection };
  }
  const error = result.error as (Error & { code?: unknown; data?: unknown }) | undefined;
  const status = typeof error?.code === 'number' && error.code >= 100 && error.code <= 599 ? error.code : undefined;
  const detail = typeof error?.data === 'string' && error.data.length > 0 ? `: ${error.data.slice(0, 200)}` : error?.message ? `: ${error.message}` : '';
  const reason = status === undefined ? (error?.message ?? 'unknown error') : `HTTP ${status}${detail}`;
  if (status === undefined || status >= 500 || TRANSIENT_CLIENT_ERRORS.has(status)) return { kind: 'transient', reason };
  if (MISCONFIGURED.has(status)) return { kind: 'misconfigured', reason };
  if (status >= 400) return { kind: 'refused', reason };
  return { kind: 'transient', reason };
}
