/**
 * What a model call returned, in the conventions' terms: the content as one assistant output
 * message, the finish reason, and the token usage. The finish reason is the AI SDK's unified one in
 * the conventions' spelling (`stop`, `length`, `content_filter`, `tool_call`, `error`), so a query
 * finds tool calls the same way whichever provider made them; `other` is recorded as the
 * provider's own reason when it gave one. Usage is the provider's own figure: a count it did not
 * report is left out, never 0.
 */
import { textPart, type InferenceSpan, type MessagePart, type OutputMessage, type TokenUsage } from '@facto/genai';
import { filePart, toolCallPart } from './prompt-messages.js';
import { objectOf, objectsOf, stringOf, type Fields } from './values.js';

const FINISH_REASONS: Readonly<Record<string, string>> = {
  stop: 'stop',
  length: 'length',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_call',
  error: 'error',
};

/** `{ unified, raw }` in both specification versions. */
export function finishReasonOf(finishReason: unknown): string | undefined {
  const fields = objectOf(finishReason);
  const unified = stringOf(fields.unified);
  if (unified === undefined) return undefined;
  return FINISH_REASONS[unified] ?? stringOf(fields.raw) ?? unified;
}

/** `inputTokens.{total,noCache,cacheRead,cacheWrite}`, `outputTokens.{total,text,reasoning}` in both versions. */
export function tokenUsageOf(usage: unknown): TokenUsage {
  const fields = objectOf(usage);
  const inputTokens = objectOf(fields.inputTokens);
  const outputTokens = objectOf(fields.outputTokens);
  return {
    inputTokens: inputTokens.total,
    outputTokens: outputTokens.total,
    cacheReadInputTokens: inputTokens.cacheRead,
    cacheWriteInputTokens: inputTokens.cacheWrite,
    reasoningOutputTokens: outputTokens.reasoning,
  };
}

/** One content item of a result (or a finished stream) as an output message part; undefined to leave it out. */
export function outputPart(item: Fields): MessagePart | undefined {
  switch (item.type) {
    case 'text':
      return textPart(stringOf(item.text) ?? '');
    case 'reasoning':
      return { type: 'reasoning', content: stringOf(item.text) ?? '' };
    case 'tool-call':
      return toolCallPart(item);
    case 'tool-result':
      // A tool the provider ran itself (web search, code execution): its result came back with the answer.
      return { type: 'tool_call_response', ...(typeof item.toolCallId === 'string' ? { id: item.toolCallId } : {}), response: item.result };
    case 'file':
      return filePart(item.data, stringOf(item.mediaType));
    case 'source':
      return typeof item.url === 'string' ? { type: 'uri', uri: item.url, modality: 'document' } : { type: 'source', ...(typeof item.title === 'string' ? { title: item.title } : {}) };
    default:
      return typeof item.type === 'string' ? { type: item.type } : undefined;
  }
}

export function outputMessage(content: unknown, finishReason: string): OutputMessage {
  const parts = objectsOf(content)
    .map(outputPart)
    .filter((part): part is MessagePart => part !== undefined);
  return { role: 'assistant', parts, finish_reason: finishReason };
}

/** Records a complete generate result: response identity, finish reason, usage, and the output. */
export function recordResult(span: InferenceSpan, result: Fields): void {
  const finishReason = finishReasonOf(result.finishReason);
  const response = objectOf(result.response);
  span.response({ id: response.id, model: response.modelId, ...(finishReason ? { finishReasons: [finishReason] } : {}) });
  span.usage(tokenUsageOf(result.usage));
  if (span.capturesContent) span.output([outputMessage(result.content, finishReason ?? 'unknown')]);
}
