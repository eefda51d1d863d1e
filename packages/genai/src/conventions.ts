/**
 * Our own constants for the OpenTelemetry GenAI semantic conventions (semantic-conventions-genai,
 * `model/gen-ai/registry.yaml`). Every `gen_ai.*` name is still "development" upstream, and
 * `@opentelemetry/semantic-conventions` already deprecates its `ATTR_GEN_AI_*` exports, so the names
 * every Facto integration writes live here, once. Deprecated names (`gen_ai.system`,
 * `gen_ai.usage.prompt_tokens`, `gen_ai.prompt`, `...cache_creation.input_tokens`) are never written.
 */

export const GEN_AI_ATTRIBUTES = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  conversationId: 'gen_ai.conversation.id',

  requestModel: 'gen_ai.request.model',
  requestTemperature: 'gen_ai.request.temperature',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTopP: 'gen_ai.request.top_p',
  requestFrequencyPenalty: 'gen_ai.request.frequency_penalty',
  requestPresencePenalty: 'gen_ai.request.presence_penalty',
  requestStopSequences: 'gen_ai.request.stop_sequences',
  requestSeed: 'gen_ai.request.seed',
  requestChoiceCount: 'gen_ai.request.choice.count',
  requestEncodingFormats: 'gen_ai.request.encoding_formats',
  /** Written only when true: the conventions make it conditionally required on streaming calls. */
  requestStream: 'gen_ai.request.stream',
  embeddingsDimensionCount: 'gen_ai.embeddings.dimension.count',

  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  /** One entry per choice, in choice order. */
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  /** Seconds from the request to the first streamed chunk. */
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',

  /** Includes cached input tokens, as the conventions define it. */
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  /** The current name (semconv-genai#440); `cache_creation.input_tokens` is the deprecated one. */
  usageCacheWriteInputTokens: 'gen_ai.usage.cache_write.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',

  agentName: 'gen_ai.agent.name',
  agentId: 'gen_ai.agent.id',
  agentDescription: 'gen_ai.agent.description',
  agentVersion: 'gen_ai.agent.version',

  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolDescription: 'gen_ai.tool.description',

  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
  toolDefinitions: 'gen_ai.tool.definitions',
  toolCallArguments: 'gen_ai.tool.call.arguments',
  toolCallResult: 'gen_ai.tool.call.result',
} as const;

/** Stable attributes from the general conventions that GenAI spans carry. */
export const COMMON_ATTRIBUTES = {
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
} as const;

/**
 * Facto's own attribute for how a streamed response ended: `completed`, `stopped` (the caller
 * stopped reading), `aborted` or `failed`. The conventions have no name for it, and an auditor needs
 * to tell an answer the caller abandoned from one the model finished.
 */
export const STREAM_OUTCOME_ATTRIBUTE = 'facto.stream.outcome';

/**
 * The content attributes: what the agent was asked, answered and passed to tools. @facto/otel's
 * processor commits exactly these as erasable content (`DEFAULT_CONTENT_KEYS` in @facto/core, which
 * also lists the deprecated `gen_ai.prompt` / `gen_ai.completion` for spans from older
 * instrumentations); a test in test/genai keeps the two lists in step.
 */
export const GEN_AI_CONTENT_KEYS: readonly string[] = [
  GEN_AI_ATTRIBUTES.inputMessages,
  GEN_AI_ATTRIBUTES.outputMessages,
  GEN_AI_ATTRIBUTES.systemInstructions,
  GEN_AI_ATTRIBUTES.toolDefinitions,
  GEN_AI_ATTRIBUTES.toolCallArguments,
  GEN_AI_ATTRIBUTES.toolCallResult,
];

/** Values of `gen_ai.operation.name`. */
export const GEN_AI_OPERATIONS = {
  chat: 'chat',
  textCompletion: 'text_completion',
  generateContent: 'generate_content',
  embeddings: 'embeddings',
  executeTool: 'execute_tool',
  invokeAgent: 'invoke_agent',
} as const;

/** Finish reason for a choice the stream ended before the model finished it (as the conventions say). */
export const EARLY_END_FINISH_REASON = 'error';

/** `{operation} {subject}`, or the operation alone when there is no subject (a nameless agent). */
export function spanName(operation: string, subject?: string): string {
  return subject ? `${operation} ${subject}` : operation;
}
