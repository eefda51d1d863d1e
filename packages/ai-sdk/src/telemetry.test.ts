import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { generateText as generateText6 } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { generateText, simulateReadableStream, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai7';
import { MockLanguageModelV4 } from 'ai7/test';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { factoMiddleware } from './middleware.js';
import { factoTelemetry } from './telemetry.js';
import { textResult, textStreamParts, toolCallResult, toolCallStreamParts } from './test-helpers/model-fixtures.js';
import { captureDiag, recording, useAsyncContext, type Recording } from './test-helpers/recording.js';
import { factoTools } from './tools.js';

let removeContext: () => void;
beforeAll(() => (removeContext = useAsyncContext()));
afterAll(() => removeContext());
afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
});

function setup(generations: ReturnType<typeof textResult | typeof toolCallResult>[]) {
  const recorded: Recording = recording();
  const model = wrapLanguageModel({ model: new MockLanguageModelV4({ doGenerate: generations }), middleware: factoMiddleware({ tracerProvider: recorded.provider }) });
  return { ...recorded, model, telemetry: factoTelemetry({ tracerProvider: recorded.provider }) };
}

const lookupOrder = (execute: (input: { order: number }) => Promise<unknown>) => tool({ description: 'Finds an order', inputSchema: z.object({ order: z.number() }), execute });

describe('factoTelemetry on ai 7', () => {
  it('groups a run with a function id under one invoke_agent span: every model call and tool run inside it', async () => {
    const { model, telemetry, provider, spans, span, content } = setup([toolCallResult('call-1042', 'lookup_order', { order: 1042 }), textResult('Order 1042 has shipped.')]);
    const tools = {
      lookup_order: lookupOrder(async ({ order }) => {
        provider.getTracer('order-service').startSpan('GET /orders').end();
        return { order, status: 'shipped' };
      }),
    };
    const result = await generateText({ model, tools, prompt: 'Where is order 1042?', stopWhen: stepCountIs(3), telemetry: { functionId: 'order-agent', integrations: [telemetry] } });
    expect(result.text).toBe('Order 1042 has shipped.');

    const agent = span('invoke_agent order-agent');
    expect(agent.kind).toBe(SpanKind.INTERNAL);
    expect(agent.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'order-agent', 'gen_ai.provider.name': 'mock-provider' });
    const chats = spans().filter((span) => span.name === 'chat mock-model-id');
    const execution = span('execute_tool lookup_order');
    expect(chats).toHaveLength(2);
    for (const child of [...chats, execution]) expect(child.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    for (const chat of chats) expect(chat.attributes['gen_ai.agent.name']).toBe('order-agent');
    expect(execution.attributes).toMatchObject({ 'gen_ai.tool.call.id': 'call-1042', 'gen_ai.tool.type': 'function' });
    expect(content(execution, 'gen_ai.tool.call.arguments')).toEqual({ order: 1042 });
    expect(content(execution, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped' });
    expect(span('GET /orders').parentSpanContext?.spanId).toBe(execution.spanContext().spanId);
  });

  it('nests a sub-agent run inside the tool that started it', async () => {
    const { model, telemetry, provider, span } = setup([toolCallResult('call-1', 'ask_specialist', { order: 1042 }), textResult('Done.')]);
    const specialist = wrapLanguageModel({ model: new MockLanguageModelV4({ doGenerate: textResult('Refund approved.') }), middleware: factoMiddleware({ tracerProvider: provider }) });
    const tools = {
      ask_specialist: lookupOrder(async () => (await generateText({ model: specialist, prompt: 'Approve?', telemetry: { functionId: 'refund-specialist', integrations: [telemetry] } })).text),
    };
    await generateText({ model, tools, prompt: 'x', stopWhen: stepCountIs(3), telemetry: { functionId: 'support-agent', integrations: [telemetry] } });
    const subAgent = span('invoke_agent refund-specialist');
    expect(subAgent.parentSpanContext?.spanId).toBe(span('execute_tool ask_specialist').spanContext().spanId);
    expect(span('execute_tool ask_specialist').parentSpanContext?.spanId).toBe(span('invoke_agent support-agent').spanContext().spanId);
  });

  it('makes no agent span without a function id; model and tool spans are still recorded', async () => {
    const { model, telemetry, spans } = setup([toolCallResult('call-1', 'lookup_order', { order: 1 }), textResult('done')]);
    await generateText({ model, tools: { lookup_order: lookupOrder(async () => 'ok') }, prompt: 'x', stopWhen: stepCountIs(3), telemetry: { integrations: [telemetry] } });
    expect(spans().map((span) => span.name)).toEqual(['chat mock-model-id', 'execute_tool lookup_order', 'chat mock-model-id']);
    expect(spans().every((span) => span.parentSpanContext === undefined)).toBe(true);
  });

  it('records a wrapped tool once when the telemetry integration records it too', async () => {
    const { model, telemetry, provider, spans } = setup([toolCallResult('call-1', 'lookup_order', { order: 1 }), textResult('done')]);
    const tools = factoTools({ lookup_order: lookupOrder(async () => 'ok') }, { tracerProvider: provider });
    await generateText({ model, tools, prompt: 'x', stopWhen: stepCountIs(3), telemetry: { functionId: 'agent', integrations: [telemetry] } });
    expect(spans().filter((span) => span.name === 'execute_tool lookup_order')).toHaveLength(1);
  });

  it('records a throwing tool as an error span; the run goes on and the SDK gets the tool’s own error', async () => {
    const { model, telemetry, span } = setup([toolCallResult('call-99', 'lookup_order', { order: 99 }), textResult('No such order.')]);
    const failure = new RangeError('order 99 does not exist');
    const result = await generateText({
      model,
      tools: {
        lookup_order: lookupOrder(async () => {
          throw failure;
        }),
      },
      prompt: 'x',
      stopWhen: stepCountIs(3),
      telemetry: { functionId: 'agent', integrations: [telemetry] },
    });
    expect(result.steps[0]!.content.find((part) => part.type === 'tool-error')).toMatchObject({ error: failure });
    expect(span('execute_tool lookup_order').status).toEqual({ code: SpanStatusCode.ERROR, message: 'order 99 does not exist' });
    expect(span('execute_tool lookup_order').attributes['error.type']).toBe('RangeError');
    expect(span('invoke_agent agent').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends a streamed run’s agent span when its stream ends, with both steps inside', async () => {
    const recorded = recording();
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        doStream: [
          { stream: simulateReadableStream({ chunks: toolCallStreamParts('call-1', 'lookup_order', { order: 1 }) }) },
          { stream: simulateReadableStream({ chunks: textStreamParts(['Shipped.']) }) },
        ],
      }),
      middleware: factoMiddleware({ tracerProvider: recorded.provider }),
    });
    const result = streamText({
      model,
      tools: { lookup_order: lookupOrder(async () => 'shipped') },
      prompt: 'x',
      stopWhen: stepCountIs(3),
      telemetry: { functionId: 'stream-agent', integrations: [factoTelemetry({ tracerProvider: recorded.provider })] },
    });
    expect(await result.text).toBe('Shipped.');
    await result.consumeStream();
    const agent = recorded.span('invoke_agent stream-agent');
    const children = recorded.spans().filter((span) => span.parentSpanContext?.spanId === agent.spanContext().spanId);
    expect(children.map((span) => span.name)).toEqual(['chat mock-model-id', 'execute_tool lookup_order', 'chat mock-model-id']);
  });

  it('records a failed run as an error on its agent span', async () => {
    const recorded = recording();
    const model = wrapLanguageModel({ model: new MockLanguageModelV4({ doGenerate: async () => Promise.reject(new Error('provider down')) }), middleware: factoMiddleware({ tracerProvider: recorded.provider }) });
    await expect(generateText({ model, prompt: 'x', maxRetries: 0, telemetry: { functionId: 'failing-agent', integrations: [factoTelemetry({ tracerProvider: recorded.provider })] } })).rejects.toThrow('provider down');
    expect(recorded.span('invoke_agent failing-agent').status.code).toBe(SpanStatusCode.ERROR);
    expect(recorded.span('chat mock-model-id').status).toEqual({ code: SpanStatusCode.ERROR, message: 'provider down' });
  });

  it('records an aborted streamed run as aborted on its agent span', async () => {
    const recorded = recording();
    const abort = new AbortController();
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({ doStream: async () => ({ stream: simulateReadableStream({ chunks: textStreamParts(['a', 'b', 'c', 'd']) }) }) }),
      middleware: factoMiddleware({ tracerProvider: recorded.provider }),
    });
    const result = streamText({ model, prompt: 'x', abortSignal: abort.signal, telemetry: { functionId: 'aborted-agent', integrations: [factoTelemetry({ tracerProvider: recorded.provider })] } });
    let deltas = 0;
    for await (const part of result.fullStream) if (part.type === 'text-delta' && ++deltas === 2) abort.abort();
    expect(recorded.span('invoke_agent aborted-agent').attributes['error.type']).toBe('AbortError');
    expect(recorded.span('chat mock-model-id').attributes['facto.stream.outcome']).toBe('aborted');
  });

  it('says once, through diag, that it records nothing when given to ai 6, whose events carry no callId', async () => {
    const diagnostics = captureDiag();
    const { provider, spans } = recording();
    const telemetry = factoTelemetry({ tracerProvider: provider });
    for (let call = 0; call < 2; call++) {
      await generateText6({ model: new MockLanguageModelV3({ doGenerate: textResult('ok') }), prompt: 'x', experimental_telemetry: { functionId: 'agent', integrations: [telemetry] } });
    }
    expect(spans()).toEqual([]);
    expect(diagnostics.warnings).toEqual([expect.stringContaining('it records only on ai 7')]);
  });
});
