/**
 * Phase one of ingest, the CPU-heavy part: decode an OTLP request body and, for every span, rebuild
 * the record, recompute the hash and verify the signature under the key the span presents. It reads
 * no shared state, so it runs on worker threads (examine-pool.ts), as many at once as there are
 * cores, and its result is plain data (strings and numbers) that crosses back to the sequencer lane
 * cheaply: the canonical record text, the hashes in hex, everything the decision and the store need.
 *
 * The presented key (facto.public_key) is only used when its key id is the record's key_id, and a key
 * id names one key, so a signature that verifies under it verifies under the registry's key of that
 * id. A span that presents no key is verified later, in the lane, under the registry's key.
 */
import { actionTypeOf, ATTR, FactoError, fromHex, isSealed, keyId as computeKeyId, openSpan, toHex, verifyRecordSignature, type AttributePairs, type OpenedSpan, type SpanFields } from '@facto/core';
import type { DecodedTraceRequest, OtlpContentType } from '../otlp/decoded-trace-request.js';
import { decodeTraceRequest } from '../otlp/decode-trace-request.js';
import { encodeEventBody } from '../store/sqlite/event-body.js';
import type { IncidentSubject } from './incident.js';

/** [resource, scope, span] position in the request. */
export type Position = readonly [number, number, number];

/** A span without facto.signature: the collector's unsigned-span policy decides it. */
export interface UnsignedSpan {
  readonly kind: 'unsigned';
  readonly position: Position;
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  /** JSON of { span, resource, scope }, kept when the policy is `store`. */
  readonly spanJson: string;
}

/** A signed span whose record cannot be rebuilt, or does not hash to what the signer claimed. */
export interface UnreadableSpan {
  readonly kind: 'unreadable';
  readonly position: Position;
  readonly reason: 'malformed_record' | 'hash_mismatch';
  readonly detail: string;
  readonly subject: IncidentSubject;
  /** JSON of { span }: the incident's evidence. */
  readonly evidenceJson: string;
}

/** A signed span whose record was rebuilt and hashes to its facto.hash, with what storing it needs. */
export interface SignedSpan {
  readonly kind: 'signed';
  readonly position: Position;
  readonly factoId: string;
  readonly agentId: string;
  readonly chainId: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly keyId: string;
  readonly dropped: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  /** facto.action_type, else gen_ai.operation.name, else ''. */
  readonly actionType: string;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  /** The record as RFC 8785 text: exactly the bytes hashed after the domain prefix. */
  readonly recordJson: string;
  /** Record hash and signature, lowercase hex. */
  readonly hash: string;
  readonly signature: string;
  /** The public key facto.public_key carried, when its key id is the record's key_id. */
  readonly presentedKey?: string;
  /** The public key (hex) the signature verified under, if it did. */
  readonly verifiedWith?: string;
  /** JSON array of the content disclosures that travelled and match their commitments. */
  readonly disclosuresJson: string;
  /** Hex span salt, when content travelled with it. */
  readonly salt: string | null;
  /** Content keys whose value arrived but does not match its commitment. */
  readonly contentMismatches: readonly string[];
  /** JSON of { resource, scope }: the span's context as received (not signed). */
  readonly contextJson: string;
  /**
   * The SQLite store's body for this event (event-body.ts: the record, disclosures, salt and shown
   * span fields, compressed), when the store asked for it (ExamineOptions.prepareBodies).
   */
  readonly preparedBody?: Uint8Array;
}

/**
 * What the store wants prepared here. Compressing an event's body cost about 40 of the 107 µs the
 * sequencer thread spent per span (measured); that thread is one for the whole collector, so what it
 * does per span caps ingest whatever the number of cores. Done here, it spreads over them.
 */
export interface ExamineOptions {
  /** Encode each signed span's SQLite body (preparedBody). */
  readonly prepareBodies?: boolean;
}

export type ExaminedSpan = UnsignedSpan | UnreadableSpan | SignedSpan;

export interface ExaminedRequest {
  /** Spans per [resource][scope], in request order: the shape of a forward selection. */
  readonly layout: readonly (readonly number[])[];
  readonly spans: readonly ExaminedSpan[];
}

/** Decodes and examines one request. Throws OtlpDecodeError (a FactoError, 400) for a malformed body. */
export function examineBody(body: Uint8Array, contentType: OtlpContentType, options: ExamineOptions = {}): ExaminedRequest {
  return examine(body.length === 0 ? { resourceSpans: [] } : decodeTraceRequest(body, contentType), options, true);
}

export function examineRequest(request: DecodedTraceRequest, options: ExamineOptions = {}): ExaminedRequest {
  return examine(request, options, false);
}

/**
 * `release`: the request is this call's own (examineBody decoded it), so each span's decoded fields
 * are let go once the span is examined. Held to the end, a request's decoded spans were most of what
 * a worker's young-generation collections copied, and then promoted: releasing them cut the pause
 * of each scavenge from about 3.8 to 2.3 ms and what it promoted from about 0.7 MB to nothing.
 */
function examine(request: DecodedTraceRequest, options: ExamineOptions, release: boolean): ExaminedRequest {
  const spans: ExaminedSpan[] = [];
  const layout = request.resourceSpans.map((resourceSpans, resourceIndex) =>
    resourceSpans.scopeSpans.map((scopeSpans, scopeIndex) => {
      const context = { resource: resourceSpans.resource.attributes, scope: scopeSpans.scope };
      const decoded = scopeSpans.spans as (SpanFields | undefined)[];
      let contextJson: string | undefined;
      for (let spanIndex = 0; spanIndex < decoded.length; spanIndex++) {
        contextJson ??= JSON.stringify(context);
        spans.push(examineSpan([resourceIndex, scopeIndex, spanIndex], decoded[spanIndex]!, context, contextJson, options.prepareBodies === true));
        if (release) decoded[spanIndex] = undefined;
      }
      return decoded.length;
    }),
  );
  return { layout, spans };
}

/**
 * The request with every prepared body moved into one ArrayBuffer, and that buffer (empty when none).
 * In place: each span's body becomes a view into the buffer. The worker posts the result next and
 * keeps nothing, and a copy of every span to change one field cost more than the move.
 */
export function packPreparedBodies(result: ExaminedRequest): { result: ExaminedRequest; buffer: ArrayBuffer } {
  let total = 0;
  for (const span of result.spans) if (span.kind === 'signed' && span.preparedBody !== undefined) total += span.preparedBody.length;
  const buffer = new ArrayBuffer(total);
  if (total === 0) return { result, buffer };
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  for (const span of result.spans) {
    if (span.kind !== 'signed' || span.preparedBody === undefined) continue;
    const length = span.preparedBody.length;
    bytes.set(span.preparedBody, offset);
    (span as { preparedBody?: Uint8Array }).preparedBody = bytes.subarray(offset, offset + length);
    offset += length;
  }
  return { result, buffer };
}

function stringAttribute(span: SpanFields, key: string): string | undefined {
  for (const [name, value] of span.attributes) if (name === key && value !== null && 's' in value) return value.s;
  return undefined;
}

interface PresentedKey {
  readonly bytes: Uint8Array;
  readonly keyId: string;
}

// An agent presents the same key on every span; decoding it and hashing it for its id once per key,
// rather than per span, is a hash and two hex conversions less on every span. Only well-formed keys
// (64 hex digits) are remembered, and at most MAX_PRESENTED_KEYS of them: facto.public_key is not
// signed, so anyone who can reach ingest chooses it, and a cache of whatever arrived would let them
// fill memory. A flood of fresh keys only evicts.
const MAX_PRESENTED_KEYS = 1024;
const PUBLIC_KEY_HEX_LENGTH = 64;
const presentedKeys = new Map<string, PresentedKey>();

function readPresentedKey(presented: string): PresentedKey | undefined {
  if (presented.length !== PUBLIC_KEY_HEX_LENGTH) return undefined;
  const known = presentedKeys.get(presented);
  if (known !== undefined) return known;
  let bytes: Uint8Array;
  try {
    bytes = fromHex(presented, ATTR.publicKey, 32);
  } catch {
    return undefined;
  }
  const key = { bytes, keyId: computeKeyId(bytes) };
  if (presentedKeys.size >= MAX_PRESENTED_KEYS) presentedKeys.delete(presentedKeys.keys().next().value!);
  presentedKeys.set(presented, key);
  return key;
}

/** How many presented keys are remembered (for tests: the bound holds whatever arrives). */
export function presentedKeysRemembered(): number {
  return presentedKeys.size;
}

/** facto.public_key, if it is a well-formed key whose id is the record's key_id. */
function presentedKeyOf(span: SpanFields, keyId: string): { readonly hex: string; readonly bytes: Uint8Array } | undefined {
  const presented = stringAttribute(span, ATTR.publicKey);
  if (presented === undefined) return undefined;
  const key = readPresentedKey(presented);
  return key !== undefined && key.keyId === keyId ? { hex: presented, bytes: key.bytes } : undefined;
}

function examineSpan(position: Position, span: SpanFields, context: { resource: AttributePairs; scope: unknown }, contextJson: string, prepareBody: boolean): ExaminedSpan {
  if (!isSealed(span)) return { kind: 'unsigned', position, traceId: span.traceId, spanId: span.spanId, name: span.name, spanJson: JSON.stringify({ span, ...context }) };
  let opened: OpenedSpan;
  try {
    opened = openSpan(span);
  } catch (error) {
    const detail = FactoError.isInstance(error) ? error.message : String(error);
    return { kind: 'unreadable', position, reason: 'malformed_record', detail, subject: { agentId: null, chainId: null, seq: null, factoId: null }, evidenceJson: JSON.stringify({ span }) };
  }
  const record = opened.record;
  if (!opened.hashMatches) {
    return {
      kind: 'unreadable',
      position,
      reason: 'hash_mismatch',
      detail: 'the span does not hash to its facto.hash: altered after signing',
      subject: { agentId: record.agent_id, chainId: record.chain_id, seq: record.seq, factoId: record.facto_id },
      evidenceJson: JSON.stringify({ span }),
    };
  }
  const presented = presentedKeyOf(span, record.key_id);
  const presentedKey = presented?.hex;
  const verified = presented !== undefined && verifyRecordSignature(opened.hash, opened.signature, presented.bytes);
  const salt = stringAttribute(span, ATTR.salt);
  const signed: SignedSpan = {
    kind: 'signed',
    position,
    factoId: record.facto_id,
    agentId: record.agent_id,
    chainId: record.chain_id,
    seq: record.seq,
    prevHash: record.prev_hash,
    keyId: record.key_id,
    dropped: record.dropped,
    traceId: record.trace_id,
    spanId: record.span_id,
    name: record.name,
    actionType: actionTypeOf(record.attributes),
    startTimeUnixNano: record.start_time_unix_nano,
    endTimeUnixNano: record.end_time_unix_nano,
    recordJson: opened.canonical,
    hash: toHex(opened.hash),
    signature: toHex(opened.signature),
    presentedKey,
    verifiedWith: verified ? presentedKey : undefined,
    disclosuresJson: JSON.stringify(opened.disclosures),
    salt: opened.disclosures.length > 0 && salt !== undefined ? salt : null,
    contentMismatches: opened.contentMismatches,
    contextJson,
  };
  return prepareBody ? Object.assign(signed, { preparedBody: encodeEventBody(signed) }) : signed;
}

