import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeParameters, escapeText, unescapeText } from './text-escape.js';

// Strings built mostly from the characters the code touches and their neighbours, so that
// generated cases meet U+0000, U+0001 and U+0002 next to each other often.
const awkward = fc.array(fc.constantFrom('\u0000', '\u0001', '\u0002', '\u0003', 'a', '\\', 'é', '💬'), { maxLength: 12 }).map((characters) => characters.join(''));
const anyText = fc.oneof(awkward, fc.string({ unit: 'binary' }));
const byUtf8 = (left: string, right: string) => Math.sign(Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8')));

describe('PostgreSQL text escaping', () => {
  it('stores no U+0000, and reads back every string exactly', () => {
    fc.assert(fc.property(anyText, (text) => {
      const stored = escapeText(text);
      expect(stored).not.toContain('\u0000');
      expect(unescapeText(stored)).toBe(text);
    }), { numRuns: 2000 });
  });

  it('leaves a string without U+0000 or U+0001 as it is, so rows written before it read the same', () => {
    fc.assert(fc.property(anyText.filter((text) => !/[\u0000\u0001]/.test(text)), (text) => {
      expect(escapeText(text)).toBe(text);
      expect(unescapeText(text)).toBe(text);
    }));
  });

  it('never stores two different strings as the same text, and keeps their order under the "C" collation', () => {
    fc.assert(fc.property(awkward, awkward, (left, right) => {
      expect(escapeText(left) === escapeText(right)).toBe(left === right);
      expect(byUtf8(escapeText(left), escapeText(right))).toBe(byUtf8(left, right));
    }), { numRuns: 5000 });
  });

  it('escapes the examples the scheme names', () => {
    expect(escapeText('a\u0000b\u0001c\u0002')).toBe('a\u0001\u0001b\u0001\u0002c\u0002');
    expect(unescapeText('\u0001\u0001\u0001\u0002\u0001\u0003')).toBe('\u0000\u0001\u0001\u0003');
  });

  it('escapes string parameters and the strings in array parameters, and nothing else', () => {
    const bytes = Buffer.from([0, 1]);
    expect(escapeParameters(['\u0000', 7, null, bytes, ['x\u0000', 3, null]])).toEqual(['\u0001\u0001', 7, null, bytes, ['x\u0001\u0001', 3, null]]);
  });
});
