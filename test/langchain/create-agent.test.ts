/**
 * A langchain 1.x `createAgent` agent, driven by @langchain/core's `fakeModel()` with real tools (one
 * throws), recorded by `callbacks: [new FactoCallbackHandler()]` into a real collector: the tree that
 * lands is the run as it happened, every span signed, chained and verified there.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { GEN_AI_CONTENT_KEYS } from '@facto/genai';
import { content, only } from '../support/landed-spans.js';
import { checkStock, lookupOrder, useLangChainTestbed } from '../support/langchain-testbed.js';
import { outline } from '../support/span-tree.js';

const testbed = useLangChainTestbed();

/** OTLP numbers span kinds from 1: INTERNAL is 1, CLIENT is 3. */
const OTLP_INTERNAL = 1;
const OTLP_CLIENT = 3;

function refundAgent() {
  const model = fakeModel()
    .respondWithTools([
      { name: 'lookup_order', args: { order: 1042 }, id: 'call_lookup_1042' },
      { name: 'check_stock', args: { sku: 'BOOT-42' }, id: 'call_stock_boot' },
    ])
    .respond(
      new AIMessage({
        content: 'Order 1042 shipped with DHL; I could not check the stock.',
        response_metadata: { model_name: 'fake-gpt', finish_reason: 'stop' },
        usage_metadata: { input_tokens: 120, output_tokens: 14, total_tokens: 134, input_token_details: { cache_read: 100 }, output_token_details: { reasoning: 4 } },
      }),
    );
  return createAgent({ model, tools: [lookupOrder, checkStock], name: 'refund-agent', systemPrompt: 'You help with orders. Use the tools.' });
}

const question = { messages: [{ role: 'user', content: 'Where is order 1042, and are boots in stock?' }] };

describe('@facto/langchain: a createAgent run in the collector', () => {
  it('lands as invoke_agent with its model calls and tool calls nested, the throwing tool an error, the agent carrying on', async () => {
    const { agent, handler } = testbed.recorder();
    const result = await refundAgent().invoke(question, { callbacks: [handler], configurable: { thread_id: 'ticket-5512' } });
    expect(result.messages.at(-1)?.content).toBe('Order 1042 shipped with DHL; I could not check the stock.');

    const spans = await agent.landed();
    expect(outline(spans)).toBe(
      ['invoke_agent refund-agent', '  chat', '  execute_tool lookup_order', '  execute_tool check_stock [error]', '  chat'].join('\n'),
    );
    const run = only(spans, 'invoke_agent refund-agent');
    expect(run.kind).toBe(OTLP_INTERNAL);
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(run.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'refund-agent', 'gen_ai.conversation.id': 'ticket-5512' });

    const lookup = only(spans, 'execute_tool lookup_order');
    expect(lookup.attributes).toMatchObject({ 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.id': 'call_lookup_1042', 'gen_ai.tool.type': 'function' });
    expect(content(lookup, 'gen_ai.tool.call.arguments')).toEqual({ order: 1042 });
    expect(content(lookup, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped', carrier: 'DHL' });

    const stock = only(spans, 'execute_tool check_stock');
    expect(stock.status).toEqual({ code: SpanStatusCode.ERROR, message: 'warehouse offline, cannot check BOOT-42' });
    expect(stock.attributes).toMatchObject({ 'gen_ai.tool.call.id': 'call_stock_boot', 'error.type': 'Error' });
    expect(stock.events).toContain('exception');

    const [plan, answer] = spans.filter((span) => span.name === 'chat');
    for (const chat of [plan!, answer!]) {
      expect(chat.kind).toBe(OTLP_CLIENT);
      expect(chat.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.agent.name': 'refund-agent', 'gen_ai.conversation.id': 'ticket-5512' });
    }
    expect(plan!.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
    // fakeModel() echoes its input as the text of a tool-calling answer; the tool calls are what matter.
    expect(content(plan!, 'gen_ai.output.messages')[0].parts.slice(1)).toEqual([
      { type: 'tool_call', id: 'call_lookup_1042', name: 'lookup_order', arguments: { order: 1042 } },
      { type: 'tool_call', id: 'call_stock_boot', name: 'check_stock', arguments: { sku: 'BOOT-42' } },
    ]);
    expect(answer!.attributes).toMatchObject({
      'gen_ai.response.model': 'fake-gpt',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 14,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.reasoning.output_tokens': 4,
    });
    const sent = content(answer!, 'gen_ai.input.messages');
    expect(sent[0]).toEqual({ role: 'system', parts: [{ type: 'text', content: 'You help with orders. Use the tools.' }] });
    expect(sent.slice(3)).toEqual([
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_lookup_1042', response: { order: 1042, status: 'shipped', carrier: 'DHL' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_stock_boot', response: expect.stringContaining('warehouse offline') }] },
    ]);
  });

  it("leaves what leaves the process to @facto/otel's capture setting: with hashes, content lands only as commitments", async () => {
    const { agent, handler } = testbed.recorder({ capture: 'hashes' });
    await refundAgent().invoke(question, { callbacks: [handler] });
    const spans = await agent.landed();
    const lookup = only(spans, 'execute_tool lookup_order');
    expect([...lookup.committed].sort()).toEqual(['gen_ai.tool.call.arguments', 'gen_ai.tool.call.result']);
    for (const span of spans) for (const key of GEN_AI_CONTENT_KEYS) expect(span.attributes, `${key} on ${span.name}`).not.toHaveProperty([key]);
  });

  it('with captureContent: false writes no content at all, not even a commitment', async () => {
    const { agent, handler } = testbed.recorder({ captureContent: false });
    await refundAgent().invoke(question, { callbacks: [handler] });
    const spans = await agent.landed();
    expect(spans).toHaveLength(5);
    for (const span of spans) {
      expect(span.committed).toEqual([]);
      for (const key of GEN_AI_CONTENT_KEYS) expect(span.attributes).not.toHaveProperty([key]);
    }
    expect(only(spans, 'execute_tool lookup_order').attributes['gen_ai.tool.call.id']).toBe('call_lookup_1042');
  });
});
