/**
 * The facto.v1 record: the JSON object whose RFC 8785 canonical bytes are hashed and signed. It is
 * built from a span's transport-neutral fields and the chain fields, with the facto.* transport
 * attributes left out and every content attribute replaced by its commitment. docs/spec.md, "Record".
 */
import { concatBytes, utf8 } from '../bytes.js';
import { sha3_256Of } from '../crypto/index.js';
import { FactoError } from '../errors.js';
import { DOMAIN, FORMAT, TRANSPORT_KEYS } from './constants.js';
import { recordText } from './record-text.js';
import { assertRecord } from './record-shape.js';
import type { AttributePairs, CommittedValue, SpanFields, TypedValue } from './types.js';

export type RecordAttributes = { readonly [key: string]: TypedValue | CommittedValue };

export interface FactoRecord {
  readonly format: typeof FORMAT;
  readonly facto_id: string;
  readonly agent_id: string;
  readonly chain_id: string;
  readonly seq: number;
  readonly prev_hash: string;
  readonly key_id: string;
  readonly dropped: number;
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_span_id: string;
  readonly name: string;
  readonly kind: number;
  readonly start_time_unix_nano: string;
  readonly end_time_unix_nano: string;
  readonly status: { readonly code: number; readonly message: string };
  readonly attributes: RecordAttributes;
  readonly events: readonly { readonly name: string; readonly time_unix_nano: string; readonly attributes: RecordAttributes }[];
  readonly links: readonly { readonly trace_id: string; readonly span_id: string; readonly attributes: RecordAttributes }[];
}

/** The chain and identity fields of a record. */
export interface ChainFields {
  readonly factoId: string;
  readonly agentId: string;
  readonly chainId: string;
  readonly seq: number;
  /** Lowercase hex, 64 digits; 64 zeros at seq 0. */
  readonly prevHash: string;
  readonly keyId: string;
  /** Signed spans of this chain the signer has dropped before this one, in total. */
  readonly dropped: number;
}

export { isFactoId } from './record-shape.js';

const RECORD_PREFIX = concatBytes(utf8(DOMAIN.record), new Uint8Array([0]));

function check(condition: boolean, path: string, message: string): asserts condition {
  if (!condition) throw new FactoError('record_format', `${path}: ${message}`);
}

/**
 * Turns attribute pairs into the record's attribute object: transport keys dropped (top level only),
 * committed keys replaced by `{ c }`, duplicates refused. Null-prototype, so "__proto__" is an
 * ordinary key. The values are checked with the rest of the record (assertRecord).
 */
function recordAttributes(pairs: AttributePairs, path: string, commitments?: ReadonlyMap<string, string>): RecordAttributes {
  const out: Record<string, TypedValue | CommittedValue> = Object.create(null);
  const seen = new Set<string>();
  for (const [key, value] of pairs) {
    check(typeof key === 'string', path, 'attribute keys must be strings');
    if (commitments && TRANSPORT_KEYS.has(key)) continue;
    check(!seen.has(key), `${path}["${key}"]`, 'duplicate attribute key');
    seen.add(key);
    if (commitments?.has(key)) continue;
    out[key] = value;
  }
  if (commitments) {
    for (const [key, commitment] of commitments) out[key] = { c: commitment };
  }
  return out;
}

/**
 * Builds the record. `commitments` maps each content key to its commitment (hex); those keys' values
 * in `span.attributes`, if present, are not part of the record.
 */
export function createRecord(span: SpanFields, chain: ChainFields, commitments: ReadonlyMap<string, string> = new Map()): FactoRecord {
  const record = {
    format: FORMAT,
    facto_id: chain.factoId,
    agent_id: chain.agentId,
    chain_id: chain.chainId,
    seq: chain.seq,
    prev_hash: chain.prevHash,
    key_id: chain.keyId,
    dropped: chain.dropped,
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    start_time_unix_nano: span.startTimeUnixNano,
    end_time_unix_nano: span.endTimeUnixNano,
    status: { code: span.status.code, message: span.status.message },
    attributes: recordAttributes(span.attributes, 'attributes', commitments),
    events: span.events.map((event, index) => ({
      name: event.name,
      time_unix_nano: event.timeUnixNano,
      attributes: recordAttributes(event.attributes, `events[${index}].attributes`),
    })),
    links: span.links.map((link, index) => ({ trace_id: link.traceId, span_id: link.spanId, attributes: recordAttributes(link.attributes, `links[${index}].attributes`) })),
  };
  // One definition of a record (sections 3 and 4), shared with every verifier: what this builds is never refused there.
  assertRecord(record);
  return record;
}

/** The record's canonical bytes (RFC 8785). */
export function encodeRecord(record: FactoRecord): Uint8Array {
  return utf8(recordText(record));
}

/** record hash = SHA3-256("facto.v1.record" 0x00 || JCS(record)). */
export function hashRecord(record: FactoRecord): Uint8Array {
  return sha3_256Of(RECORD_PREFIX, recordText(record));
}

/** The record's canonical text and its hash, computed once (a verifier that stores the text needs both). */
export function canonicalRecord(record: FactoRecord): { readonly text: string; readonly hash: Uint8Array } {
  const text = recordText(record);
  return { text, hash: sha3_256Of(RECORD_PREFIX, text) };
}
