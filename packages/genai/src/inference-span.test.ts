import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createGenAIInstrumentation } from './instrumentation.js';
import { recordingProvider } from './test-helpers/recording-provider.js';

function setup(options: { captureContent?: boolean; maxContentBytes?: number } = {}) {
  const recording = recordingProvider();
  const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: recording.provider, ...options });
  return { recording, genai };
}

describe('InferenceSpan', () => {
  it('sets operation, provider, model and server at start, as a CLIENT span named "{operation} {model}"', () => {
    const { recording, genai } = setup();
    const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini', serverAddress: 'api.example.com', serverPort: 443 })!;
    inference.end();
    const span = recording.span('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'server.address': 'api.example.com',
      'server.port': 443,
    });
  });

  it('records request parameters of the right type only; stream only when true; choice count only when not 1', () => {
    const { recording, genai } = setup();
    const first = genai.startInference({ operation: 'chat', provider: 'openai', model: 'm1' })!;
    first.request({ temperature: 0.2, maxTokens: 256, topP: 1, stopSequences: 'END', seed: 7, choiceCount: 2, stream: true, frequencyPenalty: '0.5' });
    first.end();
    const second = genai.startInference({ operation: 'embeddings', provider: 'openai', model: 'm2' })!;
    second.request({ stream: false, choiceCount: 1, maxTokens: 2.5, encodingFormats: 'float', dimensionCount: 256 });
    second.end();
    expect(recording.span('chat m1').attributes).toMatchObject({
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.top_p': 1,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.seed': 7,
      'gen_ai.request.choice.count': 2,
      'gen_ai.request.stream': true,
    });
    expect(recording.span('chat m1').attributes['gen_ai.request.frequency_penalty']).toBeUndefined();
    const embeddings = recording.span('embeddings m2').attributes;
    expect(embeddings['gen_ai.request.stream']).toBeUndefined();
    expect(embeddings['gen_ai.request.choice.count']).toBeUndefined();
    expect(embeddings['gen_ai.request.max_tokens']).toBeUndefined();
    expect(embeddings).toMatchObject({ 'gen_ai.request.encoding_formats': ['float'], 'gen_ai.embeddings.dimension.count': 256 });
  });

  it('records usage the provider gave, 0 included, and leaves out what it did not give', () => {
    const { recording, genai } = setup();
    const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'm' })!;
    inference.usage({ inputTokens: 120, outputTokens: 0, cacheReadInputTokens: undefined, reasoningOutputTokens: null });
    inference.end();
    const attributes = recording.span('chat m').attributes;
    expect(attributes['gen_ai.usage.input_tokens']).toBe(120);
    expect(attributes['gen_ai.usage.output_tokens']).toBe(0);
    for (const absent of ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.reasoning.output_tokens']) expect(attributes).not.toHaveProperty(absent);
  });

  it('records response model, id, one finish reason per choice, and the time to first chunk once', () => {
    const { recording, genai } = setup();
    const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o' })!;
    inference.firstChunk();
    inference.firstChunk();
    inference.response({ model: 'gpt-4o-2024-08-06', id: 'chatcmpl-1', finishReasons: ['stop', 'length'] });
    inference.end();
    const attributes = recording.span('chat gpt-4o').attributes;
    expect(attributes).toMatchObject({ 'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.response.id': 'chatcmpl-1', 'gen_ai.response.finish_reasons': ['stop', 'length'] });
    expect(attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
    expect(attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
  });

  it('writes content as capped JSON strings, and none at all when content capture is off', () => {
    const messages = [{ role: 'user', parts: [{ type: 'text' as const, content: 'Where is order 1042?' }] }];
    const output = [{ role: 'assistant', parts: [{ type: 'text' as const, content: 'It ships today.' }], finish_reason: 'stop' }];
    for (const captureContent of [true, false]) {
      const { recording, genai } = setup({ captureContent });
      const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'm' })!;
      inference.input({ messages, systemInstructions: [{ type: 'text', content: 'Be brief.' }], toolDefinitions: [{ type: 'function', name: 'lookup_order' }] });
      inference.output(output);
      inference.end();
      const attributes = recording.span('chat m').attributes;
      if (captureContent) {
        expect(attributes['gen_ai.input.messages']).toBe(JSON.stringify(messages));
        expect(attributes['gen_ai.output.messages']).toBe(JSON.stringify(output));
        expect(attributes['gen_ai.system_instructions']).toBe('[{"type":"text","content":"Be brief."}]');
        expect(attributes['gen_ai.tool.definitions']).toBe('[{"type":"function","name":"lookup_order"}]');
      } else {
        expect(Object.keys(attributes).filter((key) => key.includes('messages') || key.includes('instructions') || key.includes('definitions'))).toEqual([]);
      }
    }
  });

  it('records an error with status, error.type and message, and a stream abort as such', () => {
    const { recording, genai } = setup();
    // As OpenAI's errors do, it carries a `code`, which the SDK would have taken for the exception's type.
    class RateLimitError extends Error {
      readonly code = 'rate_limit_exceeded';
    }
    const failing = genai.startInference({ operation: 'chat', provider: 'openai', model: 'a' })!;
    failing.fail(new RateLimitError('429 slow down'));
    failing.end();
    const aborted = genai.startInference({ operation: 'chat', provider: 'openai', model: 'b' })!;
    aborted.streamEnded('aborted', 'APIUserAbortError');
    aborted.end();
    const stopped = genai.startInference({ operation: 'chat', provider: 'openai', model: 'c' })!;
    stopped.streamEnded('stopped');
    stopped.end();
    expect(recording.span('chat a').status).toEqual({ code: SpanStatusCode.ERROR, message: '429 slow down' });
    expect(recording.span('chat a').attributes['error.type']).toBe('RateLimitError');
    expect(recording.span('chat a').events.map((event) => event.name)).toEqual(['exception']);
    expect(recording.span('chat a').events[0]!.attributes).toMatchObject({ 'exception.type': 'RateLimitError', 'exception.message': '429 slow down', 'exception.stacktrace': expect.stringContaining('inference-span.test.ts') });
    expect(recording.span('chat b').status.code).toBe(SpanStatusCode.ERROR);
    expect(recording.span('chat b').attributes).toMatchObject({ 'error.type': 'APIUserAbortError', 'facto.stream.outcome': 'aborted' });
    expect(recording.span('chat c').status.code).toBe(SpanStatusCode.UNSET);
    expect(recording.span('chat c').attributes).toMatchObject({ 'facto.stream.outcome': 'stopped' });
  });

  it('with content capture off, records an error without its message or stack, which can repeat the content', () => {
    const { recording, genai } = setup({ captureContent: false });
    class BadRequestError extends Error {}
    const failing = genai.startInference({ operation: 'chat', provider: 'openai', model: 'a' })!;
    failing.fail(new BadRequestError("Invalid value for 'content': my card is 4111 1111 1111 1111"));
    failing.end();
    const span = recording.span('chat a');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span.attributes['error.type']).toBe('BadRequestError');
    expect(span.events.map((event) => [event.name, event.attributes])).toEqual([['exception', { 'exception.type': 'BadRequestError' }]]);
  });

  it('ends once, and ignores recording after the end', () => {
    const { recording, genai } = setup();
    const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'm' })!;
    inference.end();
    inference.usage({ inputTokens: 5 });
    inference.end();
    expect(recording.spans()).toHaveLength(1);
    expect(recording.span('chat m').attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });
});
