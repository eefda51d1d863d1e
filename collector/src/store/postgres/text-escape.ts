/**
 * PostgreSQL's text type cannot hold U+0000, and the contract lets it appear in agent and chain ids,
 * span names, action types and incident details (any string of 1–256 UTF-16 code units for an id).
 * Every string this store sends is therefore escaped, and every text value it reads unescaped, by one
 * code that is
 *
 *   - the identity on every string without U+0000 or U+0001 (all realistic ones, and every JSON
 *     column, since JSON writes control characters as \u escapes): nothing stored before changes,
 *     and the common path costs a scan for two characters;
 *   - injective: U+0000 -> U+0001 U+0001 and U+0001 -> U+0001 U+0002, a prefix-free code over the
 *     two characters it touches, so two different strings never store as the same text;
 *   - order-preserving under the "C" collation (byte order of UTF-8, which for these characters is
 *     code point order): U+0001 U+0001 < U+0001 U+0002 < U+0002 and above, as U+0000 < U+0001 <
 *     U+0002. Listings sorted by id come out in the order SQLite and the memory store give.
 *
 * Equality lookups escape the value looked up, so they match exactly what was stored. The schema's
 * second migration escaped the U+0001 that rows written before this code may hold.
 */
const NEEDS_ESCAPE = /[\u0000\u0001]/;
const TO_ESCAPE = /[\u0000\u0001]/g;
const ESCAPED = /\u0001[\u0001\u0002]/g;

export function escapeText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(TO_ESCAPE, (character) => (character === '\u0000' ? '\u0001\u0001' : '\u0001\u0002'));
}

/** The inverse of escapeText; a U+0001 not followed by U+0001 or U+0002 (never written by this code) is kept as it is. */
export function unescapeText(stored: string): string {
  if (!stored.includes('\u0001')) return stored;
  return stored.replace(ESCAPED, (pair) => (pair === '\u0001\u0001' ? '\u0000' : '\u0001'));
}

/** Query parameters with every string escaped, in arrays too (the unnest() inserts pass one array per column). */
export function escapeParameters(values: readonly unknown[]): unknown[] {
  return values.map((value) => {
    if (typeof value === 'string') return escapeText(value);
    if (Array.isArray(value)) return value.map((item: unknown) => (typeof item === 'string' ? escapeText(item) : item));
    return value;
  });
}
