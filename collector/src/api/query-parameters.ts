/**
 * Reading the API's query strings and path parameters. Every value is checked at the edge and a bad
 * one becomes a 400 naming the parameter and what it accepts. Unknown and repeated parameters are
 * refused too, so a typo (`agent=` for `agent_id=`) is an error rather than a silently unfiltered
 * answer.
 */
import { isFactoId } from '@facto/core';
import { HttpError } from '../http/types.js';

/** The longest agent, chain or action identifier the API takes (the record format allows 256). */
export const MAX_IDENTIFIER_LENGTH = 256;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** The largest time ECMAScript dates can hold, in milliseconds. */
const MAX_TIME_MILLIS = 8.64e15;

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

export function notFound(message: string): HttpError {
  return new HttpError(404, message);
}

/** A value as it may be quoted back in an error: JSON-quoted and cut short. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** The request's query parameters, restricted to the names a route accepts. */
export function readQuery(url: URL, accepted: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!accepted.includes(name)) {
      throw badRequest(`unknown query parameter ${quote(name)}; accepted: ${accepted.length > 0 ? accepted.join(', ') : 'none'}`);
    }
    if (values.has(name)) throw badRequest(`query parameter ${name} is given more than once`);
    values.set(name, value);
  }
  return values;
}

export function parseInteger(name: string, text: string, min: number, max: number): number {
  if (!DECIMAL.test(text)) throw badRequest(`${name} must be a decimal integer without sign or leading zeros, got ${quote(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw badRequest(`${name} must be between ${min} and ${max}, got ${quote(text)}`);
  return value;
}

export function parseLimit(text: string | undefined): number {
  return text === undefined ? DEFAULT_PAGE_SIZE : parseInteger('limit', text, 1, MAX_PAGE_SIZE);
}

/** Newest first unless asked otherwise: the usual question is "what just happened". */
export function parseOrder(text: string | undefined): 'asc' | 'desc' {
  if (text === undefined) return 'desc';
  if (text === 'asc' || text === 'desc') return text;
  throw badRequest(`order must be asc or desc, got ${quote(text)}`);
}

export function parseIdentifier(name: string, text: string): string {
  if (text.length === 0) throw badRequest(`${name} must not be empty`);
  if (text.length > MAX_IDENTIFIER_LENGTH) throw badRequest(`${name} must be at most ${MAX_IDENTIFIER_LENGTH} characters, got ${text.length}`);
  return text;
}

export function parseFactoId(name: string, text: string): string {
  if (!isFactoId(text)) throw badRequest(`${name} must be "ft-" and a lowercase UUID, got ${quote(text)}`);
  return text;
}

/**
 * A point in time as RFC 3339 (`2025-01-31T12:00:00Z`, `2025-01-31T13:00:00.250+01:00`) or as
 * milliseconds since the epoch, in milliseconds. Calendar fields are range-checked, since
 * Date.parse would quietly turn 31 February into 3 March.
 */
export function parseTime(name: string, text: string): number {
  if (DECIMAL.test(text)) return parseInteger(name, text, 0, MAX_TIME_MILLIS);
  return parseRfc3339(name, text, 'an RFC 3339 time (e.g. 2025-01-31T12:00:00Z) or milliseconds since the epoch');
}

/** An RFC 3339 time only, with the same calendar checks; `accepted` says what the caller takes, for the error. */
export function parseRfc3339(name: string, text: string, accepted = 'an RFC 3339 time (e.g. 2025-01-31T12:00:00Z)'): number {
  const match = RFC3339.exec(text);
  const invalid = () => badRequest(`${name} must be ${accepted}, got ${quote(text)}`);
  if (match === null) throw invalid();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) throw invalid();
  // Milliseconds are the finest unit stored; further digits are cut, not rounded.
  const normalised = text.toUpperCase().replace(/\.(\d+)/, (_, digits: string) => `.${`${digits}00`.slice(0, 3)}`);
  const millis = Date.parse(normalised);
  if (Number.isNaN(millis) || millis < 0) throw invalid();
  return millis;
}

/** The optional `since`/`until` pair (inclusive bounds on the time the collector received an event). */
export function parseTimeRange(query: ReadonlyMap<string, string>): { since?: number; until?: number } {
  const since = query.has('since') ? parseTime('since', query.get('since')!) : undefined;
  const until = query.has('until') ? parseTime('until', query.get('until')!) : undefined;
  if (since !== undefined && until !== undefined && since > until) throw badRequest('since must not be later than until');
  return { since, until };
}

export function toRfc3339(millis: number): string {
  return new Date(millis).toISOString();
}

export function optionalTime(millis: number | null): string | null {
  return millis === null ? null : toRfc3339(millis);
}
