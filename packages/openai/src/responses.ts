/**
 * `responses.create` as a `chat {model}` span (the conventions' operation for a model turn). The
 * Responses API says how a response ended by its `status`, not per choice; it maps to the
 * conventions' finish reasons: completed is `tool_call` when the output calls a function and `stop`
 * otherwise, incomplete is `length` or `content_filter` as `incomplete_details` says, failed is
 * `error` (and the span an error of the response's error code). A stream always reports usage, in
 * its final `response.completed` event, whose response the stream recorder reads like a complete one.
 */
import { EARLY_END_FINISH_REASON, GEN_AI_OPERATIONS, textPart, type InferenceSpan } from '@facto/genai';
import type { OperationMapping, StreamRecorder } from './operation.js';
import { responsesInputMessages, responsesOutputParts, responsesToolDefinitions } from './response-items.js';
import { isObject, objectOf, objectsOf, stringOf, type WireObject } from './wire.js';

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export const responses: OperationMapping = {
  operation: GEN_AI_OPERATIONS.chat,
  start(body) {
    const conversation = body.conversation;
    // A conversation the provider keeps has an id of its own: that is the conversation id.
    return { model: stringOf(body.model), conversationId: stringOf(conversation) ?? stringOf(objectOf(conversation).id) };
  },
  request(span, body) {
    span.request({ temperature: body.temperature, maxTokens: body.max_output_tokens, topP: body.top_p, stream: body.stream });
    if (!span.capturesContent) return;
    const instructions = stringOf(body.instructions);
    span.input({
      messages: responsesInputMessages(body.input),
      systemInstructions: instructions ? [textPart(instructions)] : undefined,
      toolDefinitions: responsesToolDefinitions(body.tools),
    });
  },
  response: recordResponse,
  stream: (span) => new ResponseStreamRecorder(span),
};

function recordResponse(span: InferenceSpan, data: unknown): void {
  if (!isObject(data)) return;
  const finishReason = finishReasonOf(data);
  span.response({ model: data.model, id: data.id, finishReasons: [finishReason] });
  const usage = objectOf(data.usage);
  span.usage({
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheReadInputTokens: objectOf(usage.input_tokens_details).cached_tokens,
    reasoningOutputTokens: objectOf(usage.output_tokens_details).reasoning_tokens,
  });
  if (span.capturesContent) span.output([{ role: 'assistant', parts: responsesOutputParts(data.output), finish_reason: finishReason }]);
  if (data.status === 'failed') {
    const error = objectOf(data.error);
    span.fail({ message: stringOf(error.message) ?? 'the response failed' }, stringOf(error.code) ?? 'response_failed');
  }
}

function finishReasonOf(response: WireObject): string {
  switch (response.status) {
    case 'completed':
      return objectsOf(response.output).some((item) => item.type === 'function_call' || item.type === 'custom_tool_call') ? 'tool_call' : 'stop';
    case 'incomplete':
      return objectOf(response.incomplete_details).reason === 'content_filter' ? 'content_filter' : 'length';
    case 'failed':
    case 'cancelled':
      return EARLY_END_FINISH_REASON;
    default:
      return stringOf(response.status) ?? EARLY_END_FINISH_REASON;
  }
}

/**
 * The final event carries the whole response. A stream that ended before it (stopped, aborted,
 * failed) is recorded from what had arrived: the id and model of `response.created` and every
 * output item already `done`, with the finish reason `error`.
 */
class ResponseStreamRecorder implements StreamRecorder {
  readonly #span: InferenceSpan;
  readonly #items: WireObject[] = [];
  #started: WireObject | undefined;
  #final: WireObject | undefined;
  #error: WireObject | undefined;

  constructor(span: InferenceSpan) {
    this.#span = span;
  }

  add(event: unknown): void {
    if (!isObject(event)) return;
    const type = stringOf(event.type) ?? '';
    if (isObject(event.response)) {
      if (FINAL_EVENTS.has(type)) this.#final = event.response;
      else this.#started ??= event.response;
    }
    if (type === 'response.output_item.done' && isObject(event.item)) this.#items.push(event.item);
    if (type === 'error') this.#error = event;
  }

  finish(): void {
    if (this.#final) {
      recordResponse(this.#span, this.#final);
      return;
    }
    const started = this.#started ?? {};
    this.#span.response({ model: started.model, id: started.id, finishReasons: [EARLY_END_FINISH_REASON] });
    if (this.#span.capturesContent) this.#span.output([{ role: 'assistant', parts: responsesOutputParts(this.#items), finish_reason: EARLY_END_FINISH_REASON }]);
    if (this.#error) this.#span.fail({ message: stringOf(this.#error.message) ?? 'the stream reported an error' }, stringOf(this.#error.code) ?? 'stream_error');
  }
}
