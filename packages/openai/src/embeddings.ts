/**
 * `embeddings.create` as an `embeddings {model}` span: the requested encoding format and dimension
 * count, the response model, and the input token count OpenAI reported. Embedding inputs are not
 * recorded as content: the conventions define no content attribute for them.
 */
import { GEN_AI_OPERATIONS } from '@facto/genai';
import type { OperationMapping } from './operation.js';
import { isObject, objectOf, stringOf } from './wire.js';

export const embeddings: OperationMapping = {
  operation: GEN_AI_OPERATIONS.embeddings,
  start: (body) => ({ model: stringOf(body.model) }),
  request(span, body) {
    span.request({ encodingFormats: body.encoding_format, dimensionCount: body.dimensions });
  },
  response(span, data) {
    if (!isObject(data)) return;
    span.response({ model: data.model });
    span.usage({ inputTokens: objectOf(data.usage).prompt_tokens });
  },
};
