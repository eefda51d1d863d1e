import { describe, expect, it } from 'vitest';
import { clipActionType } from './examine.js';

describe('the action type a store indexes', () => {
  it('is the attribute itself up to 256 UTF-16 code units, and its first 256 beyond', () => {
    expect(clipActionType('chat')).toBe('chat');
    const exactly = 'a'.repeat(256);
    expect(clipActionType(exactly)).toBe(exactly);
    expect(clipActionType(`${exactly}b`)).toBe(exactly);
  });

  it('never ends in half a surrogate pair', () => {
    const astralAcrossTheLimit = `${'a'.repeat(255)}💬tail`;
    expect(clipActionType(astralAcrossTheLimit)).toBe('a'.repeat(255));
    const astralBeforeTheLimit = `${'a'.repeat(254)}💬tail`;
    expect(clipActionType(astralBeforeTheLimit)).toBe(`${'a'.repeat(254)}💬`);
  });
});
