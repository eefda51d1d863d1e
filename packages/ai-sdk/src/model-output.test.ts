import { describe, expect, it } from 'vitest';
import { finishReasonOf, outputMessage, tokenUsageOf } from './model-output.js';
import { noUsage, usage } from './test-helpers/model-fixtures.js';

describe('finishReasonOf', () => {
  it('spells the unified reason as the conventions do, and keeps the provider’s own for "other"', () => {
    expect(finishReasonOf({ unified: 'stop', raw: 'end_turn' })).toBe('stop');
    expect(finishReasonOf({ unified: 'tool-calls', raw: 'tool_use' })).toBe('tool_call');
    expect(finishReasonOf({ unified: 'content-filter', raw: 'safety' })).toBe('content_filter');
    expect(finishReasonOf({ unified: 'length', raw: undefined })).toBe('length');
    expect(finishReasonOf({ unified: 'other', raw: 'pause_turn' })).toBe('pause_turn');
    expect(finishReasonOf({ unified: 'other', raw: undefined })).toBe('other');
    expect(finishReasonOf(undefined)).toBeUndefined();
  });
});

describe('tokenUsageOf', () => {
  it('reads every count the provider gave, cache reads and writes and reasoning included', () => {
    expect(tokenUsageOf(usage)).toEqual({ inputTokens: 42, outputTokens: 7, cacheReadInputTokens: 30, cacheWriteInputTokens: 5, reasoningOutputTokens: 3 });
  });

  it('gives nothing where the provider gave nothing', () => {
    expect(Object.values(tokenUsageOf(noUsage)).filter((value) => value !== undefined)).toEqual([]);
  });
});

describe('outputMessage', () => {
  it('keeps the content in order: reasoning, text, tool calls with their JSON arguments, provider-run tool results, sources', () => {
    const content = [
      { type: 'reasoning', text: 'Check the order first.' },
      { type: 'text', text: 'Looking it up.' },
      { type: 'tool-call', toolCallId: 'call-1', toolName: 'lookup_order', input: '{"order":1042}' },
      { type: 'tool-result', toolCallId: 'search-1', toolName: 'web_search', result: { hits: 2 } },
      { type: 'source', sourceType: 'url', id: 's1', url: 'https://example.com/orders' },
    ];
    expect(outputMessage(content, 'tool_call')).toEqual({
      role: 'assistant',
      parts: [
        { type: 'reasoning', content: 'Check the order first.' },
        { type: 'text', content: 'Looking it up.' },
        { type: 'tool_call', id: 'call-1', name: 'lookup_order', arguments: { order: 1042 } },
        { type: 'tool_call_response', id: 'search-1', response: { hits: 2 } },
        { type: 'uri', uri: 'https://example.com/orders', modality: 'document' },
      ],
      finish_reason: 'tool_call',
    });
  });
});
