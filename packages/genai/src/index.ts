export {
  COMMON_ATTRIBUTES,
  EARLY_END_FINISH_REASON,
  GEN_AI_ATTRIBUTES,
  GEN_AI_CONTENT_KEYS,
  GEN_AI_OPERATIONS,
  STREAM_OUTCOME_ATTRIBUTE,
  spanName,
} from './conventions.js';
export {
  parseJsonText,
  textPart,
  type BlobPart,
  type FilePart,
  type GenericPart,
  type InputMessage,
  type MessagePart,
  type Modality,
  type OutputMessage,
  type ReasoningPart,
  type TextPart,
  type ToolCallPart,
  type ToolCallResponsePart,
  type ToolDefinition,
  type UriPart,
} from './messages.js';
export { blobFromBase64, blobFromBytes, blobFromDataUrl, mediaPart, modalityOf, type MediaSource } from './blob.js';
export { conventionFinishReason } from './finish-reasons.js';
export { toJsonSafe } from './json-safe.js';
export { DEFAULT_MAX_CONTENT_BYTES, MIN_MAX_CONTENT_BYTES, toCappedJson } from './capped-json.js';
export {
  addInferenceActiveCheck,
  INFERENCE_ACTIVE_KEY,
  isInferenceActive,
  markInferenceActive,
  type AgentScope,
  type InferenceActiveCheck,
} from './genai-context.js';
export { createFailureReporter, type FailureReporter } from './failure-reporter.js';
export { errorTypeOf, GenAISpan } from './genai-span.js';
export { InferenceSpan, type InferenceInput, type InferenceRequest, type InferenceResponse, type StreamOutcome, type TokenUsage } from './inference-span.js';
export { ToolSpan } from './tool-span.js';
export {
  createGenAIInstrumentation,
  type AgentStart,
  type GenAIInstrumentation,
  type GenAIInstrumentationOptions,
  type InferenceStart,
  type InstrumentationScope,
  type ToolStart,
} from './instrumentation.js';
