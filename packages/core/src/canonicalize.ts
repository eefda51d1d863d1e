/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte sequence Facto hashes and signs for a
 * JSON value. Strings and numbers are written exactly as ECMAScript's JSON.stringify writes them
 * (which is the JCS rule), object members are sorted by UTF-16 code units, and nothing is written
 * that the input did not hold: where JSON.stringify would silently drop `undefined`, turn NaN into
 * null or call toJSON, canonicalize refuses with a FactoError that names the JSON path, because a
 * signature must cover exactly what the caller sees.
 */
import { utf8 } from './bytes.js';
import { FactoError } from './errors.js';

/** What JSON.stringify would escape, or a surrogate; most strings hold none and are quoted as they are. */
const NEEDS_CARE = /["\\\u0000-\u001F\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Thrown inside the recursion and caught by every enclosing container, which adds its own path
 * segment on the way out. Paths therefore cost nothing while canonicalization succeeds.
 */
class PathFailure {
  readonly segmentsInnermostFirst: string[] = [];
  constructor(readonly reason: string) {}
}

/**
 * Returns the RFC 8785 canonical JSON text of `value`. Accepts only plain objects (prototype
 * Object.prototype or null), arrays, strings without lone surrogates, finite numbers, booleans and
 * null; anything else throws FactoError('canonicalization') naming the path, like `$.attributes["gen_ai.system"][2]`.
 */
export function canonicalize(value: unknown): string {
  try {
    return serialize(value, []);
  } catch (error) {
    if (!(error instanceof PathFailure)) throw error;
    const path = '$' + error.segmentsInnermostFirst.reverse().join('');
    throw new FactoError('canonicalization', `cannot canonicalize ${error.reason} at ${path}`);
  }
}

/** The UTF-8 encoding of canonicalize(value) (RFC 8785 section 3.2.4). */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalize(value));
}

function serialize(value: unknown, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return quote(value, 'a string');
    case 'number':
      if (!Number.isFinite(value)) throw new PathFailure(`the number ${String(value)} (JSON has no NaN or Infinity)`);
      // String(-0) is "0", as RFC 8785 appendix B requires.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (ancestors.includes(value)) throw new PathFailure('a cycle (this value contains itself)');
      ancestors.push(value);
      try {
        return Array.isArray(value) ? serializeArray(value, ancestors) : serializeObject(value, ancestors);
      } finally {
        ancestors.pop();
      }
    case 'undefined':
      throw new PathFailure('undefined (JSON has no undefined; omit the member or use null)');
    case 'bigint':
      throw new PathFailure('a BigInt (encode it as a decimal string)');
    default:
      throw new PathFailure(`a ${typeof value}`);
  }
}

function serializeArray(array: readonly unknown[], ancestors: object[]): string {
  let out = '[';
  for (let index = 0; index < array.length; index++) {
    if (index > 0) out += ',';
    try {
      out += serialize(array[index], ancestors);
    } catch (error) {
      if (error instanceof PathFailure) error.segmentsInnermostFirst.push(`[${index}]`);
      throw error;
    }
  }
  return out + ']';
}

function serializeObject(object: object, ancestors: object[]): string {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new PathFailure(describeNonPlain(object));
  }
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw new PathFailure('an object with symbol-keyed properties (JSON keys are strings)');
  }
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units: RFC 8785 section 3.2.3.
  const keys = Object.keys(object).sort();
  const record = object as Record<string, unknown>;
  let out = '{';
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    if (index > 0) out += ',';
    try {
      // Reading an own "__proto__" (as JSON.parse creates) returns the property, not the prototype.
      out += quote(key, 'a property name') + ':' + serialize(record[key], ancestors);
    } catch (error) {
      if (error instanceof PathFailure) error.segmentsInnermostFirst.push(pathSegment(key));
      throw error;
    }
  }
  return out + '}';
}

/**
 * The JSON string literal of `text` as RFC 8785 writes it, or undefined when `text` holds a lone
 * surrogate (which canonicalize refuses). For writers of known shapes (record-text.ts).
 */
export function canonicalString(text: string): string | undefined {
  if (!NEEDS_CARE.test(text)) return `"${text}"`;
  return LONE_SURROGATE.test(text) ? undefined : JSON.stringify(text);
}

function quote(text: string, what: string): string {
  if (!NEEDS_CARE.test(text)) return `"${text}"`;
  if (LONE_SURROGATE.test(text)) {
    throw new PathFailure(`${what} with a lone surrogate (RFC 8785 section 3.2.2.2 requires valid Unicode)`);
  }
  return JSON.stringify(text);
}

function pathSegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeNonPlain(object: object): string {
  if (ArrayBuffer.isView(object)) return `a ${object.constructor.name} (encode bytes as hex or base64 first)`;
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  const what = typeof name === 'string' && name !== '' ? `${name} instance` : 'non-plain object';
  return `a ${what} (only plain objects, arrays and JSON primitives are accepted)`;
}
