/**
 * A provider's finish reason in the conventions' vocabulary: the `FinishReason` values of the
 * output messages' schema (`stop`, `length`, `content_filter`, `tool_call`, `error`). Every Facto
 * integration writes these, in `gen_ai.output.messages` and in `gen_ai.response.finish_reasons`
 * alike (the schema's newer versions move the message's finish reason to that attribute), so "the
 * model called a tool" reads `tool_call` whether the model is OpenAI's (`tool_calls`), Anthropic's
 * or Bedrock's (`tool_use`) or Cohere's (`TOOL_CALL`), and whichever integration recorded it. The
 * reasons are matched without regard to case (Google and Cohere spell theirs in capitals); one
 * with no counterpart (`pause_turn`, `MALFORMED_FUNCTION_CALL`, `OTHER`) is kept as the provider
 * spelled it.
 */
const CONVENTION_FINISH_REASONS: ReadonlyMap<string, string> = new Map([
  // OpenAI and the servers that speak its API (Azure, Mistral, Groq, DeepSeek, xAI, ...)
  ['stop', 'stop'],
  ['length', 'length'],
  ['content_filter', 'content_filter'],
  ['tool_calls', 'tool_call'],
  ['function_call', 'tool_call'],
  ['model_length', 'length'],
  // Anthropic, and AWS Bedrock's Converse API
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['max_tokens', 'length'],
  ['tool_use', 'tool_call'],
  ['refusal', 'content_filter'],
  ['guardrail_intervened', 'content_filter'],
  ['content_filtered', 'content_filter'],
  // Google Gemini and Vertex AI
  ['safety', 'content_filter'],
  ['recitation', 'content_filter'],
  ['blocklist', 'content_filter'],
  ['prohibited_content', 'content_filter'],
  ['spii', 'content_filter'],
  ['image_safety', 'content_filter'],
  // Cohere
  ['complete', 'stop'],
  ['tool_call', 'tool_call'],
  ['error', 'error'],
]);

export function conventionFinishReason(reason: string): string {
  return CONVENTION_FINISH_REASONS.get(reason.toLowerCase()) ?? reason;
}
