/**
 * One content attribute is one JSON string of at most `maxBytes` UTF-8 bytes, and always valid JSON
 * in the shape it had: when the whole value does not fit, every string in it is cut to the longest
 * common length that makes it fit, and each cut string ends with a marker saying how many characters
 * were cut. A string is only cut when that makes it shorter, so roles, part types and tool names
 * survive; the long texts are shortened. Only if the structure alone is too big (thousands of messages) does the value become a
 * marker object `{"truncated": true, "original_bytes": n, "sha256": "..."}`, the hash being that of
 * the full JSON, so the original can still be matched against the record.
 */
import { sha256Hex } from './blob.js';

export const DEFAULT_MAX_CONTENT_BYTES = 64 * 1024;
/** Below this a cap could not even hold the marker object. */
export const MIN_MAX_CONTENT_BYTES = 256;

const encoder = new TextEncoder();

function byteLength(text: string): number {
  // Most content is ASCII: count without allocating when it is.
  if (!/[^\u0000-\u007f]/.test(text)) return text.length;
  return encoder.encode(text).byteLength;
}

export function truncationMarker(cutCharacters: number): string {
  return `…[truncated ${cutCharacters} characters]`;
}

/** JSON text of an already JSON-safe value, at most `maxBytes` UTF-8 bytes. */
export function toCappedJson(value: unknown, maxBytes: number = DEFAULT_MAX_CONTENT_BYTES): string {
  const full = JSON.stringify(value) ?? 'null';
  if (byteLength(full) <= maxBytes) return full;

  // A string never needs more characters than the cap has bytes: bounds the work of each attempt.
  let high = Math.min(longestString(value), maxBytes);
  let low = 0;
  let best: string | undefined;
  while (low <= high) {
    const limit = Math.floor((low + high) / 2);
    const text = JSON.stringify(cutStrings(value, limit)) ?? 'null';
    if (byteLength(text) <= maxBytes) {
      best = text;
      low = limit + 1;
    } else {
      high = limit - 1;
    }
  }
  if (best !== undefined) return best;
  return JSON.stringify({ truncated: true, original_bytes: byteLength(full), sha256: sha256Hex(encoder.encode(full)) });
}

function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 0;
  let longest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) longest = Math.max(longest, longestString(item));
  return longest;
}

function cutStrings(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return cutString(value, limit);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => cutStrings(item, limit));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) result[key] = cutStrings(item, limit);
  return result;
}

function cutString(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit;
  // Never split a surrogate pair: half a character would not survive UTF-8.
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  const marker = truncationMarker(text.length - end);
  // A string no longer than its cut form stays whole: roles, part types and names are never cut.
  if (text.length <= end + marker.length) return text;
  return text.slice(0, end) + marker;
}
