/**
 * What the collector takes from an OTLP trace export, whichever encoding carried it: the spans in the
 * transport-neutral SpanFields shape the facto.v1 record is built from, grouped as OTLP groups them.
 * Fields the record does not use (trace state, flags, dropped counts, scope attributes) are left out.
 */
import type { AttributePairs, SpanFields } from '@facto/core';

export type OtlpContentType = 'protobuf' | 'json';

export interface DecodedScopeSpans {
  readonly scope: { readonly name: string; readonly version: string };
  readonly schemaUrl: string;
  readonly spans: readonly SpanFields[];
}

export interface DecodedResourceSpans {
  readonly resource: { readonly attributes: AttributePairs };
  readonly schemaUrl: string;
  readonly scopeSpans: readonly DecodedScopeSpans[];
}

export interface DecodedTraceRequest {
  readonly resourceSpans: readonly DecodedResourceSpans[];
}

/** Per [resource][scope][span] of a request: whether the span is chosen (for example, to go downstream). */
export type SpanSelection = readonly (readonly (readonly boolean[])[])[];

export function selectsAny(selection: SpanSelection): boolean {
  return selection.some((scopes) => scopes.some((spans) => spans.includes(true)));
}
