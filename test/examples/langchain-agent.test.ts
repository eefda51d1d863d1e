/**
 * examples/langchain-agent.mjs, the LangChain agent `npm start` runs, into a real collector: one agent
 * run, two model calls and one tool call, nested as they happened, signed and verified, with the
 * usage, tool call and conversation id the example's run produced.
 */
import type { TracerProvider } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { content, only } from '../support/landed-spans.js';
import { useLangChainTestbed } from '../support/langchain-testbed.js';
import { outline } from '../support/span-tree.js';

type RunLangChainAgent = (options?: { question?: string; tracerProvider?: TracerProvider }) => Promise<string>;

const testbed = useLangChainTestbed();

describe('examples/langchain-agent.mjs', () => {
  it('answers from its tool and records the run, both model calls and the tool call, nested', async () => {
    const examplePath = '../../examples/langchain-agent.mjs';
    const { runLangChainAgent } = (await import(examplePath)) as { runLangChainAgent: RunLangChainAgent };
    const { agent } = testbed.recorder();
    const answer = await runLangChainAgent({ tracerProvider: agent.facto.provider });
    expect(answer).toBe('Order 1042 shipped with DHL; it arrives on 2026-12-03.');

    const spans = await agent.landed();
    expect(outline(spans)).toBe(['invoke_agent order-support-agent', '  chat gpt-4o-mini', '  execute_tool lookup_order', '  chat gpt-4o-mini'].join('\n'));
    expect(only(spans, 'invoke_agent order-support-agent').attributes['gen_ai.conversation.id']).toBe('demo-ticket-1042');
    const chats = spans.filter((span) => span.name === 'chat gpt-4o-mini');
    expect(chats.map((span) => span.attributes['gen_ai.response.finish_reasons'])).toEqual([['tool_call'], ['stop']]);
    expect(chats.every((span) => span.attributes['gen_ai.provider.name'] === 'openai' && typeof span.attributes['gen_ai.usage.input_tokens'] === 'number')).toBe(true);
    const tool = only(spans, 'execute_tool lookup_order');
    expect(tool.attributes).toMatchObject({ 'gen_ai.tool.call.id': 'call_lookup_1042', 'gen_ai.tool.type': 'function' });
    expect(content(tool, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped', carrier: 'DHL', eta: '2026-12-03' });
  });
});
