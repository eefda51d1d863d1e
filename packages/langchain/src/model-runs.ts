/**
 * A LangChain model run (chat model or text LLM) as an inference span. At the start: provider and
 * model from the run's metadata (`ls_provider`, `ls_model_name`) or its invocation parameters,
 * request parameters, the messages sent and the tools offered. At the end: the response's model and
 * id, one finish reason (in the conventions' vocabulary) and one output message per generation, and
 * usage exactly as the model reported it in `usage_metadata` (cache reads and writes, reasoning
 * tokens), or in the older `llmOutput.tokenUsage` when that is all there is. LangChain's own
 * estimates are never used.
 */
import { conventionFinishReason, GEN_AI_OPERATIONS, textPart, type InferenceSpan, type InferenceStart, type OutputMessage, type TokenUsage, type ToolDefinition } from '@facto/genai';
import { inputMessages, outputMessage, toolCallsOf } from './messages.js';
import { providerName } from './providers.js';
import { conversationIdOf } from './run-metadata.js';
import { fieldsOf, firstDefined, firstString, isFields, listOf, serializedId, stringOf, type Fields } from './values.js';

export type ModelOperation = typeof GEN_AI_OPERATIONS.chat | typeof GEN_AI_OPERATIONS.textCompletion;

export function inferenceStart(operation: ModelOperation, llm: unknown, extraParams: unknown, metadata: unknown): InferenceStart {
  const meta = fieldsOf(metadata);
  const params = invocationParams(extraParams);
  const conversationId = conversationIdOf(meta);
  return {
    operation,
    provider: providerName(stringOf(meta.ls_provider), serializedId(llm)),
    model: firstString(meta.ls_model_name, params.model, params.model_name, params.modelName, params.model_id, params.modelId),
    ...(conversationId !== undefined ? { conversationId } : {}),
  };
}

export function recordRequest(span: InferenceSpan, extraParams: unknown, metadata: unknown): void {
  const params = invocationParams(extraParams);
  const meta = fieldsOf(metadata);
  span.request({
    temperature: firstDefined(params.temperature, meta.ls_temperature),
    maxTokens: firstDefined(params.max_tokens, params.max_completion_tokens, params.maxTokens, params.max_output_tokens, params.maxOutputTokens, meta.ls_max_tokens),
    topP: firstDefined(params.top_p, params.topP),
    frequencyPenalty: firstDefined(params.frequency_penalty, params.frequencyPenalty),
    presencePenalty: firstDefined(params.presence_penalty, params.presencePenalty),
    stopSequences: firstDefined(params.stop, params.stop_sequences, params.stopSequences, meta.ls_stop),
    seed: params.seed,
    choiceCount: params.n,
    stream: params.stream,
  });
}

/** Chat model input: the message list of this run (LangChain starts one run per list). */
export function recordChatInput(span: InferenceSpan, messageLists: unknown, extraParams: unknown): void {
  if (!span.capturesContent) return;
  span.input({ messages: inputMessages(listOf(messageLists)[0]), toolDefinitions: toolDefinitions(invocationParams(extraParams).tools) });
}

/** Text LLM input: this run's prompt, as one user message. */
export function recordPromptInput(span: InferenceSpan, prompts: unknown): void {
  if (!span.capturesContent) return;
  const prompt = listOf(prompts)[0];
  if (typeof prompt === 'string') span.input({ messages: [{ role: 'user', parts: [textPart(prompt)] }] });
}

/** What the model answered: `result` is LangChain's LLMResult for this run. */
export function recordResult(span: InferenceSpan, result: unknown): void {
  const generations = listOf(listOf(fieldsOf(result).generations)[0]).filter(isFields);
  const first = fieldsOf(generations[0]?.message);
  const metadata = fieldsOf(first.response_metadata);
  const finishReasons = generations.map(finishReasonOf);
  const ownId = stringOf(first.id);
  span.response({
    model: firstString(metadata.model_name, metadata.model, fieldsOf(generations[0]?.generationInfo).model_name),
    // LangChain names a message it got no id for `run-<run id>`: that is not the provider's response id.
    id: ownId !== undefined && !ownId.startsWith('run-') ? ownId : stringOf(metadata.id),
    finishReasons,
  });
  const usage = usageOf(first.usage_metadata) ?? legacyUsageOf(fieldsOf(result).llmOutput);
  if (usage) span.usage(usage);
  if (span.capturesContent) span.output(generations.map((generation, index) => outputOf(generation, finishReasons[index]!)));
}

function invocationParams(extraParams: unknown): Fields {
  return fieldsOf(fieldsOf(extraParams).invocation_params);
}

/**
 * The provider's finish reason as the integration passed it on (`finish_reason` from OpenAI,
 * `stop_reason` from Anthropic, `finishReason` from Google), in the conventions' vocabulary. A model
 * that reports none (test doubles, some local models) gets the one its message shows: `tool_call`
 * when it called tools, else `stop`.
 */
function finishReasonOf(generation: Fields): string {
  const message = fieldsOf(generation.message);
  const metadata = fieldsOf(message.response_metadata);
  const info = fieldsOf(generation.generationInfo);
  const reported = firstString(metadata.finish_reason, metadata.stop_reason, metadata.finishReason, info.finish_reason, info.finishReason);
  if (reported !== undefined) return conventionFinishReason(reported);
  return toolCallsOf(message).length > 0 ? 'tool_call' : 'stop';
}

function outputOf(generation: Fields, finishReason: string): OutputMessage {
  if (isFields(generation.message)) return outputMessage(generation.message, finishReason);
  const text = stringOf(generation.text);
  return { role: 'assistant', parts: text ? [textPart(text)] : [], finish_reason: finishReason };
}

/** LangChain's `usage_metadata`: `input_tokens` already counts cached input, as the conventions want. */
function usageOf(value: unknown): TokenUsage | undefined {
  if (!isFields(value)) return undefined;
  const input = fieldsOf(value.input_token_details);
  const output = fieldsOf(value.output_token_details);
  return {
    inputTokens: value.input_tokens,
    outputTokens: value.output_tokens,
    cacheReadInputTokens: input.cache_read,
    cacheWriteInputTokens: input.cache_creation,
    reasoningOutputTokens: output.reasoning,
  };
}

function legacyUsageOf(llmOutput: unknown): TokenUsage | undefined {
  const tokenUsage = fieldsOf(fieldsOf(llmOutput).tokenUsage);
  if (tokenUsage.promptTokens === undefined && tokenUsage.completionTokens === undefined) return undefined;
  return { inputTokens: tokenUsage.promptTokens, outputTokens: tokenUsage.completionTokens };
}

/** Tools offered in the request: OpenAI's `{ type, function }` shape or Anthropic's `{ name, input_schema }`. */
function toolDefinitions(tools: unknown): ToolDefinition[] {
  return listOf(tools)
    .filter(isFields)
    .map((tool) => {
      const type = stringOf(tool.type) ?? 'function';
      const definition = isFields(tool.function) ? tool.function : tool;
      const description = stringOf(definition.description);
      const parameters = firstDefined(definition.parameters, definition.input_schema);
      return {
        type,
        name: stringOf(definition.name) ?? type,
        ...(description !== undefined ? { description } : {}),
        ...(parameters !== undefined ? { parameters } : {}),
      };
    });
}
