import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FactoError } from './errors.js';
import { parseStrictJson } from './strict-json.js';

const refusal = (text: string) => {
  try {
    parseStrictJson(text);
  } catch (error) {
    expect(FactoError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  return expect.fail(`accepted ${JSON.stringify(text)}`);
};

describe('parseStrictJson', () => {
  it('reads what JSON.parse reads, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indent) => {
        const text = JSON.stringify(value, null, indent ? 2 : undefined);
        expect(parseStrictJson(text)).toEqual(JSON.parse(text));
      }),
      { seed: 20261130, numRuns: 500 },
    );
  });

  it('refuses a duplicate member name, however it is spelled and wherever it is', () => {
    expect(refusal('{"a":1,"a":2}')).toBe('invalid JSON at offset 7: duplicate member name "a"');
    expect(refusal('{"a":1,"\\u0061":2}')).toMatch(/duplicate member name "a"/);
    expect(refusal('{"events":[{"record":{"seq":1,"x":0,"seq":2}}]}')).toMatch(/duplicate member name "seq"/);
    // The same name in sibling objects is fine.
    expect(parseStrictJson('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it.each([
    ['a trailing comma', '[1,]'],
    ['a leading zero', '01'],
    ['a single-quoted string', "'a'"],
    ['NaN', 'NaN'],
    ['an unescaped control character', '"a\u0001b"'],
    ['a bad escape', '"\\x41"'],
    ['text after the value', '{} {}'],
    ['an unterminated string', '"abc'],
    ['an empty document', ''],
  ])('refuses %s', (_name, text) => {
    expect(refusal(text)).toMatch(/^invalid JSON at offset \d+/);
  });

  it('refuses nesting deeper than 512 without overflowing the stack', () => {
    expect(parseStrictJson('['.repeat(512) + ']'.repeat(512))).toBeDefined();
    expect(refusal('['.repeat(100_000) + ']'.repeat(100_000))).toMatch(/nested deeper than 512/);
  });
});
