import { describe, expect, it } from 'vitest';
import { actionTypeOf, clipActionType } from './action-type.js';

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

describe('actionTypeOf', () => {
  it('takes facto.action_type, else gen_ai.operation.name, from string attributes only', () => {
    expect(actionTypeOf({ 'facto.action_type': { s: 'tool.call' }, 'gen_ai.operation.name': { s: 'chat' } })).toBe('tool.call');
    expect(actionTypeOf({ 'gen_ai.operation.name': { s: 'chat' } })).toBe('chat');
    expect(actionTypeOf({ 'facto.action_type': { i: '5' }, 'gen_ai.operation.name': { s: 'chat' } })).toBe('chat');
    expect(actionTypeOf({ 'facto.action_type': null, 'gen_ai.operation.name': { c: 'ab' } })).toBe('');
    expect(actionTypeOf({ 'facto.action_type': { s: 'x'.repeat(300) } })).toBe('x'.repeat(256));
  });
});
