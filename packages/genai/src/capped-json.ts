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

  const marker = () => JSON.stringify({ truncated: true, original_bytes: byteLength(full), sha256: sha256Hex(encoder.encode(full)) });
  // The structure with every string empty is smaller than any cut of it: if even that is too big, no
  // cut fits, and the marker stands for the value at once.
  if (byteLength(JSON.stringify(cutStrings(value, -1)) ?? 'null') > maxBytes) return marker();
  const shortest = JSON.stringify(cutStrings(value, 0)) ?? 'null';
  if (byteLength(shortest) <= maxBytes) return longestFittingCut(value, maxBytes, shortest);
  // Cut to nothing but its marker, a short string is longer than kept whole (a 27-character string
  // against its 26-character marker), so the size is not quite monotone at the bottom: search every
  // length, as before the bracketed search.
  let best: string | undefined;
  for (let low = 0, high = Math.min(longestString(value), maxBytes); low <= high; ) {
    const limit = Math.floor((low + high) / 2);
    const text = JSON.stringify(cutStrings(value, limit)) ?? 'null';
    if (byteLength(text) <= maxBytes) [best, low] = [text, limit + 1];
    else high = limit - 1;
  }
  return best ?? marker();
}

/**
 * The JSON of `value` with its strings cut to the longest length that fits `maxBytes`. The size grows
 * with the cut length, almost in proportion, so the search keeps a bracket (`low` fits, `high` does
 * not) and guesses by interpolation, with a bisection step after each guess so that a bend in the
 * curve never slows it below bisection. Each step serialises the whole value; bounding the length
 * from the strings' lengths first, then interpolating, takes a long conversation from 17 steps to a
 * few.
 */
function longestFittingCut(value: unknown, maxBytes: number, shortest: string): string {
  let low = 0;
  let lowBytes = byteLength(shortest);
  let best = shortest;
  let high = Math.min(longestString(value), maxBytes, cutLengthBound(value, maxBytes));
  const atBound = JSON.stringify(cutStrings(value, high)) ?? 'null';
  let highBytes = byteLength(atBound);
  if (highBytes <= maxBytes) return atBound;
  for (let step = 0; high - low > 1; step++) {
    const interpolated = low + Math.floor(((maxBytes - lowBytes) * (high - low)) / Math.max(1, highBytes - lowBytes));
    const guess = Math.min(high - 1, Math.max(low + 1, step % 2 === 0 ? interpolated : Math.floor((low + high) / 2)));
    const text = JSON.stringify(cutStrings(value, guess)) ?? 'null';
    const bytes = byteLength(text);
    if (bytes <= maxBytes) [low, lowBytes, best] = [guess, bytes, text];
    else [high, highBytes] = [guess, bytes];
  }
  return best;
}

/**
 * A cut length no fitting result exceeds. Cut to `limit`, a string keeps at least `min(length,
 * limit - 1)` of its UTF-16 units (one less where a surrogate pair would be split), and each unit is
 * at least one byte of the JSON text, which also holds keys, punctuation and markers. So the largest
 * limit with the sum over all strings of `min(length, limit - 1)` within `maxBytes` bounds the answer.
 */
function cutLengthBound(value: unknown, maxBytes: number): number {
  const lengths: number[] = [];
  collectStringLengths(value, lengths);
  lengths.sort((left, right) => left - right);
  // With the shortest `kept` strings whole and the other n - kept cut to m units: total(m) =
  // sum(shortest kept) + m * (n - kept), for m between the kept-th and the next length.
  let whole = 0;
  let bound = 0;
  for (let kept = 0; kept <= lengths.length; kept++) {
    const longer = lengths.length - kept;
    const floor = kept === 0 ? 0 : lengths[kept - 1]!;
    const ceiling = kept === lengths.length ? Number.POSITIVE_INFINITY : lengths[kept]!;
    if (whole > maxBytes) break;
    const m = longer === 0 ? Number.POSITIVE_INFINITY : Math.floor((maxBytes - whole) / longer);
    if (m >= floor) bound = Math.max(bound, Math.min(m, ceiling));
    if (kept < lengths.length) whole += lengths[kept]!;
  }
  return bound === Number.POSITIVE_INFINITY ? maxBytes : bound + 1;
}

function collectStringLengths(value: unknown, into: number[]): void {
  if (typeof value === 'string') into.push(value.length);
  else if (value !== null && typeof value === 'object') for (const item of Array.isArray(value) ? value : Object.values(value)) collectStringLengths(item, into);
}

function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 0;
  let longest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) longest = Math.max(longest, longestString(item));
  return longest;
}

/** Every string in `value` cut to `limit` UTF-16 units with its marker (exported for tests). */
export function cutStrings(value: unknown, limit: number): unknown {
  // A negative limit empties every string: the structure alone, the least any cut can weigh.
  if (typeof value === 'string') return limit < 0 ? '' : cutString(value, limit);
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
