import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './blob.js';
import { cutStrings, toCappedJson, truncationMarker } from './capped-json.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('toCappedJson', () => {
  it('returns the JSON unchanged when it fits', () => {
    const value = [{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }];
    expect(toCappedJson(value, 1024)).toBe(JSON.stringify(value));
  });

  it('cuts the long strings, keeps the shape, roles and part types, and stays under the cap', () => {
    const value = [
      { role: 'system', parts: [{ type: 'text', content: 'You are a refund assistant.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'x'.repeat(10_000) }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { order: 1042 } }] },
    ];
    const text = toCappedJson(value, 1000);
    expect(bytes(text)).toBeLessThanOrEqual(1000);
    const parsed = JSON.parse(text);
    expect(parsed.map((message: { role: string }) => message.role)).toEqual(['system', 'user', 'assistant']);
    expect(parsed[2].parts[0]).toEqual(value[2]!.parts[0]);
    const cut: string = parsed[1].parts[0].content;
    expect(cut).toMatch(/^x+…\[truncated \d+ characters\]$/);
    const kept = cut.indexOf('…');
    expect(cut.slice(kept)).toBe(truncationMarker(10_000 - kept));
  });

  it('counts bytes, not characters, and never splits a character', () => {
    const value = { text: '😀'.repeat(2000) + 'é'.repeat(2000) };
    const text = toCappedJson(value, 700);
    expect(bytes(text)).toBeLessThanOrEqual(700);
    const parsed = JSON.parse(text);
    expect(parsed.text).toMatch(/^(😀)+…\[truncated \d+ characters\]$/u);
  });

  it('falls back to a marker naming the full JSON by size and SHA-256 when the structure alone is too big', () => {
    const value = Array.from({ length: 500 }, (_, index) => ({ role: 'user', index }));
    const text = toCappedJson(value, 256);
    const full = JSON.stringify(value);
    expect(JSON.parse(text)).toEqual({ truncated: true, original_bytes: bytes(full), sha256: sha256Hex(Buffer.from(full)) });
    expect(bytes(text)).toBeLessThanOrEqual(256);
  });

  it('finds the same cut as a search over every length would, however the value is shaped', () => {
    // The plain search the bounded one must agree with: the longest cut whose JSON fits, else the marker.
    const bySearch = (value: unknown, cap: number): string | undefined => {
      let best: string | undefined;
      for (let low = 0, high = cap; low <= high; ) {
        const limit = Math.floor((low + high) / 2);
        const text = JSON.stringify(cutStrings(value, limit));
        if (bytes(text) <= cap) [best, low] = [text, limit + 1];
        else high = limit - 1;
      }
      return best;
    };
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', minLength: 200, maxLength: 3000 }), fc.constant('x'.repeat(5000)));
    const message = fc.record({ role: fc.constantFrom('user', 'assistant'), parts: fc.array(fc.record({ type: fc.constant('text'), content: text }), { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), fc.integer({ min: 256, max: 8192 }), (value, cap) => {
        const full = JSON.stringify(value);
        if (bytes(full) <= cap) return;
        const expected = bySearch(value, cap);
        const actual = toCappedJson(value, cap);
        if (expected === undefined) expect(JSON.parse(actual)).toMatchObject({ truncated: true });
        else expect(actual).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a short string whole where cutting it to its marker alone would not fit', () => {
    // Eight 27-character strings: cut to nothing, each becomes a 26-character marker of 28 bytes;
    // at a cut length of 1 each stays whole, 27 bytes, and only the long one is cut.
    const value = { short: Array.from({ length: 8 }, (_, index) => `${index}`.padEnd(27, 'x')), long: 'y'.repeat(300) };
    const cap = bytes(JSON.stringify(cutStrings(value, 1)));
    expect(bytes(JSON.stringify(cutStrings(value, 0)))).toBeGreaterThan(cap);
    expect(toCappedJson(value, cap)).toBe(JSON.stringify(cutStrings(value, 1)));
  });

  it('always yields parseable JSON within the cap', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 256, max: 4096 }), (value, cap) => {
        const text = toCappedJson(value, cap);
        expect(bytes(text)).toBeLessThanOrEqual(cap);
        expect(() => JSON.parse(text)).not.toThrow();
        if (bytes(JSON.stringify(value)) <= cap) expect(text).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });
});
