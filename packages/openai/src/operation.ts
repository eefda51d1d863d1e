/**
 * The contract between the generic instrumented `create` and one OpenAI endpoint (chat completions,
 * responses, embeddings): what to read before the span starts, what to record of the request, of a
 * complete response, and of a streamed one. A mapping only reads and records; calling the client,
 * keeping its API whole and ending the span are the instrumented create's job.
 */
import type { InferenceSpan } from '@facto/genai';
import type { WireObject } from './wire.js';

export interface CallSettings {
  /** `gen_ai.provider.name`. */
  readonly providerName: string;
  /** Ask for usage on streamed chat completions when the caller did not say. */
  readonly injectStreamUsage: boolean;
}

export interface StreamRecorder {
  /** One streamed item, as the client yields it. */
  add(item: unknown): void;
  /** Records what the stream delivered, however it ended. */
  finish(): void;
}

export interface OperationMapping {
  /** `gen_ai.operation.name`. */
  readonly operation: string;
  /** Read before the span starts, so samplers see them. */
  start(body: WireObject): { readonly model?: string; readonly conversationId?: string };
  /** The body to send: the caller's own, or a copy with what the settings add. */
  prepare?(body: WireObject, settings: CallSettings): WireObject;
  request(span: InferenceSpan, body: WireObject): void;
  /** `body` is the request as sent: what it asked for can shape what the response means. */
  response(span: InferenceSpan, data: unknown, body: WireObject): void;
  stream?(span: InferenceSpan, body: WireObject): StreamRecorder;
}
