import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize } from './canonicalize.js';
import { FactoError } from './errors.js';
import vectors from './jcs-vectors.json' with { type: 'json' };

function numberFromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Runs canonicalize and returns the FactoError it throws, failing the test if it throws anything else. */
function canonicalizationError(value: unknown): FactoError {
  try {
    canonicalize(value);
  } catch (error) {
    expect(FactoError.isInstance(error)).toBe(true);
    expect((error as FactoError).code).toBe('canonicalization');
    return error as FactoError;
  }
  throw new Error('expected canonicalize to throw');
}

/** The JCS order spelled out: compare UTF-16 code units as unsigned integers, shorter prefix first. */
function compareCodeUnits(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = left.charCodeAt(index) - right.charCodeAt(index);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/** Well-formed UTF-16, checked unit by unit (independently of the regular expressions under test). */
function isWellFormed(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xdc00 && unit <= 0xdfff) return false;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      index++;
    }
  }
  return true;
}

describe('RFC 8785 vectors', () => {
  it.each(vectors.numbers.vectors)('serializes the number $ieee754 ($comment)', (vector) => {
    const value = numberFromBits(vector.ieee754);
    if ('error' in vector) {
      expect(canonicalizationError(value).message).toContain('at $');
    } else {
      expect(canonicalize(value)).toBe(vector.json);
    }
  });

  it.each(vectors.documents)('canonicalizes $name', (document) => {
    const parsed: unknown = JSON.parse(document.input);
    if ('output' in document) expect(canonicalize(parsed)).toBe(document.output);
    if ('outputHex' in document) expect(hexOf(canonicalBytes(parsed))).toBe(document.outputHex);
  });

  it('sorts the RFC 8785 section 3.2.3 keys by UTF-16 code units', () => {
    const text = canonicalize(JSON.parse(vectors.sorting.input));
    const positions = vectors.sorting.expectedValueOrder.map((value) => text.indexOf(JSON.stringify(value)));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((left, right) => left - right)).toEqual(positions);
  });
});

describe('canonicalize', () => {
  it('writes -0 as 0, as RFC 8785 appendix B requires', () => {
    expect(canonicalize(-0)).toBe('0');
    expect(canonicalize({ zero: [-0] })).toBe('{"zero":[0]}');
  });

  it('keeps an own "__proto__" member from JSON.parse and does not touch prototypes', () => {
    const parsed: unknown = JSON.parse('{"b":1,"__proto__":{"polluted":true},"a":[{"__proto__":null}]}');
    expect(canonicalize(parsed)).toBe('{"__proto__":{"polluted":true},"a":[{"__proto__":null}],"b":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts null-prototype objects and shared (acyclic) references', () => {
    const shared = Object.assign(Object.create(null) as object, { x: 1 });
    expect(canonicalize({ left: shared, right: [shared] })).toBe('{"left":{"x":1},"right":[{"x":1}]}');
  });

  it('writes strings as JSON.stringify does, including escapes and U+2028', () => {
    const text = 'quote " backslash \\ controls \u0000\u0008\u0009\u000a\u000c\u000d\u001f del \u007f line \u2028 emoji \ud83d\ude00';
    expect(canonicalize(text)).toBe(JSON.stringify(text));
  });
});

describe('canonicalize errors name the JSON path', () => {
  it.each([
    ['NaN', { attributes: { 'gen_ai.usage': [1, 2, Number.NaN] } }, '$.attributes["gen_ai.usage"][2]', 'NaN'],
    ['Infinity', [Number.POSITIVE_INFINITY], '$[0]', 'Infinity'],
    ['-Infinity', { a: Number.NEGATIVE_INFINITY }, '$.a', '-Infinity'],
    ['undefined at the top', undefined, '$', 'undefined'],
    ['undefined in an object', { kept: 1, dropped: undefined }, '$.dropped', 'undefined'],
    ['undefined in an array', [null, undefined], '$[1]', 'undefined'],
    ['an array hole', [1, , 3], '$[1]', 'undefined'],
    ['a function', { call: () => 1 }, '$.call', 'function'],
    ['a symbol', { tag: Symbol('x') }, '$.tag', 'symbol'],
    ['a BigInt', { big: 1n }, '$.big', 'BigInt'],
    ['a Date', { when: new Date(0) }, '$.when', 'Date'],
    ['a Map', new Map(), '$', 'Map'],
    ['a Set', [new Set()], '$[0]', 'Set'],
    ['a Uint8Array', { bytes: new Uint8Array(2) }, '$.bytes', 'Uint8Array'],
    ['a boxed number', { n: new Number(1) }, '$.n', 'Number'],
    ['a class instance', { thing: new (class Thing {})() }, '$.thing', 'Thing'],
    ['a symbol-keyed property', { inner: { [Symbol('hidden')]: 1 } }, '$.inner', 'symbol-keyed'],
    ['a lone high surrogate', { text: 'a\ud800b' }, '$.text', 'lone surrogate'],
    ['a lone low surrogate', ['\udc00'], '$[0]', 'lone surrogate'],
    ['a reversed surrogate pair', '\ude00\ud83d', '$', 'lone surrogate'],
    ['a lone surrogate in a key', { outer: { 'k\udfff': 1 } }, '$.outer["k\\udfff"]', 'property name'],
  ])('rejects %s', (_name, value, path, reason) => {
    const error = canonicalizationError(value);
    expect(error.message).toContain(reason);
    expect(error.message.endsWith(` at ${path}`)).toBe(true);
  });

  it('rejects cycles through objects and arrays', () => {
    const object: Record<string, unknown> = { name: 'loop' };
    object.self = { list: [object] };
    expect(canonicalizationError(object).message).toMatch(/cycle .* at \$\.self\.list\[0\]$/);
    const array: unknown[] = [];
    array.push(array);
    expect(canonicalizationError(array).message).toMatch(/cycle .* at \$\[0\]$/);
  });
});

describe('canonicalize properties', () => {
  const anyJson = fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 });

  it('is idempotent through JSON.parse', () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order members were inserted in', () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary' }), anyJson), { selector: ([key]) => key, maxLength: 12 });
    fc.assert(
      fc.property(entries, (pairs) => {
        const forward = Object.fromEntries(pairs);
        const backward = Object.fromEntries([...pairs].reverse());
        expect(canonicalize(backward)).toBe(canonicalize(forward));
      }),
      { numRuns: 300 },
    );
  });

  it('orders keys by UTF-16 code units', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'binary' }), { maxLength: 12 }), (keys) => {
        // Positions in the text, because JSON.parse would move integer-like keys first again.
        const text = canonicalize(Object.fromEntries(keys.map((key) => [key, 0])));
        const positions = [...keys].sort(compareCodeUnits).map((key) => text.indexOf(`${JSON.stringify(key)}:0`));
        expect(positions.every((position) => position > 0)).toBe(true);
        expect(positions).toEqual([...positions].sort((left, right) => left - right));
      }),
      { numRuns: 300 },
    );
  });

  it('writes every finite double as ECMAScript Number-to-String and reads back the same value', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = canonicalize(value);
        expect(text).toBe(JSON.stringify(value));
        expect(Number(text)).toBe(value === 0 ? 0 : value);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every string holding a lone surrogate and accepts every well-formed one', () => {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
    const withLoneSurrogate = fc
      .tuple(fc.string({ unit: 'binary' }), surrogate, fc.string({ unit: 'binary' }))
      .filter((parts) => !isWellFormed(parts.join('')))
      .map((parts) => parts.join(''));
    fc.assert(fc.property(withLoneSurrogate, (text) => void canonicalizationError({ text })), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => void expect(canonicalize(text)).toBe(JSON.stringify(text))), { numRuns: 500 });
  });
});
