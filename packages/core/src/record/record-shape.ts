/**
 * What a facto.v1 record is (docs/spec.md sections 3 and 4), as one check: exactly its members, each
 * of its JSON type and form, attributes of typed values (section 3) and commitments only where
 * section 4.1 puts them. The record builder (createRecord) ends with it, so nothing it signs could be
 * refused here; a verifier runs it on every record it reads from outside, so that a record a signer
 * should never have produced fails however well it is signed and proven.
 */
import { FactoError } from '../errors.js';
import { FORMAT, TRANSPORT_KEYS } from './constants.js';
import type { FactoRecord } from './record.js';
import { assertTypedValue, describeValue } from './typed-value.js';

const FACTO_ID = /^ft-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HASH_HEX = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{32}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const NANOS = /^(?:0|[1-9][0-9]{0,19})$/;
const UINT64_MAX = 2n ** 64n - 1n;
const MAX_ID_LENGTH = 256;

/** `ft-` and a lowercase RFC 9562 UUID in 8-4-4-4-12 form (section 4). */
export function isFactoId(value: unknown): value is string {
  return typeof value === 'string' && FACTO_ID.test(value);
}

/** The members of a facto.v1 record (section 4), no more and no fewer. */
export const RECORD_MEMBERS: readonly string[] = [
  'agent_id', 'attributes', 'chain_id', 'dropped', 'end_time_unix_nano', 'events', 'facto_id', 'format', 'key_id', 'kind', 'links',
  'name', 'parent_span_id', 'prev_hash', 'seq', 'span_id', 'start_time_unix_nano', 'status', 'trace_id',
];
const STATUS_MEMBERS = ['code', 'message'];
const EVENT_MEMBERS = ['attributes', 'name', 'time_unix_nano'];
const LINK_MEMBERS = ['attributes', 'span_id', 'trace_id'];

function fail(path: string, message: string): never {
  throw new FactoError('record_format', path === '' ? message : `${path}: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object with exactly `expected` as its members (a name the format does not define has no meaning a reader could know). */
function exactMembers(value: unknown, expected: readonly string[], path: string, what: string): Record<string, unknown> {
  if (!isObject(value)) fail(path, `${describeValue(value)} is not ${what} (section 4: an object)`);
  const extra = Object.keys(value).find((name) => !expected.includes(name));
  if (extra !== undefined) fail(path, `unknown member ${JSON.stringify(extra)}: ${what} has exactly the members ${expected.join(', ')} (section 4)`);
  const missing = expected.find((name) => !Object.hasOwn(value, name));
  if (missing !== undefined) fail(path, `member "${missing}" is missing from ${what} (section 4)`);
  return value;
}

function rule(valid: boolean, value: unknown, path: string, what: string): void {
  if (!valid) fail(path, `${describeValue(value)} is not ${what} (section 4)`);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const hex = (pattern: RegExp) => (value: unknown) => isString(value) && pattern.test(value);
const isHash = hex(HASH_HEX);
const isNanos = (value: unknown) => isString(value) && NANOS.test(value) && BigInt(value) <= UINT64_MAX;
const isIdentifier = (value: unknown) => isString(value) && value.length > 0 && value.length <= MAX_ID_LENGTH;
const isCounter = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const isIntegerIn = (low: number, high: number) => (value: unknown) => Number.isInteger(value) && (value as number) >= low && (value as number) <= high;

/** Each top-level member but status, attributes, events and links: its rule and what it must be. */
const SCALAR_RULES: readonly [string, (value: unknown) => boolean, string][] = [
  ['format', (value) => value === FORMAT, `"${FORMAT}"`],
  ['facto_id', isFactoId, '"ft-" and a lowercase UUID'],
  ['agent_id', isIdentifier, `a string of 1 to ${MAX_ID_LENGTH} UTF-16 code units`],
  ['chain_id', isIdentifier, `a string of 1 to ${MAX_ID_LENGTH} UTF-16 code units`],
  ['seq', isCounter, 'an integer 0 ... 2^53-1'],
  ['prev_hash', hex(HASH_HEX), '64 lowercase hex digits'],
  ['key_id', hex(KEY_ID), '32 lowercase hex digits'],
  ['dropped', isCounter, 'an integer 0 ... 2^53-1'],
  ['trace_id', hex(TRACE_ID), '32 lowercase hex digits'],
  ['span_id', hex(SPAN_ID), '16 lowercase hex digits'],
  ['parent_span_id', (value) => value === '' || hex(SPAN_ID)(value), '16 lowercase hex digits or ""'],
  ['name', isString, 'a string'],
  ['kind', isIntegerIn(0, 5), 'an OTLP SpanKind 0 ... 5'],
  ['start_time_unix_nano', isNanos, 'the canonical decimal string of a uint64'],
  ['end_time_unix_nano', isNanos, 'the canonical decimal string of a uint64'],
];

/**
 * An attributes object (section 4.1): each value a typed value (section 3); in the span's own
 * attributes (`span`) a content key's value is a commitment `{"c": <64 hex>}` instead, and no
 * transport attribute (section 7) appears.
 */
function checkAttributes(value: unknown, path: string, span: boolean): void {
  if (!isObject(value)) fail(path, `${describeValue(value)} is not an attributes object (section 4.1)`);
  for (const key of Object.keys(value)) {
    // Built only for a message: this runs for every attribute of every span a collector opens.
    const where = () => `${path}[${JSON.stringify(key)}]`;
    const item = value[key];
    if (span && TRANSPORT_KEYS.has(key)) fail(where(), 'a transport attribute (section 7) is never part of the record (section 4.1)');
    if (isObject(item) && Object.hasOwn(item, 'c')) {
      if (!span) fail(where(), `${describeValue(item)}: a commitment stands only in the span's own attributes (section 4.1)`);
      const keys = Object.keys(item);
      if (keys.length !== 1 || !isHash(item.c)) fail(where(), `${describeValue(item)} is not a commitment {"c": <64 lowercase hex digits>} (section 6)`);
      continue;
    }
    assertTypedValue(item, where);
  }
}

/** Throws a record_format FactoError naming the first thing in `value` that is not as sections 3 and 4 define a record. */
export function assertRecord(value: unknown): asserts value is FactoRecord {
  const record = exactMembers(value, RECORD_MEMBERS, '', 'a facto.v1 record');
  for (const [name, valid, what] of SCALAR_RULES) rule(valid(record[name]), record[name], name, what);
  const status = exactMembers(record.status, STATUS_MEMBERS, 'status', 'the status');
  rule(isIntegerIn(0, 2)(status.code), status.code, 'status.code', 'an OTLP StatusCode 0 ... 2');
  rule(isString(status.message), status.message, 'status.message', 'a string');
  checkAttributes(record.attributes, 'attributes', true);
  rule(Array.isArray(record.events), record.events, 'events', 'an array');
  (record.events as unknown[]).forEach((item, index) => {
    const path = `events[${index}]`;
    const event = exactMembers(item, EVENT_MEMBERS, path, 'an event');
    rule(isString(event.name), event.name, `${path}.name`, 'a string');
    rule(isNanos(event.time_unix_nano), event.time_unix_nano, `${path}.time_unix_nano`, 'the canonical decimal string of a uint64');
    checkAttributes(event.attributes, `${path}.attributes`, false);
  });
  rule(Array.isArray(record.links), record.links, 'links', 'an array');
  (record.links as unknown[]).forEach((item, index) => {
    const path = `links[${index}]`;
    const link = exactMembers(item, LINK_MEMBERS, path, 'a link');
    rule(hex(TRACE_ID)(link.trace_id), link.trace_id, `${path}.trace_id`, '32 lowercase hex digits');
    rule(hex(SPAN_ID)(link.span_id), link.span_id, `${path}.span_id`, '16 lowercase hex digits');
    checkAttributes(link.attributes, `${path}.attributes`, false);
  });
}

/** Why `value` is not a facto.v1 record (sections 3 and 4), or undefined when it is one. */
export function recordProblem(value: unknown): string | undefined {
  try {
    assertRecord(value);
    return undefined;
  } catch (error) {
    if (FactoError.isInstance(error)) return error.message;
    throw error;
  }
}
