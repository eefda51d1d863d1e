/**
 * Folds the chunks of a streamed chat completion into what a complete one would have said: text,
 * refusal, reasoning and an audio reply (transcript and data) appended per choice, tool-call deltas
 * merged by their `index` (a call's id and name come in its first delta, its arguments in pieces
 * after), the finish reason per choice, the first non-empty response id and model, and usage from
 * the final `choices: []` chunk when the caller asked for it. A choice the stream never finished
 * (the caller stopped, aborted, or the connection failed) gets the finish reason `error`, as the
 * conventions say for a stream that ended early.
 */
import { EARLY_END_FINISH_REASON, type InferenceSpan, type OutputMessage } from '@facto/genai';
import { StreamedAudio } from './chat-audio.js';
import { chatOutputMessage, toolCallPart } from './chat-messages.js';
import { recordChatUsage } from './chat-usage.js';
import { chatFinishReason } from './finish-reason.js';
import type { StreamRecorder } from './operation.js';
import { indexOf, isObject, nonEmptyStringOf, objectOf, objectsOf, stringOf } from './wire.js';

interface ToolCallState {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceState {
  role?: string;
  content: string;
  refusal: string;
  reasoning: string;
  readonly audio: StreamedAudio;
  readonly toolCalls: Map<number, ToolCallState>;
  finishReason?: string;
}

export class ChatStreamRecorder implements StreamRecorder {
  readonly #span: InferenceSpan;
  readonly #audioMimeType: string | undefined;
  readonly #choices = new Map<number, ChoiceState>();
  #id: string | undefined;
  #model: string | undefined;
  #usage: unknown;

  /** `audioMimeType`: the format the request asked an audio reply in. */
  constructor(span: InferenceSpan, audioMimeType?: string) {
    this.#span = span;
    this.#audioMimeType = audioMimeType;
  }

  add(chunk: unknown): void {
    if (!isObject(chunk)) return;
    // Azure OpenAI opens a stream with a prompt-filter chunk whose id and model are empty: the
    // response's own come in the chunks after it.
    this.#id ??= nonEmptyStringOf(chunk.id);
    this.#model ??= nonEmptyStringOf(chunk.model);
    if (isObject(chunk.usage)) this.#usage = chunk.usage;
    for (const choice of objectsOf(chunk.choices)) this.#addChoice(choice);
  }

  finish(): void {
    const choices = [...this.#choices.entries()].sort(([left], [right]) => left - right).map(([, choice]) => choice);
    const finishReasons = choices.map((choice) => choice.finishReason ?? EARLY_END_FINISH_REASON);
    this.#span.response({ id: this.#id, model: this.#model, finishReasons });
    recordChatUsage(this.#span, this.#usage);
    if (this.#span.capturesContent) this.#span.output(choices.map((choice, position) => this.#message(choice, finishReasons[position]!)));
  }

  #addChoice(choice: Readonly<Record<string, unknown>>): void {
    const index = indexOf(choice.index, 0);
    let state = this.#choices.get(index);
    if (!state) {
      state = { content: '', refusal: '', reasoning: '', audio: new StreamedAudio(this.#span.capturesContent), toolCalls: new Map() };
      this.#choices.set(index, state);
    }
    const delta = objectOf(choice.delta);
    state.role ??= stringOf(delta.role);
    state.content += stringOf(delta.content) ?? '';
    state.refusal += stringOf(delta.refusal) ?? '';
    state.reasoning += stringOf(delta.reasoning_content) ?? stringOf(delta.reasoning) ?? '';
    if (isObject(delta.audio)) state.audio.add(delta.audio);
    for (const call of objectsOf(delta.tool_calls)) {
      const callIndex = indexOf(call.index, state.toolCalls.size);
      let merged = state.toolCalls.get(callIndex);
      if (!merged) {
        merged = { name: '', arguments: '' };
        state.toolCalls.set(callIndex, merged);
      }
      merged.id ??= stringOf(call.id);
      merged.type ??= stringOf(call.type);
      const fn = objectOf(call.function);
      // The name arrives whole in the call's first delta; a server that repeats it must not double it.
      if (!merged.name) merged.name = stringOf(fn.name) ?? '';
      merged.arguments += stringOf(fn.arguments) ?? '';
    }
    const finishReason = chatFinishReason(choice.finish_reason);
    if (finishReason) state.finishReason = finishReason;
  }

  #message(choice: ChoiceState, finishReason: string): OutputMessage {
    const message = chatOutputMessage(
      {
        role: choice.role ?? 'assistant',
        content: choice.content || undefined,
        refusal: choice.refusal || undefined,
        reasoning_content: choice.reasoning || undefined,
      },
      finishReason,
      choice.audio.parts(this.#audioMimeType),
    );
    const calls = [...choice.toolCalls.entries()].sort(([left], [right]) => left - right);
    return { ...message, parts: [...message.parts, ...calls.map(([, call]) => toolCallPart({ id: call.id, type: call.type, function: { name: call.name, arguments: call.arguments } }))] };
  }
}
