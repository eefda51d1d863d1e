/**
 * Test support: what a language model returns, in the shape specification v3 (ai 6) and v4 (ai 7)
 * share, for the AI SDK's own mock models (`MockLanguageModelV3`, `MockLanguageModelV4` from
 * `ai/test`): generate results, stream parts, usage with every count and with none. The values are
 * the ones the tests assert, so a mapping that drops or invents one fails.
 */

export const RESPONSE_MODEL = 'mock-model-2026-01';

/** Input 42 = 7 uncached + 30 read from the cache + 5 written to it; output 7 = 4 text + 3 reasoning. */
export const usage = {
  inputTokens: { total: 42, noCache: 7, cacheRead: 30, cacheWrite: 5 },
  outputTokens: { total: 7, text: 4, reasoning: 3 },
};

/** What a provider that reports no usage gives. */
export const noUsage = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

export function textResult(text: string, options: { id?: string; withUsage?: boolean } = {}) {
  return {
    content: [{ type: 'text' as const, text }],
    finishReason: { unified: 'stop' as const, raw: 'stop' },
    usage: options.withUsage === false ? noUsage : usage,
    warnings: [],
    response: { id: options.id ?? 'resp-text', modelId: RESPONSE_MODEL },
  };
}

export function toolCallResult(toolCallId: string, toolName: string, input: unknown, options: { id?: string } = {}) {
  return {
    content: [{ type: 'tool-call' as const, toolCallId, toolName, input: JSON.stringify(input) }],
    finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
    usage,
    warnings: [],
    response: { id: options.id ?? `resp-${toolCallId}`, modelId: RESPONSE_MODEL },
  };
}

/** A streamed text answer: stream start, metadata, the text in pieces, and (unless left out) the finish part. */
export function textStreamParts(pieces: readonly string[], options: { id?: string; withUsage?: boolean; finish?: boolean } = {}) {
  return [
    { type: 'stream-start' as const, warnings: [] },
    { type: 'response-metadata' as const, id: options.id ?? 'resp-stream', modelId: RESPONSE_MODEL },
    { type: 'text-start' as const, id: 'text-1' },
    ...pieces.map((delta) => ({ type: 'text-delta' as const, id: 'text-1', delta })),
    { type: 'text-end' as const, id: 'text-1' },
    ...(options.finish === false ? [] : [{ type: 'finish' as const, finishReason: { unified: 'stop' as const, raw: 'stop' }, usage: options.withUsage === false ? noUsage : usage }]),
  ];
}

export function toolCallStreamParts(toolCallId: string, toolName: string, input: unknown, options: { id?: string } = {}) {
  return [
    { type: 'stream-start' as const, warnings: [] },
    { type: 'response-metadata' as const, id: options.id ?? `resp-${toolCallId}`, modelId: RESPONSE_MODEL },
    { type: 'tool-call' as const, toolCallId, toolName, input: JSON.stringify(input) },
    { type: 'finish' as const, finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' }, usage },
  ];
}
