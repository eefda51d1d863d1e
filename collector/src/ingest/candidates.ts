/**
 * Phase one of ingest, outside the sequencer lane because it is the CPU-heavy part: for every span of
 * a request, rebuild the record, recompute the hash and verify the signature. Nothing here reads or
 * writes shared state (the key lookup only chooses which key to try first), so requests can do it
 * concurrently and, at scale, on other replicas.
 */
import { ATTR, FactoError, fromHex, isSealed, toHex, keyId as computeKeyId, openSpan, verifyRecordSignature, type AttributePairs, type FactoRecord, type OpenedSpan, type SpanFields } from '@facto/core';
import type { DecodedTraceRequest } from '../otlp/decoded-trace-request.js';

/** Where a span sat in its request and what came with it. */
export interface Placement {
  /** [resource, scope, span] position in the request, for forwarding decisions. */
  readonly position: readonly [number, number, number];
  readonly span: SpanFields;
  readonly resource: AttributePairs;
  readonly scope: { readonly name: string; readonly version: string };
}

/** A span without facto.signature: the collector's unsigned-span policy decides it. */
export interface UnsignedCandidate extends Placement {
  readonly kind: 'unsigned';
}

/** A signed span whose record cannot be rebuilt, or does not hash to what the signer claimed. */
export interface UnreadableCandidate extends Placement {
  readonly kind: 'unreadable';
  readonly reason: 'malformed_record' | 'hash_mismatch';
  readonly detail: string;
  /** The rebuilt record, when there is one (a hash mismatch), for the incident. */
  readonly record?: FactoRecord;
}

/** A signed span whose record was rebuilt and hashes to its facto.hash. */
export interface SignedCandidate extends Placement {
  readonly kind: 'signed';
  readonly opened: OpenedSpan;
  readonly record: FactoRecord;
  /** Hex of the record hash recomputed from what arrived. */
  readonly hash: string;
  /** Hex of the signature. */
  readonly signature: string;
  /** The public key facto.public_key carried, if it matches key_id. */
  readonly presentedKey?: string;
  /** The public key (hex) the signature was verified under in this phase, if it verified. */
  readonly verifiedWith?: string;
}

export type Candidate = UnsignedCandidate | UnreadableCandidate | SignedCandidate;

/** Which key phase one should try first for a key id (the registry's, when it has one). */
export type KeyLookup = (keyId: string) => string | undefined;

export function examineRequest(request: DecodedTraceRequest, registeredKey: KeyLookup): Candidate[] {
  const candidates: Candidate[] = [];
  request.resourceSpans.forEach((resourceSpans, resourceIndex) => {
    resourceSpans.scopeSpans.forEach((scopeSpans, scopeIndex) => {
      scopeSpans.spans.forEach((span, spanIndex) => {
        const placement: Placement = { position: [resourceIndex, scopeIndex, spanIndex], span, resource: resourceSpans.resource.attributes, scope: scopeSpans.scope };
        candidates.push(examineSpan(placement, registeredKey));
      });
    });
  });
  return candidates;
}

function stringAttribute(span: SpanFields, key: string): string | undefined {
  for (const [name, value] of span.attributes) if (name === key && value !== null && 's' in value) return value.s;
  return undefined;
}

/** facto.public_key, if it is a well-formed key whose id is the record's key_id. */
function presentedKeyOf(span: SpanFields, keyId: string): string | undefined {
  const presented = stringAttribute(span, ATTR.publicKey);
  if (presented === undefined) return undefined;
  try {
    return computeKeyId(fromHex(presented, ATTR.publicKey, 32)) === keyId ? presented : undefined;
  } catch {
    return undefined;
  }
}

export function examineSpan(placement: Placement, registeredKey: KeyLookup): Candidate {
  if (!isSealed(placement.span)) return { ...placement, kind: 'unsigned' };
  let opened: OpenedSpan;
  try {
    opened = openSpan(placement.span);
  } catch (error) {
    const detail = FactoError.isInstance(error) ? error.message : String(error);
    return { ...placement, kind: 'unreadable', reason: 'malformed_record', detail };
  }
  if (!opened.hashMatches) {
    return { ...placement, kind: 'unreadable', reason: 'hash_mismatch', detail: 'the span does not hash to its facto.hash: altered after signing', record: opened.record };
  }
  const record = opened.record;
  const presentedKey = presentedKeyOf(placement.span, record.key_id);
  const tryKey = registeredKey(record.key_id) ?? presentedKey;
  const verified = tryKey !== undefined && verifyRecordSignature(opened.hash, opened.signature, fromHex(tryKey, 'public key', 32));
  return {
    ...placement,
    kind: 'signed',
    opened,
    record,
    hash: toHex(opened.hash),
    signature: toHex(opened.signature),
    presentedKey,
    verifiedWith: verified ? tryKey : undefined,
  };
}
