import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { generateText, stepCountIs, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { factoMiddleware } from './middleware.js';
import { textResult, toolCallResult } from './test-helpers/model-fixtures.js';
import { recording, useAsyncContext } from './test-helpers/recording.js';
import { factoTools } from './tools.js';

let removeContext: () => void;
beforeAll(() => (removeContext = useAsyncContext()));
afterAll(() => removeContext());
afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
});

const orders = { 1042: { order: 1042, status: 'shipped' } } as Record<number, unknown>;

describe('factoTools on ai 6', () => {
  it('records each tool run with its call id, arguments and result, in a multi-step call', async () => {
    const { provider, spans, span, content } = recording();
    const model = wrapLanguageModel({
      model: new MockLanguageModelV3({ doGenerate: [toolCallResult('call-1042', 'lookup_order', { order: 1042 }), textResult('Order 1042 has shipped.')] }),
      middleware: factoMiddleware({ tracerProvider: provider }),
    });
    const tools = factoTools(
      { lookup_order: tool({ description: 'Finds an order', inputSchema: z.object({ order: z.number() }), execute: async ({ order }) => orders[order] }) },
      { tracerProvider: provider },
    );
    const result = await generateText({ model, tools, prompt: 'Where is order 1042?', stopWhen: stepCountIs(3) });
    expect(result.text).toBe('Order 1042 has shipped.');

    expect(spans().map((span) => span.name)).toEqual(['chat mock-model-id', 'execute_tool lookup_order', 'chat mock-model-id']);
    const execution = span('execute_tool lookup_order');
    expect(execution.kind).toBe(SpanKind.INTERNAL);
    expect(execution.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 'call-1042',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.description': 'Finds an order',
    });
    expect(content(execution, 'gen_ai.tool.call.arguments')).toEqual({ order: 1042 });
    expect(content(execution, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped' });
    const [first, second] = spans().filter((span) => span.name === 'chat mock-model-id');
    expect(first!.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
    expect(content(first!, 'gen_ai.output.messages')[0].parts).toEqual([{ type: 'tool_call', id: 'call-1042', name: 'lookup_order', arguments: { order: 1042 } }]);
    expect(content(second!, 'gen_ai.input.messages').at(-1)).toEqual({ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call-1042', response: { order: 1042, status: 'shipped' } }] });
  });

  it('records a tool that throws as an error span; the SDK gets the tool’s own error', async () => {
    const { provider, span } = recording();
    const failure = new RangeError('order 99 does not exist');
    const model = new MockLanguageModelV3({ doGenerate: [toolCallResult('call-99', 'lookup_order', { order: 99 }), textResult('No such order.')] });
    const tools = factoTools(
      {
        lookup_order: tool({
          inputSchema: z.object({ order: z.number() }),
          execute: async (): Promise<unknown> => {
            throw failure;
          },
        }),
      },
      { tracerProvider: provider },
    );
    const result = await generateText({ model, tools, prompt: 'Where is order 99?', stopWhen: stepCountIs(3) });
    expect(result.steps[0]!.content.find((part) => part.type === 'tool-error')).toMatchObject({ error: failure });

    const execution = span('execute_tool lookup_order');
    expect(execution.status).toEqual({ code: SpanStatusCode.ERROR, message: 'order 99 does not exist' });
    expect(execution.attributes).toMatchObject({ 'error.type': 'RangeError', 'gen_ai.tool.call.id': 'call-99' });
    expect(execution.attributes).not.toHaveProperty(['gen_ai.tool.call.result']);
  });

  it('runs the tool inside its span, so spans the tool makes nest under it', async () => {
    const { provider, span } = recording();
    const tools = factoTools(
      {
        lookup_order: tool({
          inputSchema: z.object({ order: z.number() }),
          execute: async ({ order }) => {
            await Promise.resolve();
            provider.getTracer('order-service').startSpan('GET /orders').end();
            return orders[order];
          },
        }),
      },
      { tracerProvider: provider },
    );
    await generateText({ model: new MockLanguageModelV3({ doGenerate: [toolCallResult('call-1', 'lookup_order', { order: 1042 }), textResult('ok')] }), tools, prompt: 'x', stopWhen: stepCountIs(2) });
    expect(span('GET /orders').parentSpanContext?.spanId).toBe(span('execute_tool lookup_order').spanContext().spanId);
  });

  it('returns what execute returned, in the same form: a value, a promise, a stream of preliminary results', async () => {
    const { provider, spans, content } = recording();
    const tools = factoTools(
      {
        now: { execute: (_input: unknown, _options: unknown) => 'noon' },
        later: { execute: async (_input: unknown, _options: unknown) => 'dusk' },
        progress: {
          async *execute() {
            yield { percent: 50 };
            provider.getTracer('worker').startSpan('step').end();
            yield { percent: 100, done: true };
          },
        },
      },
      { tracerProvider: provider },
    );
    const options = (toolCallId: string) => ({ toolCallId, messages: [] });
    expect(tools.now.execute(undefined, options('call-now'))).toBe('noon');
    const later = tools.later.execute(undefined, options('call-later'));
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe('dusk');
    const items: unknown[] = [];
    for await (const item of tools.progress.execute() as AsyncIterable<unknown>) items.push(item);
    expect(items).toEqual([{ percent: 50 }, { percent: 100, done: true }]);

    const byName = (name: string) => spans().find((span) => span.name === name)!;
    expect(content(byName('execute_tool now'), 'gen_ai.tool.call.result')).toBe('noon');
    expect(content(byName('execute_tool later'), 'gen_ai.tool.call.result')).toBe('dusk');
    expect(content(byName('execute_tool progress'), 'gen_ai.tool.call.result')).toEqual({ percent: 100, done: true });
    expect(byName('step').parentSpanContext?.spanId).toBe(byName('execute_tool progress').spanContext().spanId);
  });

  it('copies each tool with its own properties, keeps tools without execute as they are, and leaves the caller’s set alone', () => {
    const execute = async () => 'ok';
    const providerTool = { type: 'provider', id: 'openai.web_search', args: {} };
    const original = { search: providerTool, lookup: { description: 'Finds an order', inputSchema: { type: 'object' }, needsApproval: true, execute } };
    const recorded = factoTools(original);
    expect(recorded.search).toBe(providerTool);
    expect(recorded.lookup).not.toBe(original.lookup);
    expect(recorded.lookup).toMatchObject({ description: 'Finds an order', inputSchema: { type: 'object' }, needsApproval: true });
    expect(recorded.lookup.execute).not.toBe(execute);
    expect(original.lookup.execute).toBe(execute);
  });

  it('rejects what is not a tool set', () => {
    expect(() => factoTools(null as never)).toThrow(/factoTools expects a tool set/);
  });
});
