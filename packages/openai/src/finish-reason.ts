/**
 * Chat Completions finish reasons in the conventions' vocabulary (@facto/genai's
 * conventionFinishReason): OpenAI's `tool_calls`, and the older `function_call`, is `tool_call`; a
 * reason with no counterpart (an OpenAI-compatible server's own) is kept as sent.
 */
import { conventionFinishReason } from '@facto/genai';

export function chatFinishReason(reason: unknown): string | undefined {
  if (typeof reason !== 'string') return undefined;
  return conventionFinishReason(reason);
}
