/**
 * Folds the parts of a streamed model call into what a generate result would have said: text and
 * reasoning deltas joined per block id, in the order the blocks began; complete items (tool calls,
 * provider-executed tool results, files, sources) kept where they arrived; response id and model
 * from `response-metadata`; usage and finish reason from `finish`. Parts it does not know (v4's
 * `ping`, a provider's own) are ignored here and pass through to the caller untouched. A stream that
 * ends without a `finish` part gets the finish reason `error`, as the conventions say for a stream
 * that ended early.
 */
import { EARLY_END_FINISH_REASON, type InferenceSpan } from '@facto/genai';
import { finishReasonOf, outputMessage, tokenUsageOf } from './model-output.js';
import { isObject, stringOf, type Fields } from './values.js';

/** Stream parts that describe the call rather than carry its answer: they do not count as its first chunk. */
const METADATA_PARTS = new Set(['stream-start', 'response-metadata', 'finish', 'raw', 'ping', 'error']);

// A type alias, not an interface, so that a block is also a plain content item (`Fields`).
type Block = { readonly type: 'text' | 'reasoning'; text: string };

export class StreamRecorder {
  readonly #span: InferenceSpan;
  /** Content in arrival order: text and reasoning blocks (filled as their deltas arrive) and complete items. */
  readonly #content: Fields[] = [];
  readonly #blocks = new Map<string, Block>();
  #response: Fields = {};
  #finish: Fields | undefined;
  #error: { readonly value: unknown } | undefined;

  constructor(span: InferenceSpan) {
    this.#span = span;
  }

  /** The error an `error` part carried, if one came. */
  get error(): { readonly value: unknown } | undefined {
    return this.#error;
  }

  add(part: unknown): void {
    if (!isObject(part)) return;
    const type = stringOf(part.type);
    if (type === undefined) return;
    if (!METADATA_PARTS.has(type)) this.#span.firstChunk();
    switch (type) {
      case 'text-start':
      case 'reasoning-start':
        this.#block(type === 'text-start' ? 'text' : 'reasoning', part.id);
        break;
      case 'text-delta':
      case 'reasoning-delta':
        this.#block(type === 'text-delta' ? 'text' : 'reasoning', part.id).text += stringOf(part.delta) ?? '';
        break;
      case 'tool-call':
      case 'tool-result':
      case 'file':
      case 'source':
        this.#content.push(part);
        break;
      case 'response-metadata':
        this.#response = { id: part.id ?? this.#response.id, modelId: part.modelId ?? this.#response.modelId };
        break;
      case 'finish':
        this.#finish = part;
        break;
      case 'error':
        this.#error ??= { value: part.error };
        break;
    }
  }

  /** Records what the stream delivered, however it ended. */
  finish(): void {
    const finishReason = this.#finish ? finishReasonOf(this.#finish.finishReason) : undefined;
    const reason = finishReason ?? EARLY_END_FINISH_REASON;
    this.#span.response({ id: this.#response.id, model: this.#response.modelId, finishReasons: [reason] });
    if (this.#finish) this.#span.usage(tokenUsageOf(this.#finish.usage));
    if (!this.#span.capturesContent) return;
    this.#span.output([outputMessage(this.#content, reason)]);
  }

  #block(type: Block['type'], id: unknown): Block {
    const key = `${type}:${typeof id === 'string' ? id : ''}`;
    let block = this.#blocks.get(key);
    if (!block) {
      block = { type, text: '' };
      this.#blocks.set(key, block);
      this.#content.push(block);
    }
    return block;
  }
}
