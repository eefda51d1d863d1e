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

/** Checks a typed value received from outside (the collector's decoders) before it is signed over. */
export function assertTypedValue(value: unknown, path: string): asserts value is TypedValue {
  if (value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) fail(path, 'expected a typed value object');
  const keys = Object.keys(value);
  if (keys.length !== 1) fail(path, 'a typed value has exactly one key');
  const tag = keys[0]!;
  const inner = (value as Record<string, unknown>)[tag];
  switch (tag) {
    case 's':
      if (typeof inner !== 'string') fail(path, 's must be a string');
      return;
    case 'b':
      if (typeof inner !== 'boolean') fail(path, 'b must be a boolean');
      return;
    case 'i': {
      if (typeof inner !== 'string' || !INT64_PATTERN.test(inner)) fail(path, 'i must be a canonical decimal int64 string');
      const big = BigInt(inner);
      if (big > INT64_MAX_BIG || big < INT64_MIN_BIG || inner === '-0') fail(path, 'i is outside the int64 range');
      return;
    }
    case 'd':
      if (typeof inner !== 'number' || !Number.isFinite(inner)) fail(path, 'd must be a finite number');
      return;
    case 'x':
      if (typeof inner !== 'string' || !LOWER_HEX.test(inner)) fail(path, 'x must be lowercase hex');
      return;
    case 'a':
      if (!Array.isArray(inner)) fail(path, 'a must be an array');
      inner.forEach((item, index) => assertTypedValue(item, `${path}[${index}]`));
      return;
    case 'm':
      if (!Array.isArray(inner)) fail(path, 'm must be an array of [key, value] pairs');
      inner.forEach((pair: unknown, index) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') fail(`${path}[${index}]`, 'expected [key, value]');
        assertTypedValue(pair[1], `${path}[${index}][1]`);
      });
      return;
    default:
      fail(path, `unknown type tag "${tag}"`);
  }
}
