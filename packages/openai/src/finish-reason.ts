/**
 * Chat Completions finish reasons in the conventions' vocabulary: the `FinishReason` values of the
 * output messages' schema (`stop`, `length`, `content_filter`, `tool_call`, `error`). Every Facto
 * integration writes these, in `gen_ai.output.messages` and in `gen_ai.response.finish_reasons`
 * alike (the schema's newer versions move the message's finish reason to that attribute), so "the
 * model called a tool" reads `tool_call` whichever integration recorded the call. OpenAI's
 * `tool_calls`, and the older `function_call`, is `tool_call`; a reason with no counterpart (an
 * OpenAI-compatible server's own) is kept as sent.
 */
const CONVENTION_FINISH_REASONS: ReadonlyMap<string, string> = new Map([
  ['stop', 'stop'],
  ['length', 'length'],
  ['content_filter', 'content_filter'],
  ['tool_calls', 'tool_call'],
  ['function_call', 'tool_call'],
]);

export function chatFinishReason(reason: unknown): string | undefined {
  if (typeof reason !== 'string') return undefined;
  return CONVENTION_FINISH_REASONS.get(reason) ?? reason;
}
