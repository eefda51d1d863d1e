import { context, diag, trace, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isInferenceActive, markInferenceActive } from './genai-context.js';
import { createGenAIInstrumentation } from './instrumentation.js';
import { recordingProvider, useAsyncContext } from './test-helpers/recording-provider.js';

let removeContext: () => void;
beforeAll(() => {
  removeContext = useAsyncContext();
});
afterAll(() => removeContext());
afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
});

/** A provider whose spans throw from every method but spanContext: instrumentation that breaks. */
function brokenProvider(): TracerProvider {
  const real = recordingProvider().provider;
  return {
    getTracer(name, version) {
      const tracer = real.getTracer(name, version);
      return {
        startSpan(spanName, options, parent) {
          const span = tracer.startSpan(spanName, options, parent);
          return new Proxy(span, {
            get(target, property) {
              if (property === 'spanContext') return target.spanContext.bind(target);
              return () => {
                throw new Error(`span.${String(property)} is broken`);
              };
            },
          }) as Span;
        },
      } as Tracer;
    },
  };
}

describe('createGenAIInstrumentation', () => {
  it('checks its inputs where they are given', () => {
    expect(() => createGenAIInstrumentation({ name: '' })).toThrow(TypeError);
    expect(() => createGenAIInstrumentation({ name: 'x' }, { maxContentBytes: 100 })).toThrow(RangeError);
    expect(() => createGenAIInstrumentation({ name: 'x' }, { captureContent: 'yes' as never })).toThrow(/captureContent/);
    expect(() => createGenAIInstrumentation({ name: 'x' }, { tracerProvider: {} as never })).toThrow(/getTracer/);
  });

  it('nests tool and inference spans under an agent span, which names the agent on the inference span from its start', async () => {
    const recording = recordingProvider();
    const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: recording.provider });
    const answer = await genai.runAgent({ name: 'refund-agent', conversationId: 'thread-7' }, async () => {
      const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o' })!;
      inference.end();
      return genai.runTool({ name: 'lookup_order', callId: 'call_1', type: 'function', arguments: '{"order":1042}' }, async () => ({ status: 'shipped' }));
    });
    expect(answer).toEqual({ status: 'shipped' });
    const agent = recording.span('invoke_agent refund-agent');
    const chat = recording.span('chat gpt-4o');
    const tool = recording.span('execute_tool lookup_order');
    expect(chat.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    expect(tool.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    expect(agent.attributes).toEqual({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'refund-agent', 'gen_ai.conversation.id': 'thread-7' });
    expect(chat.attributes).toMatchObject({ 'gen_ai.agent.name': 'refund-agent', 'gen_ai.conversation.id': 'thread-7' });
    expect(tool.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.arguments': '{"order":1042}',
      'gen_ai.tool.call.result': '{"status":"shipped"}',
    });
  });

  it('names a nameless agent span plain "invoke_agent"', async () => {
    const recording = recordingProvider();
    const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: recording.provider });
    await genai.runAgent({}, () => 1);
    expect(recording.spans().map((span) => span.name)).toEqual(['invoke_agent']);
  });

  it('starts no second inference span while one is active, and marks its own context', () => {
    const recording = recordingProvider();
    const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: recording.provider });
    const outer = genai.startInference({ operation: 'chat', provider: 'langchain', model: 'gpt-4o' })!;
    expect(isInferenceActive(outer.context)).toBe(true);
    expect(genai.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, outer.context)).toBeUndefined();
    expect(context.with(outer.context, () => genai.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }))).toBeUndefined();
    expect(genai.startInference({ operation: 'chat', provider: 'openai', model: 'x' }, markInferenceActive(context.active()))).toBeUndefined();
    outer.end();
    expect(recording.spans()).toHaveLength(1);
  });

  it('re-throws the tool’s own error unchanged and records it', async () => {
    const recording = recordingProvider();
    const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: recording.provider });
    const error = new TypeError('order not found');
    await expect(genai.runTool({ name: 'lookup_order' }, () => Promise.reject(error))).rejects.toBe(error);
    expect(recording.span('execute_tool lookup_order').attributes['error.type']).toBe('TypeError');
  });

  it('finds the global tracer provider at span start, so setting it up later still records', async () => {
    const genai = createGenAIInstrumentation({ name: '@facto/test' });
    const recording = recordingProvider();
    trace.setGlobalTracerProvider(recording.provider);
    await genai.runTool({ name: 'late' }, () => 'ok');
    expect(recording.spans().map((span) => span.name)).toEqual(['execute_tool late']);
  });

  it('never breaks the host: broken spans leave results and errors as they were, reported once', async () => {
    const reported = vi.spyOn(diag, 'error').mockImplementation(() => undefined);
    vi.spyOn(diag, 'debug').mockImplementation(() => undefined);
    const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: brokenProvider() });
    expect(await genai.runAgent({ name: 'a' }, () => genai.runTool({ name: 't', arguments: { x: 1 } }, () => 42))).toBe(42);
    const error = new Error('tool failed');
    await expect(genai.runTool({ name: 't' }, () => { throw error; })).rejects.toBe(error);
    const inference = genai.startInference({ operation: 'chat', provider: 'openai', model: 'm' })!;
    inference.request({ temperature: 1 });
    inference.usage({ inputTokens: 1 });
    inference.end();
    const count = reported.mock.calls.length;
    expect(count).toBeGreaterThan(0);
    await genai.runTool({ name: 't', arguments: { x: 1 } }, () => 42);
    expect(reported.mock.calls.length).toBe(count);
    expect(reported.mock.calls.every(([message]) => String(message).startsWith('@facto/test: '))).toBe(true);
  });

  it('runs the function unrecorded when the tracer itself fails', async () => {
    vi.spyOn(diag, 'error').mockImplementation(() => undefined);
    const genai = createGenAIInstrumentation({ name: '@facto/test' }, { tracerProvider: { getTracer: () => { throw new Error('no tracer'); } } });
    let calls = 0;
    expect(await genai.runTool({ name: 't' }, () => ++calls)).toBe(1);
    expect(genai.startInference({ operation: 'chat', provider: 'openai' })).toBeUndefined();
    expect(calls).toBe(1);
  });
});
