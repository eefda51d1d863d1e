/**
 * examples/openai-agent.mjs, the agent `npm start` runs, into a real collector: one agent run, two
 * model calls and one tool call, nested as they happened, signed and verified, with the usage and
 * tool call the example's fake model produced.
 */
import type { TracerProvider } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { content, only, recordingAgent } from '../support/landed-spans.js';
import { useTracedCollector } from '../support/traced-collector.js';

type RunOpenAIAgent = (options?: { question?: string; tracerProvider?: TracerProvider }) => Promise<string>;

const traced = useTracedCollector();

describe('examples/openai-agent.mjs', () => {
  it('answers from its tool and records the run, both model calls and the tool call, nested', async () => {
    const examplePath = '../../examples/openai-agent.mjs';
    const { runOpenAIAgent } = (await import(examplePath)) as { runOpenAIAgent: RunOpenAIAgent };
    const agent = recordingAgent(traced.collector);
    const answer = await runOpenAIAgent({ tracerProvider: agent.facto.provider });
    expect(answer).toBe('Order 1042 shipped with DHL; it arrives on 2026-12-03.');

    const spans = await agent.landed();
    const run = only(spans, 'invoke_agent order-support-agent');
    const tool = only(spans, 'execute_tool lookup_order');
    const chats = spans.filter((span) => span.name === 'chat gpt-4o-mini');
    expect(chats).toHaveLength(2);
    for (const span of [tool, ...chats]) expect(span.parentSpanId).toBe(run.spanId);
    expect(chats.map((span) => span.attributes['gen_ai.response.finish_reasons'])).toEqual([['tool_call'], ['stop']]);
    expect(chats.every((span) => span.attributes['gen_ai.agent.name'] === 'order-support-agent' && typeof span.attributes['gen_ai.usage.input_tokens'] === 'number')).toBe(true);
    expect(tool.attributes).toMatchObject({ 'gen_ai.tool.call.id': 'call_lookup_1042', 'gen_ai.tool.type': 'function' });
    expect(content(tool, 'gen_ai.tool.call.arguments')).toEqual({ order: 1042 });
    expect(content(tool, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped', carrier: 'DHL', eta: '2026-12-03' });
    expect(content(chats[0]!, 'gen_ai.output.messages')[0].parts).toEqual([{ type: 'tool_call', id: 'call_lookup_1042', name: 'lookup_order', arguments: { order: 1042 } }]);
  });
});
