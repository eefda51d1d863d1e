/**
 * Chat Completions usage in the conventions' terms. `prompt_tokens` already counts cached tokens,
 * which is what `gen_ai.usage.input_tokens` means; OpenAI reports no cache writes, so that attribute
 * stays absent rather than 0.
 */
import type { InferenceSpan } from '@facto/genai';
import { isObject, objectOf } from './wire.js';

export function recordChatUsage(span: InferenceSpan, usage: unknown): void {
  if (!isObject(usage)) return;
  span.usage({
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cacheReadInputTokens: objectOf(usage.prompt_tokens_details).cached_tokens,
    reasoningOutputTokens: objectOf(usage.completion_tokens_details).reasoning_tokens,
  });
}
