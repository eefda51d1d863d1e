/**
 * Multi-step calls with tools, for every supported `ai` major version: the model asks for a tool,
 * the SDK runs it, the model answers (`stopWhen: stepCountIs(n)`). Tools are recorded by wrapping
 * them (`factoTools`, the only way on ai 6) and, on ai 7, by the telemetry integration, which also
 * groups a run with a function id under one `invoke_agent` span. And a model whose provider client
 * is itself wrapped by @facto/openai still makes one inference span per call, not two.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { wrapOpenAI } from '@facto/openai';
import { textResult, toolCallResult } from '../../packages/ai-sdk/src/test-helpers/model-fixtures.js';
import { chatCompletion } from '../support/openai-fixtures.js';
import { content, only, type LandedSpan } from '../support/landed-spans.js';
import type { AiSdkTestbed, AiUnderTest } from '../support/ai-sdk-testbed.js';

const OTLP_SPAN_KIND_INTERNAL = 1;

const orders: Record<number, { order: number; status: string }> = { 1042: { order: 1042, status: 'shipped' } };

function childrenOf(spans: readonly LandedSpan[], parent: LandedSpan): string[] {
  return spans.filter((span) => span.parentSpanId === parent.spanId).map((span) => span.name);
}

export function conformanceTools(version: AiUnderTest, testbed: AiSdkTestbed): void {
  const { ai, MockLanguageModel } = version;
  const lookupOrder = (execute: (input: { order: number }) => Promise<unknown>) =>
    ai.tool({ description: 'Finds an order by its number', inputSchema: z.object({ order: z.number() }), execute });
  const twoSteps = (recorded: ReturnType<AiSdkTestbed['agent']>) =>
    ai.wrapLanguageModel({
      model: new MockLanguageModel({ doGenerate: [toolCallResult('call-1042', 'lookup_order', { order: 1042 }), textResult('Order 1042 has shipped.')] }),
      middleware: recorded.middleware(),
    });

  describe(`${version.label}: tools`, () => {
    it('a multi-step call with a wrapped tool: two model calls and the tool run, with its call id, arguments and result', async () => {
      const recorded = testbed.agent();
      const tools = recorded.tools({ lookup_order: lookupOrder(async ({ order }) => orders[order]) });
      const result = await ai.generateText({ model: twoSteps(recorded), tools, prompt: 'Where is order 1042?', stopWhen: ai.stepCountIs(3) });
      expect(result.text).toBe('Order 1042 has shipped.');

      const spans = await recorded.agent.landed();
      expect(spans.map((span) => span.name)).toEqual(['chat mock-model-id', 'execute_tool lookup_order', 'chat mock-model-id']);
      const tool = only(spans, 'execute_tool lookup_order');
      expect(tool.kind).toBe(OTLP_SPAN_KIND_INTERNAL);
      expect(tool.attributes).toMatchObject({ 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.id': 'call-1042', 'gen_ai.tool.type': 'function', 'gen_ai.tool.description': 'Finds an order by its number' });
      expect(content(tool, 'gen_ai.tool.call.arguments')).toEqual({ order: 1042 });
      expect(content(tool, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped' });
      const [first, second] = spans.filter((span) => span.name === 'chat mock-model-id');
      expect(first!.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
      expect(second!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
      expect(content(second!, 'gen_ai.input.messages').at(-1)).toEqual({ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call-1042', response: { order: 1042, status: 'shipped' } }] });
    });

    it('a tool that throws: an error span with the tool’s error; the run goes on to the model’s answer', async () => {
      const recorded = testbed.agent();
      const tools = recorded.tools({
        lookup_order: lookupOrder(async ({ order }) => {
          throw new RangeError(`order ${order} does not exist`);
        }),
      });
      const result = await ai.generateText({ model: twoSteps(recorded), tools, prompt: 'Where is order 1042?', stopWhen: ai.stepCountIs(3) });
      expect(result.text).toBe('Order 1042 has shipped.');

      const tool = only(await recorded.agent.landed(), 'execute_tool lookup_order');
      expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'order 1042 does not exist' });
      expect(tool.attributes['error.type']).toBe('RangeError');
      expect(tool.events).toContain('exception');
    });

    it('spans made inside a tool nest under the tool’s span', async () => {
      const recorded = testbed.agent();
      const tools = recorded.tools({
        lookup_order: lookupOrder(async ({ order }) => {
          recorded.agent.facto.provider.getTracer('order-service').startActiveSpan('GET /orders/1042', (span) => span.end());
          return orders[order];
        }),
      });
      await ai.generateText({ model: twoSteps(recorded), tools, prompt: 'Where is order 1042?', stopWhen: ai.stepCountIs(3) });
      const spans = await recorded.agent.landed();
      expect(childrenOf(spans, only(spans, 'execute_tool lookup_order'))).toEqual(['GET /orders/1042']);
    });

    it('a provider client wrapped by @facto/openai under an AI SDK model call: one inference span, not two', async () => {
      const recorded = testbed.agent();
      testbed.fake.reply({ json: chatCompletion({ id: 'chatcmpl-nested', content: 'Order 1042 ships today.' }) });
      const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: testbed.fake.url, maxRetries: 0 }), { tracerProvider: recorded.agent.facto.provider });
      const model = new MockLanguageModel({
        provider: 'openai.chat',
        modelId: 'gpt-4o-mini',
        doGenerate: async () => {
          const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Where is order 1042?' }] });
          const usage = completion.usage!;
          return {
            content: [{ type: 'text', text: completion.choices[0]!.message.content ?? '' }],
            finishReason: { unified: 'stop', raw: completion.choices[0]!.finish_reason },
            usage: { inputTokens: { total: usage.prompt_tokens, noCache: undefined, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: usage.completion_tokens, text: undefined, reasoning: undefined } },
            warnings: [],
            response: { id: completion.id, modelId: completion.model },
          };
        },
      });
      const result = await ai.generateText({ model: ai.wrapLanguageModel({ model, middleware: recorded.middleware() }), prompt: 'Where is order 1042?' });
      expect(result.text).toBe('Order 1042 ships today.');
      expect(testbed.fake.requests).toHaveLength(1);

      const spans = await recorded.agent.landed();
      const span = only(spans, 'chat gpt-4o-mini');
      expect(span.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'gen_ai.response.id': 'chatcmpl-nested', 'gen_ai.usage.input_tokens': 42 });
      expect(spans).toHaveLength(1);
    });

    if (!version.runsTelemetryIntegrations) return;

    it('the telemetry integration: a run with a function id is one invoke_agent span with every model call and tool run inside', async () => {
      const recorded = testbed.agent();
      const tools = { lookup_order: lookupOrder(async ({ order }) => orders[order]) };
      await ai.generateText({
        model: twoSteps(recorded),
        tools,
        prompt: 'Where is order 1042?',
        stopWhen: ai.stepCountIs(3),
        // ai 7's option; the suites are typed against ai 6, which calls it experimental_telemetry.
        ...({ telemetry: { functionId: 'order-agent', integrations: [recorded.telemetry()] } } as object),
      });
      const spans = await recorded.agent.landed();
      const agent = only(spans, 'invoke_agent order-agent');
      expect(agent.parentSpanId).toBe('');
      expect(agent.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'order-agent' });
      expect(childrenOf(spans, agent)).toEqual(['chat mock-model-id', 'execute_tool lookup_order', 'chat mock-model-id']);
      const tool = only(spans, 'execute_tool lookup_order');
      expect(tool.attributes['gen_ai.tool.call.id']).toBe('call-1042');
      expect(content(tool, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped' });
    });

    it('the telemetry integration in a ToolLoopAgent’s settings: the agent’s runs group under invoke_agent; a wrapped tool is recorded once', async () => {
      const recorded = testbed.agent();
      const agent = new ai.ToolLoopAgent({
        model: twoSteps(recorded),
        tools: recorded.tools({ lookup_order: lookupOrder(async ({ order }) => orders[order]) }),
        stopWhen: ai.stepCountIs(3),
        ...({ telemetry: { functionId: 'support-agent', integrations: [recorded.telemetry()] } } as object),
      });
      const result = await agent.generate({ prompt: 'Where is order 1042?' });
      expect(result.text).toBe('Order 1042 has shipped.');
      const spans = await recorded.agent.landed();
      expect(childrenOf(spans, only(spans, 'invoke_agent support-agent'))).toEqual(['chat mock-model-id', 'execute_tool lookup_order', 'chat mock-model-id']);
    });
  });
}
