import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes.js';

describe('hex', () => {
  it('round-trips every byte value', () => {
    const every = Uint8Array.from({ length: 256 }, (_, index) => index);
    const hex = toHex(every);
    expect(hex.slice(0, 8)).toBe('00010203');
    expect(hex.slice(-4)).toBe('feff');
    expect(hex).toBe(Buffer.from(every).toString('hex'));
    expect(toHex(every.subarray(250, 253))).toBe('fafbfc');
    expect(toHex(new Uint8Array(0))).toBe('');
    expect(fromHex(hex)).toEqual(every);
    // Each digit position decoded on its own, against the platform's decoder.
    for (let value = 0; value < 256; value++) expect(fromHex(value.toString(16).padStart(2, '0'))[0]).toBe(value);
  });

  it('refuses every spelling it would not produce', () => {
    for (const bad of ['ABCD', 'aB', 'abc', 'zz', '0x00', ' 00', '00 ', 'g0', '0\u0660']) {
      expect(() => fromHex(bad), bad).toThrow(/lowercase hex/);
    }
    expect(() => fromHex(42 as unknown as string)).toThrow(/lowercase hex/);
  });

  it('checks the expected length', () => {
    expect(fromHex('', 'empty', 0)).toEqual(new Uint8Array(0));
    expect(() => fromHex('00ff', 'hash', 32)).toThrow('hash must be 32 bytes (64 hex digits), got 2');
  });
});
