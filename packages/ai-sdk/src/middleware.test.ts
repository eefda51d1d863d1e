import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { generateText, simulateReadableStream, streamText, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { factoMiddleware } from './middleware.js';
import { textResult, textStreamParts, usage } from './test-helpers/model-fixtures.js';
import { captureDiag, recording, useAsyncContext } from './test-helpers/recording.js';

let removeContext: () => void;
beforeAll(() => (removeContext = useAsyncContext()));
afterAll(() => removeContext());
afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
});

const recordedUsage = {
  'gen_ai.usage.input_tokens': 42,
  'gen_ai.usage.output_tokens': 7,
  'gen_ai.usage.cache_read.input_tokens': 30,
  'gen_ai.usage.cache_write.input_tokens': 5,
  'gen_ai.usage.reasoning.output_tokens': 3,
};

function streamingModel(chunks: readonly unknown[]) {
  return new MockLanguageModelV3({ doStream: async () => ({ stream: simulateReadableStream({ chunks: chunks as never[] }) }) });
}

describe('factoMiddleware on ai 6 (specification v3)', () => {
  it('records a generated answer: request, response, usage, prompt and output', async () => {
    const { provider, span, content } = recording();
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: textResult('Order 1042 ships today.') }), middleware: factoMiddleware({ tracerProvider: provider }) });
    const result = await generateText({ model, system: 'You are a support agent.', prompt: 'Where is order 1042?', temperature: 0.2, maxOutputTokens: 100, topP: 0.9, seed: 7 });
    expect(result.text).toBe('Order 1042 ships today.');

    const chat = span('chat mock-model-id');
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mock-provider',
      'gen_ai.request.model': 'mock-model-id',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.seed': 7,
      'gen_ai.response.id': 'resp-text',
      'gen_ai.response.model': 'mock-model-2026-01',
      'gen_ai.response.finish_reasons': ['stop'],
      ...recordedUsage,
    });
    for (const absent of ['gen_ai.request.stream', 'gen_ai.response.time_to_first_chunk', 'facto.stream.outcome']) expect(chat.attributes).not.toHaveProperty([absent]);
    expect(content(chat, 'gen_ai.input.messages')).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a support agent.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }] },
    ]);
    expect(content(chat, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ships today.' }], finish_reason: 'stop' }]);
  });

  it('leaves usage out when the provider reported none, rather than writing 0', async () => {
    const { provider, span } = recording();
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: textResult('ok', { withUsage: false }) }), middleware: factoMiddleware({ tracerProvider: provider }) });
    await generateText({ model, prompt: 'hi' });
    const attributes = Object.keys(span('chat mock-model-id').attributes);
    expect(attributes.filter((key) => key.startsWith('gen_ai.usage.'))).toEqual([]);
  });

  it('records a stream when it ends, with the time to its first chunk, and passes its text through', async () => {
    const { provider, span, content } = recording();
    const model = wrapLanguageModel({ model: streamingModel(textStreamParts(['Order ', '1042 ', 'ships today.'])), middleware: factoMiddleware({ tracerProvider: provider }) });
    const result = streamText({ model, prompt: 'Where is order 1042?' });
    expect(await result.text).toBe('Order 1042 ships today.');

    const chat = span('chat mock-model-id');
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'resp-stream',
      'gen_ai.response.model': 'mock-model-2026-01',
      'gen_ai.response.finish_reasons': ['stop'],
      'facto.stream.outcome': 'completed',
      ...recordedUsage,
    });
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThanOrEqual(0);
    expect(content(chat, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ships today.' }], finish_reason: 'stop' }]);
  });

  it('hands every part on as the same object, unknown parts included, and records the stream once', async () => {
    const { provider, spans } = recording();
    const parts = [...textStreamParts(['a', 'b']).slice(0, 3), { type: 'ping' }, { type: 'x-provider-event', payload: { n: 1 } }, ...textStreamParts(['a', 'b']).slice(3)];
    const model = wrapLanguageModel({ model: streamingModel(parts), middleware: factoMiddleware({ tracerProvider: provider }) });
    const { stream } = await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    const received: unknown[] = [];
    for await (const part of stream as unknown as AsyncIterable<unknown>) received.push(part);
    expect(received).toHaveLength(parts.length);
    received.forEach((part, index) => expect(part).toBe(parts[index]));
    expect(spans().map((span) => span.name)).toEqual(['chat mock-model-id']);
  });

  it('gives each part to the reader as soon as the model sends it, without waiting for the next', async () => {
    const { provider } = recording();
    let source!: ReadableStreamDefaultController<unknown>;
    const model = wrapLanguageModel({
      model: new MockLanguageModelV3({ doStream: async () => ({ stream: new ReadableStream({ start: (controller) => void (source = controller) }) }) }),
      middleware: factoMiddleware({ tracerProvider: provider }),
    });
    const { stream } = await model.doStream({ prompt: [] });
    const reader = stream.getReader();
    const [first, second] = textStreamParts(['only']);
    source.enqueue(first);
    expect((await reader.read()).value).toBe(first);
    source.enqueue(second);
    expect((await reader.read()).value).toBe(second);
    await reader.cancel();
  });

  it('records an aborted stream as aborted, with what arrived before the abort', async () => {
    const { provider, span, content } = recording();
    const abort = new AbortController();
    const model = wrapLanguageModel({ model: streamingModel(textStreamParts(['Order ', '1042 ', 'ships ', 'today.'])), middleware: factoMiddleware({ tracerProvider: provider }) });
    const result = streamText({ model, prompt: 'Where is order 1042?', abortSignal: abort.signal });
    const seen: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') seen.push(part.text);
      if (seen.length === 2) abort.abort();
    }
    const chat = span('chat mock-model-id');
    expect(chat.attributes).toMatchObject({ 'facto.stream.outcome': 'aborted', 'error.type': 'AbortError', 'gen_ai.response.finish_reasons': ['error'] });
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes).not.toHaveProperty(['gen_ai.usage.input_tokens']);
    expect(content(chat, 'gen_ai.output.messages')[0].parts).toEqual([{ type: 'text', content: 'Order 1042 ' }]);
  });

  it('records a stream its reader cancelled as stopped, not as an error', async () => {
    const { provider, span } = recording();
    const model = wrapLanguageModel({ model: streamingModel(textStreamParts(['a', 'b', 'c'])), middleware: factoMiddleware({ tracerProvider: provider }) });
    const { stream } = await model.doStream({ prompt: [] });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel('enough');
    const chat = span('chat mock-model-id');
    expect(chat.attributes['facto.stream.outcome']).toBe('stopped');
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records a stream that failed midway as failed, and the reader gets the source’s own error', async () => {
    const { provider, span } = recording();
    const failure = new TypeError('connection reset');
    let sent = 0;
    const model = wrapLanguageModel({
      model: new MockLanguageModelV3({
        doStream: async () => ({
          stream: new ReadableStream(
            {
              pull(controller) {
                if (sent++ === 0) controller.enqueue(textStreamParts(['a'])[0]);
                else controller.error(failure);
              },
            },
            { highWaterMark: 0 },
          ),
        }),
      }),
      middleware: factoMiddleware({ tracerProvider: provider }),
    });
    const { stream } = await model.doStream({ prompt: [] });
    const reader = stream.getReader();
    await reader.read();
    await expect(reader.read()).rejects.toBe(failure);
    const chat = span('chat mock-model-id');
    expect(chat.attributes).toMatchObject({ 'facto.stream.outcome': 'failed', 'error.type': 'TypeError' });
    expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection reset' });
  });

  it('records a failed call as an error and gives the caller the provider’s own error', async () => {
    const { provider, span } = recording();
    class APICallError extends Error {
      override name = 'AI_APICallError';
    }
    const failure = new APICallError('rate limited');
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: async () => Promise.reject(failure) }), middleware: factoMiddleware({ tracerProvider: provider }) });
    await expect(model.doGenerate({ prompt: [] })).rejects.toBe(failure);
    const chat = span('chat mock-model-id');
    expect(chat.attributes['error.type']).toBe('AI_APICallError');
    expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  });

  it('keeps content out at the source when captureContent is false', async () => {
    const { provider, span } = recording();
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: textResult('secret answer') }), middleware: factoMiddleware({ tracerProvider: provider, captureContent: false }) });
    await generateText({ model, prompt: 'secret question' });
    const attributes = span('chat mock-model-id').attributes;
    expect(Object.keys(attributes).filter((key) => key.includes('messages'))).toEqual([]);
    expect(attributes['gen_ai.usage.input_tokens']).toBe(usage.inputTokens.total);
  });

  it('names the provider by the conventions, or as the caller says', async () => {
    const { provider, spans } = recording();
    const mock = new MockLanguageModelV3({ provider: 'amazon-bedrock', modelId: 'claude', doGenerate: textResult('ok') });
    await generateText({ model: wrapLanguageModel({ model: mock, middleware: factoMiddleware({ tracerProvider: provider }) }), prompt: 'hi' });
    await generateText({ model: wrapLanguageModel({ model: mock, middleware: factoMiddleware({ tracerProvider: provider, providerName: 'anthropic' }) }), prompt: 'hi' });
    expect(spans().map((span) => span.attributes['gen_ai.provider.name'])).toEqual(['aws.bedrock', 'anthropic']);
  });

  it('looks the tracer up at each call, so a middleware made before the provider is registered still records', async () => {
    const middleware = factoMiddleware();
    const { provider, span } = recording();
    trace.setGlobalTracerProvider(provider);
    await generateText({ model: wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: textResult('ok') }), middleware }), prompt: 'hi' });
    expect(span('chat mock-model-id').attributes['gen_ai.response.id']).toBe('resp-text');
  });

  it('never breaks the call: a broken tracer is reported once and the model’s result comes back as it was', async () => {
    const diagnostics = captureDiag();
    const broken = { getTracer: () => ({ startSpan: () => { throw new Error('tracer down'); } }) } as never;
    const answer = textResult('still answered');
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: answer }), middleware: factoMiddleware({ tracerProvider: broken }) });
    const first = await model.doGenerate({ prompt: [] });
    await model.doGenerate({ prompt: [] });
    expect(first).toBe(answer);
    expect(diagnostics.errors).toHaveLength(1);
    expect(diagnostics.errors[0]).toContain('tracer down');
  });

  it('rejects options of the wrong type with a clear error', () => {
    expect(() => factoMiddleware({ providerName: '' })).toThrow(/providerName must be a non-empty string/);
    expect(() => factoMiddleware({ recordInsideSdkTelemetry: 'yes' as never })).toThrow(/recordInsideSdkTelemetry must be a boolean/);
    expect(() => factoMiddleware({ captureContent: 1 as never })).toThrow(/captureContent must be a boolean/);
  });
});
