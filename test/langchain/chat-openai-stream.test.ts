/**
 * A streaming agent on a real chat model: `ChatOpenAI` (@langchain/openai 1.5.8, the last Node-20-clean
 * line) talks to a local server speaking the OpenAI wire format, and the agent is streamed as an
 * application streams it (`streamMode: 'messages'`). The model spans in the collector carry what only
 * a streamed call has: usage from the stream's final chunk (cache reads and reasoning included),
 * the time to the first chunk, `gen_ai.request.stream`, and how the stream ended.
 */
import { ChatOpenAI } from '@langchain/openai';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { content } from '../support/landed-spans.js';
import { lookupOrder, useLangChainTestbed } from '../support/langchain-testbed.js';
import { chatTextChunks, usage } from '../support/openai-fixtures.js';
import { outline } from '../support/span-tree.js';

const testbed = useLangChainTestbed();
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
});

/** A streamed tool call, its arguments in two pieces, then the usage chunk include_usage asks for. */
function toolCallChunks() {
  const chunk = (choices: unknown[], extra = {}) => ({ id: 'chatcmpl-tools', object: 'chat.completion.chunk', created: 1_764_000_000, model: 'gpt-4o-mini-2024-07-18', choices, ...extra });
  const delta = (tool_calls: unknown[]) => chunk([{ index: 0, delta: { tool_calls }, finish_reason: null }]);
  return [
    chunk([{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }]),
    delta([{ index: 0, id: 'call_lookup_1042', type: 'function', function: { name: 'lookup_order', arguments: '{"order":' } }]),
    delta([{ index: 0, function: { arguments: '1042}' } }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
    chunk([], { usage }),
  ];
}

describe('@facto/langchain: a streamed ChatOpenAI agent in the collector', () => {
  it('records each streamed model call with usage from the stream, time to first chunk and finish reason', async () => {
    fake.reply({ sse: toolCallChunks() }, { sse: chatTextChunks(['Order 1042 ', 'shipped with DHL.'], { usage: true }) });
    const model = new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0.2, maxTokens: 300, apiKey: 'sk-test', maxRetries: 0, configuration: { baseURL: fake.url } });
    const agent = createAgent({ model, tools: [lookupOrder], name: 'support-agent' });
    const { agent: recorder, handler } = testbed.recorder();

    let streamed = '';
    for await (const [message] of await agent.stream({ messages: [{ role: 'user', content: 'Where is order 1042?' }] }, { callbacks: [handler], streamMode: 'messages' })) {
      if (message.getType() === 'ai') streamed += message.text;
    }
    expect(streamed).toBe('Order 1042 shipped with DHL.');
    expect(fake.requests.map((request) => [request.body.stream, request.body.stream_options])).toEqual([
      [true, { include_usage: true }],
      [true, { include_usage: true }],
    ]);

    const spans = await recorder.landed();
    expect(outline(spans)).toBe(['invoke_agent support-agent', '  chat gpt-4o-mini', '  execute_tool lookup_order', '  chat gpt-4o-mini'].join('\n'));
    const [toolCall, answer] = spans.filter((span) => span.name === 'chat gpt-4o-mini');
    for (const chat of [toolCall!, answer!]) {
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 300,
        'gen_ai.request.stream': true,
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.agent.name': 'support-agent',
        'gen_ai.usage.input_tokens': usage.prompt_tokens,
        'gen_ai.usage.output_tokens': usage.completion_tokens,
        'gen_ai.usage.cache_read.input_tokens': usage.prompt_tokens_details.cached_tokens,
        'gen_ai.usage.reasoning.output_tokens': usage.completion_tokens_details.reasoning_tokens,
        'facto.stream.outcome': 'completed',
      });
      expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
      expect(chat.attributes).not.toHaveProperty(['gen_ai.usage.cache_write.input_tokens']);
    }
    expect(toolCall!.attributes).toMatchObject({ 'gen_ai.response.id': 'chatcmpl-tools', 'gen_ai.response.finish_reasons': ['tool_call'] });
    expect(answer!.attributes).toMatchObject({ 'gen_ai.response.id': 'chatcmpl-stream', 'gen_ai.response.finish_reasons': ['stop'] });
    expect(content(toolCall!, 'gen_ai.tool.definitions')).toEqual([
      { type: 'function', name: 'lookup_order', description: 'Finds an order by its number', parameters: expect.objectContaining({ properties: { order: { type: 'number' } } }) },
    ]);
    expect(content(toolCall!, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_lookup_1042', name: 'lookup_order', arguments: { order: 1042 } }], finish_reason: 'tool_call' },
    ]);
    expect(content(answer!, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 shipped with DHL.' }], finish_reason: 'stop' }]);
  });
});
