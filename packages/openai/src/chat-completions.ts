/**
 * `chat.completions.create` as a `chat {model}` span: request parameters, the messages and tools
 * sent, one output message and one finish reason per choice (in the conventions' spelling, so
 * OpenAI's `tool_calls` is `tool_call`), an audio reply named in the format the request asked for,
 * and usage as OpenAI reported it (`prompt_tokens` is already the total input, cached tokens
 * included, as the conventions want). Usage on a stream exists only when the caller asked for it
 * with `stream_options.include_usage`; the `injectStreamUsage` setting asks on the caller's behalf.
 */
import { EARLY_END_FINISH_REASON, GEN_AI_OPERATIONS } from '@facto/genai';
import { audioMimeType, audioParts } from './chat-audio.js';
import { chatInputMessages, chatOutputMessage, chatToolDefinitions } from './chat-messages.js';
import { ChatStreamRecorder } from './chat-stream.js';
import { recordChatUsage } from './chat-usage.js';
import { chatFinishReason } from './finish-reason.js';
import type { OperationMapping } from './operation.js';
import { indexOf, isObject, objectOf, objectsOf, stringOf } from './wire.js';

export const chatCompletions: OperationMapping = {
  operation: GEN_AI_OPERATIONS.chat,
  start: (body) => ({ model: stringOf(body.model) }),
  prepare(body, settings) {
    if (!settings.injectStreamUsage || body.stream !== true) return body;
    const streamOptions = objectOf(body.stream_options);
    // The caller's own choice, either way, stands.
    if (streamOptions.include_usage !== undefined) return body;
    return { ...body, stream_options: { ...streamOptions, include_usage: true } };
  },
  request(span, body) {
    span.request({
      temperature: body.temperature,
      maxTokens: body.max_completion_tokens ?? body.max_tokens,
      topP: body.top_p,
      frequencyPenalty: body.frequency_penalty,
      presencePenalty: body.presence_penalty,
      stopSequences: body.stop,
      seed: body.seed,
      choiceCount: body.n,
      stream: body.stream,
    });
    if (span.capturesContent) span.input({ messages: chatInputMessages(body.messages), toolDefinitions: chatToolDefinitions(body.tools) });
  },
  response(span, data, body) {
    if (!isObject(data)) return;
    const choices = objectsOf(data.choices).sort((left, right) => indexOf(left.index, 0) - indexOf(right.index, 0));
    const finishReasons = choices.map((choice) => chatFinishReason(choice.finish_reason) ?? EARLY_END_FINISH_REASON);
    span.response({ model: data.model, id: data.id, finishReasons });
    recordChatUsage(span, data.usage);
    if (!span.capturesContent) return;
    const mimeType = audioMimeType(body);
    span.output(choices.map((choice, position) => chatOutputMessage(choice.message, finishReasons[position]!, audioParts(objectOf(choice.message).audio, mimeType))));
  },
  stream: (span, body) => new ChatStreamRecorder(span, audioMimeType(body)),
};
