/**
 * Conversion of attribute values into the typed form the record signs, and the normalisation that
 * makes a value travel unchanged over both OTLP encodings. `toTypedValue` mirrors the rules of the
 * official OTLP exporters (`Number.isInteger` decides int vs double, Uint8Array is bytes, a plain
 * object is a key-value list), so the SDK signs exactly what the collector will decode.
 */
import { FactoError } from '../errors.js';
import { toHex } from '../bytes.js';
import type { TypedValue } from './types.js';

const INT64_MIN = -(2 ** 63);
const INT64_LIMIT = 2 ** 63;
const INT64_PATTERN = /^-?(?:0|[1-9][0-9]*)$/;
const LOWER_HEX = /^(?:[0-9a-f]{2})*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const INT64_MAX_BIG = 2n ** 63n - 1n;
const INT64_MIN_BIG = -(2n ** 63n);

function fail(path: string, message: string): never {
  throw new FactoError('record_format', `${path}: ${message}`);
}

/** A JS attribute value (string, number, boolean, Uint8Array, arrays and plain objects of those) in typed form. */
export function toTypedValue(value: unknown, path = 'value'): TypedValue {
  switch (typeof value) {
    case 'string':
      return { s: value };
    case 'boolean':
      return { b: value };
    case 'number':
      if (!Number.isInteger(value)) {
        if (!Number.isFinite(value)) fail(path, 'non-finite numbers cannot be signed (normalise them first)');
        return { d: value };
      }
      if (value < INT64_MIN || value >= INT64_LIMIT) fail(path, 'integer outside the int64 range (normalise it first)');
      return { i: BigInt(value).toString() };
    case 'undefined':
      return null;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Uint8Array) return { x: toHex(value) };
      if (Array.isArray(value)) return { a: value.map((item, index) => toTypedValue(item, `${path}[${index}]`)) };
      return { m: Object.keys(value).map((key) => [key, toTypedValue((value as Record<string, unknown>)[key], `${path}.${key}`)] as const) };
    }
    default:
      return fail(path, `a ${typeof value} cannot be an attribute value`);
  }
}

/**
 * Returns the value as it must be set on the span before signing, or the same reference when it is
 * already safe. OTLP/JSON cannot carry NaN or Infinity and protobuf cannot carry an integer beyond
 * int64, so those become their decimal strings; lone UTF-16 surrogates (which UTF-8 cannot encode)
 * become U+FFFD. docs/spec.md, "Normalisation".
 */
export function normalizeAttributeValue(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value) && (value < INT64_MIN || value >= INT64_LIMIT)) return String(value);
    return value;
  }
  if (Array.isArray(value)) {
    let changed: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item = normalizeAttributeValue(value[index]);
      if (item !== value[index]) (changed ??= value.slice())[index] = item;
    }
    return changed ?? value;
  }
  return value;
}

export function wellFormed(text: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/** A value as a problem report quotes it: its JSON, cut short. */
export function describeValue(value: unknown): string {
  let text: string | undefined;
  try {
    // NaN and Infinity are shown as themselves (JSON.stringify would write null, a different value).
    text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isFinite(item) ? `\u0000${item}\u0000` : item))?.replace(/"\\u0000([^"]*)\\u0000"/g, '$1');
  } catch {
    text = undefined;
  }
  if (text === undefined) return value === undefined ? 'nothing' : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const TAG_RULES: Readonly<Record<string, string>> = {
  s: 'a typed string ({"s": <string>})',
  b: 'a typed bool ({"b": true or false})',
  i: 'a canonical int64 ({"i": "<decimal>"}: no leading zeros, never "-0", within -2^63 ... 2^63-1)',
  d: 'a finite double ({"d": <number>})',
  x: 'typed bytes ({"x": "<lowercase hex>"})',
  a: 'a typed array ({"a": [<typed>, ...]})',
  m: 'a typed kvlist ({"m": [["<key>", <typed>], ...]})',
};

/**
 * Checks a typed value received from outside (the collector's decoders, a record in a bundle) against
 * docs/spec.md section 3: exactly one member, a known tag, and a value of that tag's form. `null` (an
 * empty AnyValue) is a typed value wherever one may stand. Throws a record_format FactoError
 * `<path>: <the value> is not ... (section 3)`.
 */
export function assertTypedValue(value: unknown, path: string | (() => string)): asserts value is TypedValue {
  if (value === null) return;
  // The path is built only for a message: a record's check runs on every span a collector opens.
  const at = (): string => (typeof path === 'string' ? path : path());
  const wrong = (what: string): never => fail(at(), `${describeValue(value)} is not ${what} (section 3)`);
  if (typeof value !== 'object' || Array.isArray(value)) wrong('a typed value (an object with one member, or null)');
  const keys = Object.keys(value as object);
  if (keys.length !== 1) wrong('a typed value: a typed value has exactly one member');
  const tag = keys[0]!;
  const inner = (value as Record<string, unknown>)[tag];
  const rule = Object.hasOwn(TAG_RULES, tag) ? TAG_RULES[tag]! : undefined;
  if (rule === undefined) return wrong(`a typed value: unknown type tag ${JSON.stringify(tag)}`);
  switch (tag) {
    case 's':
      if (typeof inner !== 'string') wrong(rule);
      return;
    case 'b':
      if (typeof inner !== 'boolean') wrong(rule);
      return;
    case 'i': {
      if (typeof inner !== 'string' || !INT64_PATTERN.test(inner) || inner === '-0') wrong(rule);
      const big = BigInt(inner as string);
      if (big > INT64_MAX_BIG || big < INT64_MIN_BIG) wrong(rule);
      return;
    }
    case 'd':
      if (typeof inner !== 'number' || !Number.isFinite(inner)) wrong(rule);
      return;
    case 'x':
      if (typeof inner !== 'string' || !LOWER_HEX.test(inner)) wrong(rule);
      return;
    case 'a':
      if (!Array.isArray(inner)) wrong(rule);
      (inner as unknown[]).forEach((item, index) => assertTypedValue(item, () => `${at()}.a[${index}]`));
      return;
    default:
      if (!Array.isArray(inner)) wrong(rule);
      (inner as unknown[]).forEach((pair: unknown, index) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') fail(`${at()}.m[${index}]`, `${describeValue(pair)} is not a kvlist pair: expected [key, value] (section 3)`);
        assertTypedValue(pair[1], () => `${at()}.m[${index}][1]`);
      });
  }
}
