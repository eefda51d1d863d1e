/**
 * Model calls every supported `ai` major version must record the same way, through the real
 * `generateText` / `streamText` and the SDK's own mock model of that version's specification:
 * a generated answer, a streamed one, usage present and absent, a stream aborted midway, a failed
 * call. The spans are read back from a real collector, signed, chained and verified there.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { textResult, textStreamParts } from '../../packages/ai-sdk/src/test-helpers/model-fixtures.js';
import { content, only } from '../support/landed-spans.js';
import type { AiSdkTestbed, AiUnderTest } from '../support/ai-sdk-testbed.js';

/** The record keeps OTLP's span kind numbering, where CLIENT is 3. */
const OTLP_SPAN_KIND_CLIENT = 3;

const usageAttributes = {
  'gen_ai.usage.input_tokens': 42,
  'gen_ai.usage.output_tokens': 7,
  'gen_ai.usage.cache_read.input_tokens': 30,
  'gen_ai.usage.cache_write.input_tokens': 5,
  'gen_ai.usage.reasoning.output_tokens': 3,
};

export function conformanceCalls(version: AiUnderTest, testbed: AiSdkTestbed): void {
  const { ai, MockLanguageModel } = version;
  const streaming = (chunks: readonly unknown[]) => new MockLanguageModel({ doStream: async () => ({ stream: ai.simulateReadableStream({ chunks: chunks as never[] }) }) });

  describe(`${version.label}: model calls`, () => {
    it('generateText: one CLIENT span "chat {model}" with request, response, usage and content', async () => {
      const recorded = testbed.agent();
      const model = ai.wrapLanguageModel({ model: new MockLanguageModel({ doGenerate: textResult('Order 1042 ships today.') }), middleware: recorded.middleware() });
      const result = await ai.generateText({ model, system: 'You are a support agent.', prompt: 'Where is order 1042?', temperature: 0.2, maxOutputTokens: 100 });
      expect(result.text).toBe('Order 1042 ships today.');

      const span = only(await recorded.agent.landed(), 'chat mock-model-id');
      expect(span.kind).toBe(OTLP_SPAN_KIND_CLIENT);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'mock-provider',
        'gen_ai.request.model': 'mock-model-id',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 100,
        'gen_ai.response.id': 'resp-text',
        'gen_ai.response.model': 'mock-model-2026-01',
        'gen_ai.response.finish_reasons': ['stop'],
        ...usageAttributes,
      });
      for (const absent of ['gen_ai.request.stream', 'gen_ai.system', 'gen_ai.usage.prompt_tokens', 'gen_ai.usage.cache_creation.input_tokens']) expect(span.attributes).not.toHaveProperty([absent]);
      expect(content(span, 'gen_ai.input.messages')).toEqual([
        { role: 'system', parts: [{ type: 'text', content: 'You are a support agent.' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }] },
      ]);
      expect(content(span, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ships today.' }], finish_reason: 'stop' }]);
    });

    it('generateText without usage from the provider: no usage attributes, not zeros', async () => {
      const recorded = testbed.agent();
      const model = ai.wrapLanguageModel({ model: new MockLanguageModel({ doGenerate: textResult('ok', { withUsage: false }) }), middleware: recorded.middleware() });
      await ai.generateText({ model, prompt: 'hi' });
      const span = only(await recorded.agent.landed(), 'chat mock-model-id');
      expect(Object.keys(span.attributes).filter((key) => key.startsWith('gen_ai.usage.'))).toEqual([]);
    });

    it('streamText: recorded when the stream ends, with usage, time to first chunk and outcome; the text arrives whole', async () => {
      const recorded = testbed.agent();
      const model = ai.wrapLanguageModel({ model: streaming(textStreamParts(['Order ', '1042 ', 'ships today.'])), middleware: recorded.middleware() });
      const result = ai.streamText({ model, prompt: 'Where is order 1042?' });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(text).toBe('Order 1042 ships today.');

      const span = only(await recorded.agent.landed(), 'chat mock-model-id');
      expect(span.attributes).toMatchObject({
        'gen_ai.request.stream': true,
        'gen_ai.response.id': 'resp-stream',
        'gen_ai.response.model': 'mock-model-2026-01',
        'gen_ai.response.finish_reasons': ['stop'],
        'facto.stream.outcome': 'completed',
        ...usageAttributes,
      });
      expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
      expect(content(span, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ships today.' }], finish_reason: 'stop' }]);
    });

    it('streamText without usage from the provider: no usage attributes', async () => {
      const recorded = testbed.agent();
      const model = ai.wrapLanguageModel({ model: streaming(textStreamParts(['ok'], { withUsage: false })), middleware: recorded.middleware() });
      await ai.streamText({ model, prompt: 'hi' }).consumeStream();
      const span = only(await recorded.agent.landed(), 'chat mock-model-id');
      expect(Object.keys(span.attributes).filter((key) => key.startsWith('gen_ai.usage.'))).toEqual([]);
      expect(span.attributes['facto.stream.outcome']).toBe('completed');
    });

    it('an aborted stream: recorded as aborted, an error, with what arrived before the abort', async () => {
      const recorded = testbed.agent();
      const abort = new AbortController();
      const model = ai.wrapLanguageModel({ model: streaming(textStreamParts(['Order ', '1042 ', 'ships ', 'today.'])), middleware: recorded.middleware() });
      const result = ai.streamText({ model, prompt: 'Where is order 1042?', abortSignal: abort.signal });
      let deltas = 0;
      const kinds: string[] = [];
      for await (const part of result.fullStream) {
        kinds.push(part.type);
        if (part.type === 'text-delta' && ++deltas === 2) abort.abort();
      }
      expect(kinds).toContain('abort');

      const span = only(await recorded.agent.landed(), 'chat mock-model-id');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({ 'facto.stream.outcome': 'aborted', 'error.type': 'AbortError', 'gen_ai.response.finish_reasons': ['error'] });
      expect(span.attributes).not.toHaveProperty(['gen_ai.usage.input_tokens']);
      expect(content(span, 'gen_ai.output.messages')[0].parts).toEqual([{ type: 'text', content: 'Order 1042 ' }]);
    });

    it('a failed call: an error span, and the caller gets the provider’s error', async () => {
      const recorded = testbed.agent();
      const failure = new Error('model overloaded');
      const model = ai.wrapLanguageModel({ model: new MockLanguageModel({ doGenerate: async () => Promise.reject(failure) }), middleware: recorded.middleware() });
      await expect(ai.generateText({ model, prompt: 'hi', maxRetries: 0 })).rejects.toThrow('model overloaded');
      const span = only(await recorded.agent.landed(), 'chat mock-model-id');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'model overloaded' });
      expect(span.events).toContain('exception');
    });

    it('capture "hashes": content is committed in the signed record but never leaves the process', async () => {
      const recorded = testbed.agent({ capture: 'hashes' });
      const model = ai.wrapLanguageModel({ model: new MockLanguageModel({ doGenerate: textResult('secret answer') }), middleware: recorded.middleware() });
      await ai.generateText({ model, prompt: 'secret question' });
      const span = only(await recorded.agent.landed(), 'chat mock-model-id');
      expect([...span.committed].sort()).toEqual(['gen_ai.input.messages', 'gen_ai.output.messages']);
      expect(JSON.stringify(span.attributes)).not.toContain('secret');
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(42);
    });
  });
}
