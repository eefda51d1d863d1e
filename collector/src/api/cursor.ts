/**
 * Page cursors: base64url of a small JSON object. They are opaque so that clients pass back what they
 * were given instead of building positions of their own, and they are checked on the way in, so a
 * truncated, forged or foreign cursor (one from another endpoint, or for the other order) is a 400
 * rather than a silently wrong page.
 */
import { badRequest } from './query-parameters.js';

const BASE64URL = /^[A-Za-z0-9_-]{1,256}$/;

function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The cursor's object, whose keys must be exactly `keys`. */
function decodeCursor(text: string, keys: readonly string[]): Record<string, unknown> {
  const invalid = badRequest('cursor is not one this endpoint issued: pass next_cursor from the previous page unchanged');
  if (!BASE64URL.test(text)) throw invalid;
  const bytes = Buffer.from(text, 'base64url');
  // Buffer tolerates stray bits in the last character; only the exact spelling we issue is accepted.
  if (bytes.toString('base64url') !== text) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid;
  const actual = Object.keys(value).sort();
  if (actual.length !== keys.length || !keys.every((key) => actual.includes(key))) throw invalid;
  return value as Record<string, unknown>;
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function encodeEventCursor(leafIndex: number, order: 'asc' | 'desc'): string {
  return encodeCursor({ leafIndex, order });
}

/** The leaf index to continue after; the cursor must have been issued for the same order. */
export function decodeEventCursor(text: string, order: 'asc' | 'desc'): number {
  const cursor = decodeCursor(text, ['leafIndex', 'order']);
  if (!isIndex(cursor.leafIndex) || (cursor.order !== 'asc' && cursor.order !== 'desc')) {
    throw badRequest('cursor is not one this endpoint issued: pass next_cursor from the previous page unchanged');
  }
  if (cursor.order !== order) throw badRequest(`cursor was issued for order=${cursor.order}; repeat the request with order=${cursor.order} or start without a cursor`);
  return cursor.leafIndex;
}

export function encodeIncidentCursor(incidentId: number): string {
  return encodeCursor({ incidentId });
}

export function decodeIncidentCursor(text: string): number {
  const cursor = decodeCursor(text, ['incidentId']);
  if (!isIndex(cursor.incidentId)) throw badRequest('cursor is not one this endpoint issued: pass next_cursor from the previous page unchanged');
  return cursor.incidentId;
}
