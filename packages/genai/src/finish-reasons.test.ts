import { describe, expect, it } from 'vitest';
import { conventionFinishReason } from './finish-reasons.js';

describe('conventionFinishReason', () => {
  it.each([
    ['tool_calls', 'tool_call'],
    ['function_call', 'tool_call'],
    ['tool_use', 'tool_call'],
    ['TOOL_CALL', 'tool_call'],
    ['end_turn', 'stop'],
    ['STOP', 'stop'],
    ['COMPLETE', 'stop'],
    ['max_tokens', 'length'],
    ['MAX_TOKENS', 'length'],
    ['model_length', 'length'],
    ['SAFETY', 'content_filter'],
    ['guardrail_intervened', 'content_filter'],
    ['refusal', 'content_filter'],
  ])('writes %s as the conventions’ %s', (reason, expected) => {
    expect(conventionFinishReason(reason)).toBe(expected);
  });

  it('keeps a reason with no counterpart as the provider spelled it', () => {
    expect(conventionFinishReason('pause_turn')).toBe('pause_turn');
    expect(conventionFinishReason('MALFORMED_FUNCTION_CALL')).toBe('MALFORMED_FUNCTION_CALL');
    expect(conventionFinishReason('constructor')).toBe('constructor');
  });
});
