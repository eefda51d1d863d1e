/**
 * The wrapped client keeps its whole API: `create` still returns the client's APIPromise
 * (withResponse, asResponse), a stream is still the client's Stream (tee, toReadableStream,
 * controller), and the helpers built on create (chat.completions.parse, .stream(), .runTools(),
 * responses.stream, responses.parse) still work and are recorded through it, once each.
 */
import { describe, expect, it } from 'vitest';
import { chatCompletion, chatTextChunks, responseEvents, responseObject } from '../support/openai-fixtures.js';
import { content, only } from '../support/landed-spans.js';
import type { ClientUnderTest, Testbed } from '../support/openai-testbed.js';

const messages = [{ role: 'user' as const, content: 'Where is order 1042?' }];
const orderSchema = { type: 'object', properties: { order: { type: 'number' }, status: { type: 'string' } }, required: ['order', 'status'], additionalProperties: false };

export function conformanceHelpers(version: ClientUnderTest, testbed: Testbed): void {
  describe(`${version.label}: the client's API stays whole`, () => {
    it('create returns the client’s APIPromise: withResponse gives data, the raw response and the request id', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: chatCompletion() });
      const promise = client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(promise).toBeInstanceOf(version.APIPromise);
      const { data, response, request_id } = await promise.withResponse();
      expect(data.id).toBe('chatcmpl-plain');
      expect(response.status).toBe(200);
      expect(request_id).toBe(`req_${testbed.fake.requests.length}`);
      expect(only(await agent.landed(), 'chat gpt-4o-mini').attributes['gen_ai.response.id']).toBe('chatcmpl-plain');
    });

    it('asResponse gives the raw, unread response and still ends the span', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: chatCompletion() });
      const response = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
      expect(response.bodyUsed).toBe(false);
      expect((await response.json()).id).toBe('chatcmpl-plain');
      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
    });

    it('chat.completions.parse still parses, through one recorded create', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: chatCompletion({ content: '{"order":1042,"status":"shipped"}' }) });
      const completion = await client.chat.completions.parse({ model: 'gpt-4o-mini', messages, response_format: { type: 'json_schema', json_schema: { name: 'order', schema: orderSchema, strict: true } } });
      expect(completion.choices[0]!.message.parsed).toEqual({ order: 1042, status: 'shipped' });
      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(content(span, 'gen_ai.output.messages')[0].parts).toEqual([{ type: 'text', content: '{"order":1042,"status":"shipped"}' }]);
    });

    it('chat.completions.stream() still streams and gives the final completion', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['Ships ', 'today.']) });
      const runner = client.chat.completions.stream({ model: 'gpt-4o-mini', messages });
      const deltas: string[] = [];
      runner.on('content', (delta) => deltas.push(delta));
      const final = await runner.finalChatCompletion();
      expect(final.choices[0]!.message.content).toBe('Ships today.');
      expect(deltas).toEqual(['Ships ', 'today.']);
      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.attributes).toMatchObject({ 'gen_ai.request.stream': true, 'facto.stream.outcome': 'completed', 'gen_ai.response.finish_reasons': ['stop'] });
    });

    it('runTools still runs the tool loop; each model call is one span', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply(
        { json: chatCompletion({ id: 'chatcmpl-1', content: null, toolCalls: [{ id: 'call_1', name: 'lookup_order', arguments: '{"order":1042}' }] }) },
        { json: chatCompletion({ id: 'chatcmpl-2', content: 'Order 1042 has shipped.' }) },
      );
      const lookups: unknown[] = [];
      const runner = client.chat.completions.runTools({
        model: 'gpt-4o-mini',
        messages,
        tools: [{ type: 'function', function: { name: 'lookup_order', description: 'Finds an order', parameters: orderSchema, parse: JSON.parse, function: (args: unknown) => (lookups.push(args), { status: 'shipped' }) } }],
      });
      expect(await runner.finalContent()).toBe('Order 1042 has shipped.');
      expect(lookups).toEqual([{ order: 1042 }]);
      const spans = (await agent.landed()).filter((span) => span.name === 'chat gpt-4o-mini');
      expect(spans.map((span) => span.attributes['gen_ai.response.id'])).toEqual(['chatcmpl-1', 'chatcmpl-2']);
      expect(content(spans[1]!, 'gen_ai.input.messages').at(-1)).toEqual({ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { status: 'shipped' } }] });
    });

    it('responses.stream and responses.parse still work, each recorded once', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: responseEvents(), named: true, done: false }, { json: responseObject({ id: 'resp_parsed', text: '{"order":1042,"status":"shipped"}' }) });
      const stream = client.responses.stream({ model: 'gpt-4.1', input: 'Refund order 1042?' });
      let deltas = '';
      for await (const event of stream) if (event.type === 'response.output_text.delta') deltas += event.delta;
      expect(deltas).toBe('Refund approved.');
      expect((await stream.finalResponse()).id).toBe('resp_stream');
      const parsed = await client.responses.parse({ model: 'gpt-4.1', input: 'Order 1042?', text: { format: { type: 'json_schema', name: 'order', schema: orderSchema, strict: true } } });
      expect(parsed.output_parsed).toEqual({ order: 1042, status: 'shipped' });
      const spans = await agent.landed();
      expect(spans.map((span) => [span.name, span.attributes['gen_ai.response.id']])).toEqual([
        ['chat gpt-4.1', 'resp_stream'],
        ['chat gpt-4.1', 'resp_parsed'],
      ]);
    });

    it('a stream still tees: both branches read every chunk, the span ends once', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['a', 'b', 'c']) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      const [left, right] = stream.tee();
      expect(left).toBeInstanceOf(version.Stream);
      const read = async (branch: AsyncIterable<{ choices: { delta: { content?: string | null } }[] }>) => {
        let text = '';
        for await (const chunk of branch) text += chunk.choices[0]?.delta.content ?? '';
        return text;
      };
      expect(await Promise.all([read(left), read(right)])).toEqual(['abc', 'abc']);
      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.attributes['facto.stream.outcome']).toBe('completed');
      expect(content(span, 'gen_ai.output.messages')[0].parts).toEqual([{ type: 'text', content: 'abc' }]);
    });

    it('a stream still becomes a ReadableStream of JSON lines, and keeps its AbortController', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['x', 'y']) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      expect(stream.controller).toBeInstanceOf(AbortController);
      const text = await new Response(stream.toReadableStream()).text();
      const lines = text.trim().split('\n').map((line) => JSON.parse(line));
      expect(lines.map((chunk) => chunk.choices[0].delta.content ?? null)).toEqual(['', 'x', 'y', null]);
      expect(only(await agent.landed(), 'chat gpt-4o-mini').attributes['facto.stream.outcome']).toBe('completed');
    });
  });
}
