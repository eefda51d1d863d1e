/**
 * The parts of the AI SDK's language-model specification this package reads, typed structurally so
 * that one middleware serves `ai` 6 (specification v3) and `ai` 7 (v4) without importing either's
 * types. Every field is optional or `unknown`: the real types of both versions are assignable to
 * these, and the code reads each value through a check before it records it, so a provider that
 * sends something unexpected loses that attribute, never the call.
 */

export interface ModelIdentity {
  /** The provider id, e.g. `openai.chat`, `anthropic.messages`. */
  readonly provider?: unknown;
  readonly modelId?: unknown;
}

export interface CallOptions {
  readonly prompt?: unknown;
  readonly maxOutputTokens?: unknown;
  readonly temperature?: unknown;
  readonly stopSequences?: unknown;
  readonly topP?: unknown;
  readonly presencePenalty?: unknown;
  readonly frequencyPenalty?: unknown;
  readonly seed?: unknown;
  readonly tools?: unknown;
  readonly abortSignal?: AbortSignal;
}

export interface GenerateResult {
  readonly content?: unknown;
  readonly finishReason?: unknown;
  readonly usage?: unknown;
  readonly response?: unknown;
}

export interface StreamResult {
  readonly stream: ReadableStream<unknown>;
}

/** What `wrapGenerate` receives, in both specification versions (the parts read here). */
export interface WrapGenerateOptions<Result extends GenerateResult> {
  readonly doGenerate: () => PromiseLike<Result>;
  readonly params: CallOptions;
  readonly model: ModelIdentity;
}

/** What `wrapStream` receives, in both specification versions (the parts read here). */
export interface WrapStreamOptions<Result extends StreamResult> {
  readonly doStream: () => PromiseLike<Result>;
  readonly params: CallOptions;
  readonly model: ModelIdentity;
}
