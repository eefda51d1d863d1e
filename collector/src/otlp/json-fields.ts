/**
 * Field readers for OTLP/JSON (proto3 JSON mapping with OTLP's exceptions: ids in hex, not base64).
 * Each reader takes the parsed object, the field's lowerCamelCase name and the path for errors. Only
 * own properties are read, so keys such as "__proto__" or "constructor" never reach a prototype, and
 * null means "not set", as in proto3 JSON.
 */
import { wellFormed, type AttributePairs, type TypedValue } from '@facto/core';
import { OtlpDecodeError } from './errors.js';
import {
  INT64_MAX, INT64_MIN, MAX_VALUE_DEPTH, UINT64_MAX, checkHexId, checkInt32, describeForError,
} from './field-rules.js';

export type JsonObject = { readonly [key: string]: unknown };

const HEX = /^[0-9a-fA-F]*$/;
const UNSIGNED_DIGITS = /^[0-9]+$/;
const SIGNED_DIGITS = /^-?[0-9]+$/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
// proto3 JSON accepts standard or URL-safe base64, padded or not.
const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;
const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
// int64 is [-2^63, 2^63); both ends are powers of two, so exact as doubles.
const INT64_MIN_AS_DOUBLE = -(2 ** 63);
const INT64_END_AS_DOUBLE = 2 ** 63;
const ANY_VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

export function field(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) && object[key] !== null ? object[key] : undefined;
}

export function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OtlpDecodeError(path, `expected a JSON object, got ${jsonType(value)}`);
  }
  return value as JsonObject;
}

export function readArray(object: JsonObject, key: string, path: string): readonly unknown[] {
  const value = field(object, key);
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(path, `expected an array, got ${jsonType(value)}`);
  return value;
}

export function readObject(object: JsonObject, key: string, path: string): JsonObject {
  const value = field(object, key);
  return value === undefined ? {} : asObject(value, path);
}

export function readString(object: JsonObject, key: string, path: string): string {
  const value = field(object, key);
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new OtlpDecodeError(path, `expected a string, got ${jsonType(value)}`);
  // UTF-8 (protobuf) cannot carry an unpaired surrogate, exporters write U+FFFD; JSON can, as a \ud800
  // escape. Replacing it the same way makes a span read alike over both encodings.
  return wellFormed(value);
}

export function readId(object: JsonObject, key: string, path: string, byteLength: number, optional: boolean): string {
  const value = readString(object, key, path);
  const describe = () => `expected ${byteLength * 2} hex digits, got ${describeForError(value)}`;
  if (!HEX.test(value)) throw new OtlpDecodeError(path, describe());
  return checkHexId(value.toLowerCase(), byteLength, path, optional, describe);
}

/** fixed64 nanoseconds: a decimal string or an integer number, normalised to a decimal string. */
export function readNanos(object: JsonObject, key: string, path: string): string {
  const value = field(object, key);
  if (value === undefined) return '0';
  const nanos = integerOf(value, UNSIGNED_DIGITS, path, 'an unsigned 64-bit integer');
  if (nanos < 0n || nanos > UINT64_MAX) throw new OtlpDecodeError(path, `out of range for an unsigned 64-bit integer: ${describeForError(value)}`);
  return nanos.toString();
}

/** An OTLP enum: an integer, as the OTLP spec requires, or (leniently) the value's proto name. */
export function readEnum(object: JsonObject, key: string, path: string, names: Readonly<Record<string, number>>): number {
  const value = field(object, key);
  if (value === undefined) return 0;
  if (typeof value === 'number') return checkInt32(value, path);
  if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value]!;
  throw new OtlpDecodeError(path, `expected an integer or one of ${Object.keys(names).join(', ')}, got ${describeForError(value)}`);
}

export function readAttributes(object: JsonObject, key: string, path: string, depth = 0): AttributePairs {
  return readArray(object, key, path).map((item, index) => {
    const pairPath = `${path}[${index}]`;
    const pair = asObject(item, pairPath);
    return [readString(pair, 'key', `${pairPath}.key`), readAnyValue(field(pair, 'value'), `${pairPath}.value`, depth)] as const;
  });
}

function readAnyValue(value: unknown, path: string, depth: number): TypedValue {
  if (value === undefined) return null;
  const object = asObject(value, path);
  // The JS exporter serialises a NaN or infinite double with JSON.stringify, which writes null; keep it
  // non-finite, as protobuf carries it, so the record builder rejects that span and only that span.
  const present = ANY_VALUE_FIELDS.filter((name) => field(object, name) !== undefined || (name === 'doubleValue' && Object.hasOwn(object, name)));
  if (present.length > 1) throw new OtlpDecodeError(path, `AnyValue has more than one value set (${present.join(', ')})`);
  if (depth >= MAX_VALUE_DEPTH) throw new OtlpDecodeError(path, `values nest deeper than ${MAX_VALUE_DEPTH} levels`);
  const name = present[0];
  if (name === undefined) return null;
  const inner = field(object, name);
  const innerPath = `${path}.${name}`;
  switch (name) {
    case 'stringValue': return { s: readString(object, name, innerPath) };
    case 'boolValue':
      if (typeof inner !== 'boolean') throw new OtlpDecodeError(innerPath, `expected true or false, got ${jsonType(inner)}`);
      return { b: inner };
    case 'intValue': {
      // The JS exporter's JSON encoder writes every integral number as intValue, even past int64, where
      // its protobuf encoder writes double_value; read such a number as the double it is, like protobuf.
      if (typeof inner === 'number' && Number.isInteger(inner) && (inner < INT64_MIN_AS_DOUBLE || inner >= INT64_END_AS_DOUBLE)) return { d: inner };
      const integer = integerOf(inner, SIGNED_DIGITS, innerPath, 'a signed 64-bit integer');
      if (integer < INT64_MIN || integer > INT64_MAX) throw new OtlpDecodeError(innerPath, `out of range for a signed 64-bit integer: ${describeForError(inner)}`);
      return { i: integer.toString() };
    }
    case 'doubleValue': return { d: doubleOf(inner, innerPath) };
    case 'bytesValue': return { x: bytesHexOf(inner, innerPath) };
    case 'arrayValue':
      return { a: readArray(asObject(inner, innerPath), 'values', `${innerPath}.values`).map((item, index) => readAnyValue(item ?? undefined, `${innerPath}.values[${index}]`, depth + 1)) };
    case 'kvlistValue':
      return { m: readAttributes(asObject(inner, innerPath), 'values', `${innerPath}.values`, depth + 1) };
  }
}

/** Integers arrive as decimal strings (exact) or JSON numbers (exact only up to 2^53; taken as parsed). */
function integerOf(value: unknown, digits: RegExp, path: string, expected: string): bigint {
  if (typeof value === 'string' && digits.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new OtlpDecodeError(path, `expected ${expected} as a decimal string or an integer number, got ${describeForError(value)}`);
}

function doubleOf(value: unknown, path: string): number {
  if (value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && Object.hasOwn(NON_FINITE, value)) return NON_FINITE[value]!;
  if (typeof value === 'string' && JSON_NUMBER.test(value)) return Number(value);
  throw new OtlpDecodeError(path, `expected a number, "NaN", "Infinity" or "-Infinity", got ${describeForError(value)}`);
}

function bytesHexOf(value: unknown, path: string): string {
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1 || (value.includes('=') && value.length % 4 !== 0)) {
    throw new OtlpDecodeError(path, `expected base64, got ${describeForError(value)}`);
  }
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64').toString('hex');
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${describeForError(value)}`;
}
