/**
 * Phase one of ingest, outside the sequencer lane because it is the CPU-heavy part: for every span of
 * a request, rebuild the record, recompute the hash and verify the signature. Nothing here reads or
 * writes shared state, so requests can do it concurrently (and, at scale, on other replicas).
 */
import { ATTR, FactoError, fromHex, isSealed, toHex, keyId as computeKeyId, openSpan, verifyRecordSignature, type AttributePairs, type OpenedSpan, type SpanFields } from '@facto/core';
import type { DecodedTraceRequest } from '../otlp/decoded-trace-request.js';
import type { IncidentKind } from '../store/types.js';
import type { KeyRegistry } from './key-registry.js';

export interface Candidate {
  /** [resource, scope, span] position in the request, for forwarding decisions. */
  readonly position: readonly [number, number, number];
  readonly span: SpanFields;
  readonly resource: AttributePairs;
  readonly scope: { readonly name: string; readonly version: string };
  readonly sealed: boolean;
  readonly opened?: OpenedSpan;
  /** Hex of the record hash recomputed from what arrived. */
  readonly hash?: string;
  /** The public key facto.public_key carried, if it matches key_id. */
  readonly presentedKey?: string;
  /** The signature verified under the key the registry holds for key_id, or else the presented key. */
  readonly signatureOk: boolean;
  /** Why the span is refused before any key decision, if it is. */
  readonly failure?: { readonly kind: IncidentKind; readonly detail: string };
}

function stringAttribute(span: SpanFields, key: string): string | undefined {
  for (const [name, value] of span.attributes) if (name === key && value !== null && 's' in value) return value.s;
  return undefined;
}

export function examineRequest(request: DecodedTraceRequest, registry: KeyRegistry): Candidate[] {
  const candidates: Candidate[] = [];
  request.resourceSpans.forEach((resourceSpans, resourceIndex) => {
    resourceSpans.scopeSpans.forEach((scopeSpans, scopeIndex) => {
      scopeSpans.spans.forEach((span, spanIndex) => {
        const base = { position: [resourceIndex, scopeIndex, spanIndex] as const, span, resource: resourceSpans.resource.attributes, scope: scopeSpans.scope };
        candidates.push(examineSpan(base, registry));
      });
    });
  });
  return candidates;
}

function examineSpan(base: Pick<Candidate, 'position' | 'span' | 'resource' | 'scope'>, registry: KeyRegistry): Candidate {
  if (!isSealed(base.span)) return { ...base, sealed: false, signatureOk: false };
  let opened: OpenedSpan;
  try {
    opened = openSpan(base.span);
  } catch (error) {
    const detail = FactoError.isInstance(error) ? error.message : String(error);
    return { ...base, sealed: true, signatureOk: false, failure: { kind: 'malformed_record', detail } };
  }
  const hash = toHex(opened.hash);
  if (!opened.hashMatches) {
    return { ...base, sealed: true, opened, hash, signatureOk: false, failure: { kind: 'hash_mismatch', detail: 'the span does not hash to its facto.hash: altered after signing' } };
  }
  let presentedKey = stringAttribute(base.span, ATTR.publicKey);
  try {
    if (presentedKey !== undefined && computeKeyId(fromHex(presentedKey, ATTR.publicKey, 32)) !== opened.record.key_id) presentedKey = undefined;
  } catch {
    presentedKey = undefined;
  }
  const verifyWith = registry.publicKeyFor(opened.record.key_id) ?? presentedKey;
  const signatureOk = verifyWith !== undefined && verifyRecordSignature(opened.hash, opened.signature, fromHex(verifyWith, 'public key', 32));
  return { ...base, sealed: true, opened, hash, presentedKey, signatureOk };
}
