/**
 * An application that wraps its OpenAI client with `wrapOpenAI` and gives that client to a LangChain
 * model records each model call once: the handler's chat span stands for it, and the wrapper, called
 * inside that model run, records nothing of its own (LangChain makes no span active there; the
 * handler tells @facto/genai through LangChain's own run context). The same client called by a tool,
 * outside any model run, is recorded by the wrapper as usual, and without the handler the wrapper
 * records every call, which shows the model really goes through the wrapped client.
 */
import OpenAI from 'openai';
import { ChatOpenAI, ChatOpenAICompletions } from '@langchain/openai';
import { tool } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { wrapOpenAI } from '@facto/openai';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { chatCompletion } from '../support/openai-fixtures.js';
import { useLangChainTestbed } from '../support/langchain-testbed.js';
import { outline } from '../support/span-tree.js';
import type { TracerProvider } from '@opentelemetry/api';

const testbed = useLangChainTestbed();
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
});

/** An agent whose model and whose tool share one wrapped client, as an application would share it. */
function summarizingAgent(tracerProvider: TracerProvider) {
  const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }), { tracerProvider });
  const completions = new ChatOpenAICompletions({ model: 'gpt-4o-mini', apiKey: 'sk-test', maxRetries: 0 });
  completions.client = openai;
  const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-test', maxRetries: 0, completions });
  const summarize = tool(
    async ({ order }) => {
      const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Summarize order ${order}.` }] });
      return completion.choices[0]?.message.content ?? '';
    },
    { name: 'summarize_order', description: 'Summarizes an order', schema: z.object({ order: z.number() }) },
  );
  return createAgent({ model, tools: [summarize], name: 'summary-agent' });
}

function queueReplies(): void {
  fake.reply(
    { json: chatCompletion({ id: 'chatcmpl-plan', content: null, toolCalls: [{ id: 'call_summary', name: 'summarize_order', arguments: '{"order":1042}' }] }) },
    { json: chatCompletion({ id: 'chatcmpl-summary', content: 'Shipped with DHL on Monday.' }) },
    { json: chatCompletion({ id: 'chatcmpl-answer', content: 'Order 1042 shipped with DHL on Monday.' }) },
  );
}

const question = { messages: [{ role: 'user', content: 'What happened to order 1042?' }] };

describe('@facto/langchain with a wrapOpenAI client', () => {
  it('records a model call through the wrapped client once, and the tool call through it as the wrapper does', async () => {
    const { agent: recorder, handler } = testbed.recorder();
    queueReplies();
    const result = await summarizingAgent(recorder.facto.provider).invoke(question, { callbacks: [handler] });
    expect(result.messages.at(-1)?.content).toBe('Order 1042 shipped with DHL on Monday.');
    expect(fake.requests).toHaveLength(3);

    const spans = await recorder.landed();
    // The tool's own call is the wrapper's span (it has server.address); it nests in the caller's context, not under the tool.
    expect(outline(spans)).toBe(['chat gpt-4o-mini', 'invoke_agent summary-agent', '  chat gpt-4o-mini', '  execute_tool summarize_order', '  chat gpt-4o-mini'].join('\n'));
    const chats = spans.filter((span) => span.name === 'chat gpt-4o-mini');
    const fromWrapper = chats.filter((span) => 'server.address' in span.attributes);
    expect(fromWrapper.map((span) => span.attributes['gen_ai.response.id'])).toEqual(['chatcmpl-summary']);
    const fromHandler = chats.filter((span) => !('server.address' in span.attributes));
    expect(fromHandler.map((span) => span.attributes['gen_ai.response.id'])).toEqual(['chatcmpl-plan', 'chatcmpl-answer']);
    for (const span of fromHandler) expect(span.attributes).toMatchObject({ 'gen_ai.agent.name': 'summary-agent', 'gen_ai.usage.input_tokens': 42, 'gen_ai.usage.cache_read.input_tokens': 30 });
  });

  it('leaves every call to the wrapper when no handler records the run', async () => {
    const { agent: recorder } = testbed.recorder();
    queueReplies();
    await summarizingAgent(recorder.facto.provider).invoke(question);
    const spans = await recorder.landed();
    expect(spans.map((span) => [span.name, span.attributes['gen_ai.response.id'], 'server.address' in span.attributes])).toEqual([
      ['chat gpt-4o-mini', 'chatcmpl-plan', true],
      ['chat gpt-4o-mini', 'chatcmpl-summary', true],
      ['chat gpt-4o-mini', 'chatcmpl-answer', true],
    ]);
  });
});
