/**
 * The calls every supported openai major version must record the same way: chat completions plain,
 * streamed (with and without usage) and with tool calls (finish reason `tool_call`, as every Facto
 * integration writes it), responses plain and streamed, embeddings, API errors, and a stream that
 * was aborted midway or left early. The real client talks to the fake server; the spans are read
 * back from the real collector, signed and verified. Each expected value comes from the server's
 * reply, so a mapping that drops or invents one fails.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { chatCompletion, chatTextChunks, chatToolCallChunks, embeddingList, responseEvents, responseObject } from '../support/openai-fixtures.js';
import { content, only } from '../support/landed-spans.js';
import type { ClientUnderTest, Testbed } from '../support/openai-testbed.js';

const question = [
  { role: 'system' as const, content: 'You are a support agent.' },
  { role: 'user' as const, content: 'Where is order 1042?' },
];

/** The record keeps OTLP's span kind numbering, where CLIENT is 3 (the API's SpanKind.CLIENT is 2). */
const OTLP_SPAN_KIND_CLIENT = 3;

const lookupTool = { type: 'function' as const, function: { name: 'lookup_order', description: 'Finds an order', parameters: { type: 'object', properties: { order: { type: 'number' } } } } };

export function conformanceCalls(version: ClientUnderTest, testbed: Testbed): void {
  describe(`${version.label}: calls`, () => {
    it('chat.completions.create: a CLIENT span "chat {model}" with request, response, usage and content', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: chatCompletion() });
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question, temperature: 0.2, max_tokens: 100, top_p: 0.9 });
      expect(completion.choices[0]!.message.content).toBe('Order 1042 ships today.');

      const spans = await agent.landed();
      const span = only(spans, 'chat gpt-4o-mini');
      expect(span.kind).toBe(OTLP_SPAN_KIND_CLIENT);
      expect(span.parentSpanId).toBe('');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      const port = Number(new URL(testbed.fake.url).port);
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 100,
        'gen_ai.request.top_p': 0.9,
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.response.id': 'chatcmpl-plain',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 42,
        'gen_ai.usage.output_tokens': 7,
        'gen_ai.usage.cache_read.input_tokens': 30,
        'gen_ai.usage.reasoning.output_tokens': 3,
        'server.address': '127.0.0.1',
        'server.port': port,
      });
      for (const absent of ['gen_ai.request.stream', 'gen_ai.usage.cache_write.input_tokens', 'gen_ai.system', 'gen_ai.usage.prompt_tokens', 'gen_ai.response.time_to_first_chunk']) {
        expect(span.attributes).not.toHaveProperty([absent]);
      }
      expect(content(span, 'gen_ai.input.messages')).toEqual([
        { role: 'system', parts: [{ type: 'text', content: 'You are a support agent.' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }] },
      ]);
      expect(content(span, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ships today.' }], finish_reason: 'stop' }]);
    });

    it('a streamed chat completion: one span, text joined, usage from the final chunk the caller asked for', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['Order ', '1042 ', 'ships today.'], { usage: true }) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question, stream: true, stream_options: { include_usage: true } });
      expect(stream).toBeInstanceOf(version.Stream);
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('Order 1042 ships today.');

      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.attributes).toMatchObject({
        'gen_ai.request.stream': true,
        'gen_ai.response.id': 'chatcmpl-stream',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 42,
        'gen_ai.usage.output_tokens': 7,
        'facto.stream.outcome': 'completed',
      });
      expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
      expect(content(span, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ships today.' }], finish_reason: 'stop' }]);
    });

    it('a stream whose caller did not ask for usage has no usage attributes, not zeros', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['Ships ', 'today.']) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question, stream: true });
      for await (const chunk of stream) expect(chunk.object).toBe('chat.completion.chunk');
      expect(testbed.fake.requests.at(-1)!.body.stream_options).toBeUndefined();
      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(Object.keys(span.attributes).filter((key) => key.startsWith('gen_ai.usage.'))).toEqual([]);
      expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    });

    it('streamed tool calls: deltas merged by index into whole calls with parsed arguments', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatToolCallChunks() });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: question, tools: [lookupTool], stream: true, stream_options: { include_usage: true } });
      let chunks = 0;
      for await (const _ of stream) chunks++;
      expect(chunks).toBe(8);

      const span = only(await agent.landed(), 'chat gpt-4o');
      expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
      expect(content(span, 'gen_ai.output.messages')).toEqual([
        {
          role: 'assistant',
          parts: [
            { type: 'tool_call', id: 'call_lookup', name: 'lookup_order', arguments: { order: 1042 } },
            { type: 'tool_call', id: 'call_weather', name: 'get_weather', arguments: { city: 'Lisbon' } },
          ],
          finish_reason: 'tool_call',
        },
      ]);
      expect(content(span, 'gen_ai.tool.definitions')).toEqual([{ type: 'function', name: 'lookup_order', description: 'Finds an order', parameters: lookupTool.function.parameters }]);
    });

    it('a chat completion that calls a tool finishes with tool_call, as a response that calls one does', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: chatCompletion({ content: null, toolCalls: [{ id: 'call_lookup', name: 'lookup_order', arguments: '{"order":1042}' }] }) });
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: question, tools: [lookupTool] });
      expect(completion.choices[0]!.finish_reason).toBe('tool_calls');

      const span = only(await agent.landed(), 'chat gpt-4o');
      expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
      expect(content(span, 'gen_ai.output.messages')).toEqual([
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_lookup', name: 'lookup_order', arguments: { order: 1042 } }], finish_reason: 'tool_call' },
      ]);
    });

    it('responses.create: instructions as system instructions, reasoning and text as output, usage', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: responseObject() });
      const response = await client.responses.create({ model: 'gpt-4.1', instructions: 'Approve refunds within policy.', input: 'Refund order 1042?', max_output_tokens: 200 });
      expect(response.output_text).toBe('Refund approved.');

      const span = only(await agent.landed(), 'chat gpt-4.1');
      expect(span.kind).toBe(OTLP_SPAN_KIND_CLIENT);
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.max_tokens': 200,
        'gen_ai.response.id': 'resp_plain',
        'gen_ai.response.model': 'gpt-4.1-2025-04-14',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 55,
        'gen_ai.usage.output_tokens': 9,
        'gen_ai.usage.cache_read.input_tokens': 0,
        'gen_ai.usage.reasoning.output_tokens': 4,
      });
      expect(content(span, 'gen_ai.system_instructions')).toEqual([{ type: 'text', content: 'Approve refunds within policy.' }]);
      expect(content(span, 'gen_ai.input.messages')).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Refund order 1042?' }] }]);
      expect(content(span, 'gen_ai.output.messages')).toEqual([
        { role: 'assistant', parts: [{ type: 'reasoning', content: 'Within the 30-day window.' }, { type: 'text', content: 'Refund approved.' }], finish_reason: 'stop' },
      ]);
    });

    it('a response that calls a function finishes with tool_call; its input items keep their order', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: responseObject({ functionCall: { call_id: 'call_9', name: 'refund', arguments: '{"order":1042,"amount":40}' } }) });
      await client.responses.create({
        model: 'gpt-4.1',
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'Refund order 1042' }] },
          { type: 'function_call', call_id: 'call_8', name: 'lookup_order', arguments: '{"order":1042}' },
          { type: 'function_call_output', call_id: 'call_8', output: '{"total":40}' },
        ],
      });
      const span = only(await agent.landed(), 'chat gpt-4.1');
      expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
      expect(content(span, 'gen_ai.input.messages')).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'Refund order 1042' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_8', name: 'lookup_order', arguments: { order: 1042 } }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_8', response: { total: 40 } }] },
      ]);
      expect(content(span, 'gen_ai.output.messages')[0].parts.at(-1)).toEqual({ type: 'tool_call', id: 'call_9', name: 'refund', arguments: { order: 1042, amount: 40 } });
    });

    it('a streamed response: usage and output from response.completed', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: responseEvents(), named: true, done: false });
      const stream = await client.responses.create({ model: 'gpt-4.1', input: 'Refund order 1042?', stream: true });
      expect(stream).toBeInstanceOf(version.Stream);
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types).toEqual(responseEvents().map((event) => event.type));

      const span = only(await agent.landed(), 'chat gpt-4.1');
      expect(span.attributes).toMatchObject({
        'gen_ai.request.stream': true,
        'gen_ai.response.id': 'resp_stream',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 55,
        'gen_ai.usage.output_tokens': 9,
        'facto.stream.outcome': 'completed',
      });
      expect(content(span, 'gen_ai.output.messages')[0].parts.at(-1)).toEqual({ type: 'text', content: 'Refund approved.' });
    });

    it('embeddings.create: "embeddings {model}" with input tokens and no content', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: embeddingList() });
      const result = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['refund policy', 'order 1042'], encoding_format: 'float', dimensions: 3 });
      expect(result.data).toHaveLength(2);
      const span = only(await agent.landed(), 'embeddings text-embedding-3-small');
      expect(span.kind).toBe(OTLP_SPAN_KIND_CLIENT);
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.request.encoding_formats': ['float'],
        'gen_ai.embeddings.dimension.count': 3,
        'gen_ai.response.model': 'text-embedding-3-small',
        'gen_ai.usage.input_tokens': 8,
      });
      expect(span.attributes).not.toHaveProperty(['gen_ai.usage.output_tokens']);
      expect(Object.keys(span.attributes).filter((key) => key.includes('messages'))).toEqual([]);
    });

    it.each([
      [429, 'RateLimitError', 'Rate limit reached for gpt-4o-mini', 'rate_limit_exceeded'],
      [400, 'BadRequestError', "Invalid 'messages': empty array", 'invalid_value'],
    ] as const)('an HTTP %i: the client’s own error, unchanged; the span an error of type %s', async (status, type, message, code) => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ error: { status, message, type: 'invalid_request_error', code } });
      const error: any = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(version.OpenAI.APIError);
      expect(error.constructor.name).toBe(type);
      expect(error.status).toBe(status);
      expect(error.code).toBe(code);
      expect(error.message).toContain(message);

      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: error.message });
      expect(span.attributes['error.type']).toBe(type);
      expect(span.events).toEqual(['exception']);
      expect(Object.keys(span.attributes).filter((key) => key.startsWith('gen_ai.response.') || key.startsWith('gen_ai.usage.'))).toEqual([]);
    });

    it('a slow stream aborted midway: the span ends once, as aborted, with what had arrived', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['Order ', '1042 '], { finishReason: null }), hang: true });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question, stream: true });
      const received: string[] = [];
      for await (const chunk of stream) {
        received.push(chunk.choices[0]?.delta.content ?? '');
        if (received.length === 3) stream.controller.abort();
      }
      expect(received).toEqual(['', 'Order ', '1042 ']);
      await testbed.fake.hungUp();

      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({ 'error.type': 'APIUserAbortError', 'facto.stream.outcome': 'aborted', 'gen_ai.response.finish_reasons': ['error'] });
      expect(content(span, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ' }], finish_reason: 'error' }]);
    });

    // The client aborts its own controller when a read fails, before the reader sees the failure:
    // that abort is not the caller's, and the span says what the caller got.
    it.each([
      ['the connection drops', { cut: true }],
      ['an error event arrives', { extra: { error: { message: 'The server had an error while processing your request.', type: 'server_error' } }, done: false }],
    ] as const)('a stream that fails midway because %s: ended once as failed, with the error the caller got', async (_case, how) => {
      const { agent, client } = testbed.agent();
      const sse: unknown[] = chatTextChunks(['Order '], { finishReason: null });
      if ('extra' in how) sse.push(how.extra);
      testbed.fake.reply({ sse, ...('cut' in how ? { cut: true } : { done: false }) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question, stream: true });
      const received: string[] = [];
      let caught: Error | undefined;
      try {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      } catch (error) {
        caught = error as Error;
      }
      expect(caught).toBeInstanceOf(Error);
      expect(received).toContain('Order ');

      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: caught!.message });
      expect(span.attributes).toMatchObject({ 'error.type': caught!.constructor.name, 'facto.stream.outcome': 'failed', 'gen_ai.response.finish_reasons': ['error'] });
      expect(span.events).toEqual(['exception']);
    });

    it('a stream aborted while a read is pending, then left unread: ended as aborted all the same', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['Order ', '1042 ', 'ships '], { finishReason: null }), hang: true });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question, stream: true });
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      const pending = iterator.next();
      stream.controller.abort();
      await pending;
      // The caller walks away here: no more reads, no return().
      await testbed.fake.hungUp();

      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.attributes).toMatchObject({ 'error.type': 'APIUserAbortError', 'facto.stream.outcome': 'aborted' });
    });

    it('a stream the caller leaves with break: ended once as stopped, not as an error', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ sse: chatTextChunks(['Order ', '1042 ', 'ships today.']) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question, stream: true });
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (text === 'Order ') break;
      }
      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes).toMatchObject({ 'facto.stream.outcome': 'stopped', 'gen_ai.response.finish_reasons': ['error'] });
      expect(span.attributes).not.toHaveProperty(['error.type']);
      expect(content(span, 'gen_ai.output.messages')[0].parts).toEqual([{ type: 'text', content: 'Order ' }]);
    });
  });
}
