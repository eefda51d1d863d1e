import { describe, expect, it } from 'vitest';
import { assertTypedValue, normalizeAttributeValue, toTypedValue, wellFormed } from './typed-value.js';

describe('toTypedValue', () => {
  it('follows the OTLP exporters: Number.isInteger decides int or double', () => {
    expect(toTypedValue(1)).toEqual({ i: '1' });
    expect(toTypedValue(1.0)).toEqual({ i: '1' });
    expect(toTypedValue(-0)).toEqual({ i: '0' });
    expect(toTypedValue(1.5)).toEqual({ d: 1.5 });
    expect(toTypedValue(2 ** 60)).toEqual({ i: '1152921504606846976' });
    expect(toTypedValue('1')).toEqual({ s: '1' });
    expect(toTypedValue(true)).toEqual({ b: true });
    expect(toTypedValue(new Uint8Array([0, 255]))).toEqual({ x: '00ff' });
    expect(toTypedValue(['a', null, undefined])).toEqual({ a: [{ s: 'a' }, null, null] });
    expect(toTypedValue({ k: 1 })).toEqual({ m: [['k', { i: '1' }]] });
  });

  it('refuses what cannot travel alike over both encodings, unless normalised first', () => {
    expect(() => toTypedValue(Number.NaN)).toThrow(/non-finite/);
    expect(() => toTypedValue(2 ** 63)).toThrow(/int64/);
    expect(toTypedValue(normalizeAttributeValue(Number.NaN))).toEqual({ s: 'NaN' });
    expect(toTypedValue(normalizeAttributeValue(-Infinity))).toEqual({ s: '-Infinity' });
    expect(toTypedValue(normalizeAttributeValue(2 ** 63))).toEqual({ s: '9223372036854776000' });
    expect(toTypedValue(normalizeAttributeValue(-(2 ** 63)))).toEqual({ i: '-9223372036854775808' });
  });
});

describe('normalizeAttributeValue', () => {
  it('returns the same reference when nothing changes, so the hot path allocates nothing', () => {
    const array = ['a', 1, true];
    expect(normalizeAttributeValue(array)).toBe(array);
    expect(normalizeAttributeValue('plain')).toBe('plain');
  });

  it('replaces lone surrogates, keeps pairs', () => {
    expect(wellFormed('a\uD800b')).toBe('a\uFFFDb');
    expect(wellFormed('\uDC00')).toBe('\uFFFD');
    expect(wellFormed('😀')).toBe('😀');
    expect(normalizeAttributeValue(['ok', 'x\uDBFF'])).toEqual(['ok', 'x\uFFFD']);
  });
});

describe('assertTypedValue', () => {
  it('accepts every well-formed typed value', () => {
    for (const value of [null, { s: '' }, { b: false }, { i: '-9223372036854775808' }, { d: 0.1 }, { x: '' }, { a: [null, { s: 'x' }] }, { m: [['k', { i: '0' }]] }]) {
      expect(() => assertTypedValue(value, 'v')).not.toThrow();
    }
  });

  it('names what is wrong', () => {
    expect(() => assertTypedValue({ i: '01' }, 'v')).toThrow('v: {"i":"01"} is not a canonical int64');
    expect(() => assertTypedValue({ i: '-0' }, 'v')).toThrow(/int64/);
    expect(() => assertTypedValue({ x: 'AB' }, 'v')).toThrow(/lowercase hex/);
    expect(() => assertTypedValue({ s: 'a', b: true }, 'v')).toThrow(/exactly one member/);
    expect(() => assertTypedValue({ q: 1 }, 'v')).toThrow(/unknown type tag/);
    expect(() => assertTypedValue({ a: [{ d: Infinity }] }, 'v')).toThrow('v.a[0]: {"d":Infinity} is not a finite double');
    expect(() => assertTypedValue({ m: [['k']] }, 'v')).toThrow(/expected \[key, value\]/);
  });
});
