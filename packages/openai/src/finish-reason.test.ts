import { describe, expect, it } from 'vitest';
import { chatFinishReason } from './finish-reason.js';

describe('chatFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['tool_calls', 'tool_call'],
    ['function_call', 'tool_call'],
  ])('writes OpenAI’s %s as the conventions’ %s', (reason, expected) => {
    expect(chatFinishReason(reason)).toBe(expected);
  });

  it('keeps a reason with no counterpart as sent, and reads no reason from what is not a string', () => {
    expect(chatFinishReason('insufficient_system_resource')).toBe('insufficient_system_resource');
    expect(chatFinishReason('constructor')).toBe('constructor');
    expect(chatFinishReason(null)).toBeUndefined();
  });
});
