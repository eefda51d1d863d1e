/**
 * The record's RFC 8785 text, written by its known shape. canonicalize() serves any JSON value, so
 * for every object it lists, checks and sorts the keys and recurses through a general serializer;
 * a record's shape is fixed (docs/spec.md, "Record"), so its member order can be sorted once, here,
 * and only the attribute names need sorting per record. That is most of a record's canonicalization
 * cost, which every sealed span pays in the agent and every received span in the collector.
 *
 * The writer accepts only what it recognises: plain objects with exactly the record's members,
 * strings where the spec has strings, finite numbers where it has numbers, typed values and
 * commitments as attribute values. Anything else (another shape, a lone surrogate, a symbol key, a
 * nesting deeper than MAX_DEPTH) sends the record to canonicalize(), so the text, or the error, is
 * always exactly canonicalize()'s. The tests compare the two on generated records. That holds for
 * data, which is what records are (createRecord's output, JSON.parse's); a getter or proxy that
 * answers differently each time it is read may be written as either read, here as in canonicalize.
 */
import { canonicalize, canonicalString } from '../canonicalize.js';

/** Thrown inside the writer when the value is not of the shape it knows; never leaves this module. */
const UNKNOWN_SHAPE: unique symbol = Symbol('unknown shape');

/** Typed values nest through `a` and `m`; deeper than this, canonicalize() decides (it finds cycles). */
const MAX_DEPTH = 64;

type Writer = (value: unknown) => string;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && Object.getOwnPropertySymbols(value).length === 0;
}

function string(value: unknown): string {
  const quoted = typeof value === 'string' ? canonicalString(value) : undefined;
  if (quoted === undefined) throw UNKNOWN_SHAPE;
  return quoted;
}

function number(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw UNKNOWN_SHAPE;
  // String(-0) is "0", as RFC 8785 requires (and as canonicalize writes it).
  return String(value);
}

/** A typed value (types.ts) or a commitment `{ c }`, as the record holds it. */
function attributeValue(value: unknown, depth: number): string {
  if (value === null) return 'null';
  if (depth > MAX_DEPTH || !isPlainObject(value)) throw UNKNOWN_SHAPE;
  const tags = Object.keys(value);
  if (tags.length !== 1) throw UNKNOWN_SHAPE;
  const tag = tags[0]!;
  const inner = value[tag];
  switch (tag) {
    case 's':
    case 'i':
    case 'x':
    case 'c':
      return `{"${tag}":${string(inner)}}`;
    case 'b':
      if (typeof inner !== 'boolean') throw UNKNOWN_SHAPE;
      return inner ? '{"b":true}' : '{"b":false}';
    case 'd':
      return `{"d":${number(inner)}}`;
    case 'a': {
      if (!Array.isArray(inner)) throw UNKNOWN_SHAPE;
      let out = '{"a":[';
      for (let index = 0; index < inner.length; index++) out += (index > 0 ? ',' : '') + attributeValue(inner[index], depth + 1);
      return out + ']}';
    }
    case 'm': {
      if (!Array.isArray(inner)) throw UNKNOWN_SHAPE;
      let out = '{"m":[';
      for (let index = 0; index < inner.length; index++) {
        const pair: unknown = inner[index];
        if (!Array.isArray(pair) || pair.length !== 2) throw UNKNOWN_SHAPE;
        out += `${index > 0 ? ',' : ''}[${string(pair[0])},${attributeValue(pair[1], depth + 1)}]`;
      }
      return out + ']}';
    }
    default:
      throw UNKNOWN_SHAPE;
  }
}

function attributes(value: unknown): string {
  if (!isPlainObject(value)) throw UNKNOWN_SHAPE;
  // Array.prototype.sort without a comparator orders by UTF-16 code units: RFC 8785 section 3.2.3.
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let index = 0; index < keys.length; index++) out += `${index > 0 ? ',' : ''}${string(keys[index])}:${attributeValue(value[keys[index]!], 0)}`;
  return out + '}';
}

/** A writer for an object with exactly these members, each written by its own writer, in RFC 8785 order. */
function fixedObject(members: Record<string, Writer>): Writer {
  const names = Object.keys(members).sort();
  const known = new Set(names);
  const written = names.map((name, index) => [name, `${index > 0 ? ',' : ''}"${name}":`, members[name]!] as const);
  return (value) => {
    if (!isPlainObject(value)) throw UNKNOWN_SHAPE;
    const keys = Object.keys(value);
    if (keys.length !== names.length) throw UNKNOWN_SHAPE;
    for (const key of keys) if (!known.has(key)) throw UNKNOWN_SHAPE;
    let out = '{';
    for (const [name, prefix, write] of written) out += prefix + write(value[name]);
    return out + '}';
  };
}

function arrayOf(write: Writer): Writer {
  return (value) => {
    if (!Array.isArray(value)) throw UNKNOWN_SHAPE;
    let out = '[';
    for (let index = 0; index < value.length; index++) out += (index > 0 ? ',' : '') + write(value[index]);
    return out + ']';
  };
}

const writeRecord = fixedObject({
  format: string,
  facto_id: string,
  agent_id: string,
  chain_id: string,
  seq: number,
  prev_hash: string,
  key_id: string,
  dropped: number,
  trace_id: string,
  span_id: string,
  parent_span_id: string,
  name: string,
  kind: number,
  start_time_unix_nano: string,
  end_time_unix_nano: string,
  status: fixedObject({ code: number, message: string }),
  attributes,
  events: arrayOf(fixedObject({ name: string, time_unix_nano: string, attributes })),
  links: arrayOf(fixedObject({ trace_id: string, span_id: string, attributes })),
});

/** The record's text when it is of the shape this module knows, else undefined (for tests: which path ran). */
export function knownShapeText(record: unknown): string | undefined {
  try {
    return writeRecord(record);
  } catch (error) {
    if (error !== UNKNOWN_SHAPE) throw error;
    return undefined;
  }
}

/** canonicalize(record), faster for a record of the facto.v1 shape; the same text or error for anything. */
export function recordText(record: unknown): string {
  return knownShapeText(record) ?? canonicalize(record);
}
