/**
 * The span of one model call (`chat {model}`, `embeddings {model}`): request parameters, input and
 * output content, the response's model, id and finish reasons, the time to the first streamed
 * chunk, and token usage exactly as the provider reported it. Values come straight from untyped
 * request and response bodies, so each is checked: a value of the wrong type is left out, never
 * guessed, and usage the provider did not report is absent, not 0.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { COMMON_ATTRIBUTES, GEN_AI_ATTRIBUTES, STREAM_OUTCOME_ATTRIBUTE } from './conventions.js';
import { finiteNumber, GenAISpan, nonEmptyString, tokenCount } from './genai-span.js';
import type { InputMessage, MessagePart, OutputMessage, ToolDefinition } from './messages.js';

export interface InferenceRequest {
  readonly temperature?: unknown;
  readonly maxTokens?: unknown;
  readonly topP?: unknown;
  readonly frequencyPenalty?: unknown;
  readonly presencePenalty?: unknown;
  /** A string or a list of strings. */
  readonly stopSequences?: unknown;
  readonly seed?: unknown;
  /** Recorded only when it is not 1, as the conventions ask. */
  readonly choiceCount?: unknown;
  /** Recorded only when true. */
  readonly stream?: unknown;
  /** A string or a list of strings. */
  readonly encodingFormats?: unknown;
  readonly dimensionCount?: unknown;
}

export interface InferenceInput {
  readonly messages?: readonly InputMessage[];
  readonly systemInstructions?: readonly MessagePart[];
  readonly toolDefinitions?: readonly ToolDefinition[];
}

export interface InferenceResponse {
  readonly model?: unknown;
  readonly id?: unknown;
  /** One per choice, in choice order. */
  readonly finishReasons?: readonly string[];
}

export interface TokenUsage {
  /** All input tokens, cached ones included. */
  readonly inputTokens?: unknown;
  readonly outputTokens?: unknown;
  readonly cacheReadInputTokens?: unknown;
  readonly cacheWriteInputTokens?: unknown;
  readonly reasoningOutputTokens?: unknown;
}

/** How a streamed response ended; see STREAM_OUTCOME_ATTRIBUTE. */
export type StreamOutcome = 'completed' | 'stopped' | 'aborted' | 'failed';

const A = GEN_AI_ATTRIBUTES;

export class InferenceSpan extends GenAISpan {
  // A monotonic clock: the wall clock can jump between request and first chunk.
  readonly #startedAt = performance.now();
  #sawFirstChunk = false;

  request(request: InferenceRequest): void {
    this.guard('recording request parameters', () => {
      this.setAttribute(A.requestTemperature, finiteNumber(request.temperature));
      this.setAttribute(A.requestMaxTokens, tokenCount(request.maxTokens));
      this.setAttribute(A.requestTopP, finiteNumber(request.topP));
      this.setAttribute(A.requestFrequencyPenalty, finiteNumber(request.frequencyPenalty));
      this.setAttribute(A.requestPresencePenalty, finiteNumber(request.presencePenalty));
      this.setAttribute(A.requestStopSequences, stringList(request.stopSequences));
      this.setAttribute(A.requestSeed, finiteNumber(request.seed));
      const choices = tokenCount(request.choiceCount);
      this.setAttribute(A.requestChoiceCount, choices !== undefined && choices !== 1 ? choices : undefined);
      if (request.stream === true) this.span.setAttribute(A.requestStream, true);
      this.setAttribute(A.requestEncodingFormats, stringList(request.encodingFormats));
      this.setAttribute(A.embeddingsDimensionCount, tokenCount(request.dimensionCount));
    });
  }

  input(input: InferenceInput): void {
    this.guard('recording input content', () => {
      if (input.messages) this.setContent(A.inputMessages, input.messages);
      if (input.systemInstructions && input.systemInstructions.length > 0) this.setContent(A.systemInstructions, input.systemInstructions);
      if (input.toolDefinitions && input.toolDefinitions.length > 0) this.setContent(A.toolDefinitions, input.toolDefinitions);
    });
  }

  /** Call on every streamed chunk; only the first one counts. */
  firstChunk(): void {
    if (this.#sawFirstChunk) return;
    this.#sawFirstChunk = true;
    this.guard('recording the time to first chunk', () => {
      this.span.setAttribute(A.responseTimeToFirstChunk, Math.max(0, performance.now() - this.#startedAt) / 1000);
    });
  }

  response(response: InferenceResponse): void {
    this.guard('recording the response', () => {
      this.setAttribute(A.responseModel, nonEmptyString(response.model));
      this.setAttribute(A.responseId, nonEmptyString(response.id));
      if (response.finishReasons && response.finishReasons.length > 0) this.span.setAttribute(A.responseFinishReasons, [...response.finishReasons]);
    });
  }

  usage(usage: TokenUsage): void {
    this.guard('recording token usage', () => {
      this.setAttribute(A.usageInputTokens, tokenCount(usage.inputTokens));
      this.setAttribute(A.usageOutputTokens, tokenCount(usage.outputTokens));
      this.setAttribute(A.usageCacheReadInputTokens, tokenCount(usage.cacheReadInputTokens));
      this.setAttribute(A.usageCacheWriteInputTokens, tokenCount(usage.cacheWriteInputTokens));
      this.setAttribute(A.usageReasoningOutputTokens, tokenCount(usage.reasoningOutputTokens));
    });
  }

  /** One message per choice. */
  output(messages: readonly OutputMessage[]): void {
    this.guard('recording output content', () => this.setContent(A.outputMessages, messages));
  }

  /**
   * Says how a stream ended. An aborted stream is an error of type `abortErrorType` (the provider
   * client's name for a caller's abort, so one query finds aborts before and during a stream), unless
   * an error is already recorded.
   */
  streamEnded(outcome: StreamOutcome, abortErrorType = 'AbortError'): void {
    this.guard('recording how the stream ended', () => {
      this.span.setAttribute(STREAM_OUTCOME_ATTRIBUTE, outcome);
      if (outcome === 'aborted' && !this.failed) {
        this.span.setAttribute(COMMON_ATTRIBUTES.errorType, abortErrorType);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the stream was aborted by the caller' });
      }
    });
  }
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) return value as string[];
  return undefined;
}
