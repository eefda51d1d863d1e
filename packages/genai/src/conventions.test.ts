import { describe, expect, it } from 'vitest';
import { GEN_AI_ATTRIBUTES, GEN_AI_CONTENT_KEYS, spanName } from './conventions.js';

describe('GenAI convention constants', () => {
  it('names spans "{operation} {subject}", or the operation alone', () => {
    expect(spanName('chat', 'gpt-4o')).toBe('chat gpt-4o');
    expect(spanName('execute_tool', 'lookup_order')).toBe('execute_tool lookup_order');
    expect(spanName('invoke_agent')).toBe('invoke_agent');
    expect(spanName('invoke_agent', '')).toBe('invoke_agent');
  });

  it('never uses a deprecated name', () => {
    const names = Object.values(GEN_AI_ATTRIBUTES);
    for (const deprecated of ['gen_ai.system', 'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens', 'gen_ai.prompt', 'gen_ai.completion', 'gen_ai.usage.cache_creation.input_tokens']) {
      expect(names).not.toContain(deprecated);
    }
    expect(GEN_AI_ATTRIBUTES.usageCacheWriteInputTokens).toBe('gen_ai.usage.cache_write.input_tokens');
  });

  it('lists as content exactly the six content attributes', () => {
    expect([...GEN_AI_CONTENT_KEYS].sort()).toEqual([
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'gen_ai.tool.call.arguments',
      'gen_ai.tool.call.result',
      'gen_ai.tool.definitions',
    ]);
  });
});
