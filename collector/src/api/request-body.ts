/**
 * JSON request bodies of the API's POST routes: the media type, UTF-8 and JSON syntax are checked
 * here, and small field readers turn a wrong shape into a 400 that names the field, so handlers
 * never meet a raw TypeError from a body they did not expect.
 */
import { parseStrictJson } from '@facto/core';
import { HttpError, type HttpRequest } from '../http/types.js';
import { badRequest, parseIdentifier, parseInteger, parseRfc3339, parseTime } from './query-parameters.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export type JsonObject = Record<string, unknown>;

function isJsonMediaType(header: string): boolean {
  const mediaType = header.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * The body as parsed JSON, or undefined when it is empty and `optional`. A request without a
 * Content-Type is read as JSON (curl -d aside, every client that sends one sends the right one).
 */
export function readJsonBody(request: HttpRequest, options: { optional?: boolean } = {}): unknown {
  const contentType = request.headers['content-type'];
  if (contentType !== undefined && request.body.length > 0 && !isJsonMediaType(contentType)) {
    throw new HttpError(415, `unsupported Content-Type ${JSON.stringify(contentType.split(';')[0]!.trim())}; send application/json`);
  }
  if (request.body.length === 0) {
    if (options.optional) return undefined;
    throw badRequest('the request body is empty; send a JSON object');
  }
  let text: string;
  try {
    text = decoder.decode(request.body);
  } catch {
    throw badRequest('the request body is not valid UTF-8');
  }
  try {
    // Strict: a duplicate member name would let two readers see two different bodies.
    return parseStrictJson(text);
  } catch (error) {
    throw badRequest(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, what: string): JsonObject {
  if (!isJsonObject(value)) throw badRequest(`${what} must be a JSON object`);
  return value;
}

export function rejectUnknownFields(object: JsonObject, accepted: readonly string[], what: string): void {
  const unknown = Object.keys(object).filter((key) => !accepted.includes(key));
  if (unknown.length > 0) throw badRequest(`${what}: unknown field ${JSON.stringify(unknown[0])}; accepted: ${accepted.join(', ')}`);
}

export function requiredString(object: JsonObject, field: string, what: string): string {
  const value = object[field];
  if (typeof value !== 'string') throw badRequest(`${what}.${field} must be a string`);
  return value;
}

export function optionalString(object: JsonObject, field: string, what: string): string | undefined {
  return object[field] === undefined ? undefined : requiredString(object, field, what);
}

export function requiredIdentifier(object: JsonObject, field: string, what: string): string {
  return parseIdentifier(`${what}.${field}`, requiredString(object, field, what));
}

/** A time field given as an RFC 3339 string or as epoch milliseconds (a JSON number or a decimal string). */
export function optionalTimeField(object: JsonObject, field: string, what: string): number | undefined {
  const value = object[field];
  const name = `${what}.${field}`;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return parseInteger(name, Number.isSafeInteger(value) ? String(value) : 'not an integer', 0, 8.64e15);
  if (typeof value === 'string') return parseTime(name, value);
  throw badRequest(`${name} must be an RFC 3339 string or milliseconds since the epoch`);
}

/**
 * A time field that must be an RFC 3339 string (null or absent: none). For files people write by
 * hand, where a bare number's unit (seconds, milliseconds, OTLP's nanoseconds) would be a guess.
 */
export function optionalRfc3339Field(object: JsonObject, field: string, what: string): number | undefined {
  const value = object[field];
  const name = `${what}.${field}`;
  if (value === undefined || value === null) return undefined;
  const accepted = 'an RFC 3339 time string (e.g. 2026-12-31T23:59:59Z)';
  if (typeof value !== 'string') {
    const got = typeof value === 'number' || typeof value === 'boolean' ? `the ${typeof value} ${String(value)}` : Array.isArray(value) ? 'an array' : 'an object';
    throw badRequest(`${name} must be ${accepted}, got ${got}`);
  }
  return parseRfc3339(name, value, accepted);
}
