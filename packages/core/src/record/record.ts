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
import { assertTypedValue } from './typed-value.js';
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

const FACTO_ID = /^ft-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `ft-` and a lowercase RFC 9562 UUID in 8-4-4-4-12 form (section 4). */
export function isFactoId(value: unknown): value is string {
  return typeof value === 'string' && FACTO_ID.test(value);
}
const HASH_HEX = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{32}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const NANOS = /^(?:0|[1-9][0-9]{0,19})$/;
const UINT64_MAX = 2n ** 64n - 1n;
const MAX_ID_LENGTH = 256;
const RECORD_PREFIX = concatBytes(utf8(DOMAIN.record), new Uint8Array([0]));

function fail(path: string, message: string): never {
  throw new FactoError('record_format', `${path}: ${message}`);
}

function check(condition: boolean, path: string, message: string): asserts condition {
  if (!condition) fail(path, message);
}

function nanos(value: string, path: string): string {
  check(typeof value === 'string' && NANOS.test(value) && BigInt(value) <= UINT64_MAX, path, 'expected decimal uint64 nanoseconds');
  return value;
}

function identifier(value: string, path: string): string {
  check(typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH, path, `expected a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  return value;
}

function counter(value: number, path: string): number {
  check(Number.isSafeInteger(value) && value >= 0, path, 'expected a non-negative safe integer');
  return value;
}

/**
 * Turns attribute pairs into the record's attribute object: transport keys dropped (top level only),
 * committed keys replaced by `{ c }`, duplicates refused. Null-prototype, so "__proto__" is an
 * ordinary key.
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
    assertTypedValue(value, `${path}["${key}"]`);
    out[key] = value;
  }
  if (commitments) {
    for (const [key, commitment] of commitments) {
      check(HASH_HEX.test(commitment), `${path}["${key}"]`, 'commitment must be 64 lowercase hex digits');
      check(!TRANSPORT_KEYS.has(key), `${path}["${key}"]`, 'a transport attribute cannot be content');
      out[key] = { c: commitment };
    }
  }
  return out;
}

/**
 * Builds the record. `commitments` maps each content key to its commitment (hex); those keys' values
 * in `span.attributes`, if present, are not part of the record.
 */
export function createRecord(span: SpanFields, chain: ChainFields, commitments: ReadonlyMap<string, string> = new Map()): FactoRecord {
  check(FACTO_ID.test(chain.factoId), 'facto_id', 'expected "ft-" and a lowercase UUID');
  check(HASH_HEX.test(chain.prevHash), 'prev_hash', 'expected 64 lowercase hex digits');
  check(KEY_ID.test(chain.keyId), 'key_id', 'expected 32 lowercase hex digits');
  check(TRACE_ID.test(span.traceId), 'trace_id', 'expected 32 lowercase hex digits');
  check(SPAN_ID.test(span.spanId), 'span_id', 'expected 16 lowercase hex digits');
  check(span.parentSpanId === '' || SPAN_ID.test(span.parentSpanId), 'parent_span_id', 'expected 16 lowercase hex digits or ""');
  check(Number.isInteger(span.kind) && span.kind >= 0 && span.kind <= 5, 'kind', 'expected an OTLP SpanKind 0..5');
  check(Number.isInteger(span.status.code) && span.status.code >= 0 && span.status.code <= 2, 'status.code', 'expected an OTLP StatusCode 0..2');
  check(typeof span.name === 'string' && typeof span.status.message === 'string', 'name', 'name and status message must be strings');
  return {
    format: FORMAT,
    facto_id: chain.factoId,
    agent_id: identifier(chain.agentId, 'agent_id'),
    chain_id: identifier(chain.chainId, 'chain_id'),
    seq: counter(chain.seq, 'seq'),
    prev_hash: chain.prevHash,
    key_id: chain.keyId,
    dropped: counter(chain.dropped, 'dropped'),
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    start_time_unix_nano: nanos(span.startTimeUnixNano, 'start_time_unix_nano'),
    end_time_unix_nano: nanos(span.endTimeUnixNano, 'end_time_unix_nano'),
    status: { code: span.status.code, message: span.status.message },
    attributes: recordAttributes(span.attributes, 'attributes', commitments),
    events: span.events.map((event, index) => {
      check(typeof event.name === 'string', `events[${index}].name`, 'expected a string');
      return {
        name: event.name,
        time_unix_nano: nanos(event.timeUnixNano, `events[${index}].time_unix_nano`),
        attributes: recordAttributes(event.attributes, `events[${index}].attributes`),
      };
    }),
    links: span.links.map((link, index) => {
      check(TRACE_ID.test(link.traceId), `links[${index}].trace_id`, 'expected 32 lowercase hex digits');
      check(SPAN_ID.test(link.spanId), `links[${index}].span_id`, 'expected 16 lowercase hex digits');
      return { trace_id: link.traceId, span_id: link.spanId, attributes: recordAttributes(link.attributes, `links[${index}].attributes`) };
    }),
  };
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
