/**
 * wrapOpenAI's options and the content details that do not depend on the client version (run with
 * openai 6): injected stream usage, the provider name, the global tracer provider found late,
 * clients derived with withOptions, several choices, inline images recorded as blobs, and the
 * byte cap on content. Spans go through the real collector and are verified there.
 */
import { createHash } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import { Stream } from 'openai/streaming';
import { APIPromise } from 'openai/api-promise';
import { describe, expect, it } from 'vitest';
import { wrapOpenAI } from '@facto/openai';
import { chatCompletion, chatTextChunks } from '../support/openai-fixtures.js';
import { content, only, recordingAgent } from '../support/landed-spans.js';
import { useOpenAITestbed } from '../support/openai-testbed.js';

const testbed = useOpenAITestbed({ label: 'openai 6', OpenAI, Stream, APIPromise });
const messages = [{ role: 'user' as const, content: 'Where is order 1042?' }];

describe('wrapOpenAI options', () => {
  it('injectStreamUsage asks for usage on streams whose caller did not say, and respects a caller who did', async () => {
    const { agent, client } = testbed.agent({ injectStreamUsage: true });
    testbed.fake.reply({ sse: chatTextChunks(['Ships.'], { usage: true }) }, { sse: chatTextChunks(['Ships.']) }, { json: chatCompletion() });
    for await (const _ of await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    for await (const _ of await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: false } }));
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const bodies = testbed.fake.requests.slice(-3).map((request) => request.body);
    expect(bodies[0].stream_options).toEqual({ include_usage: true });
    expect(bodies[1].stream_options).toEqual({ include_usage: false });
    expect(bodies[2].stream_options).toBeUndefined();
    const [injected, declined, plain] = await agent.landed();
    expect(injected!.attributes['gen_ai.usage.input_tokens']).toBe(42);
    expect(declined!.attributes).not.toHaveProperty(['gen_ai.usage.input_tokens']);
    expect(plain!.attributes['gen_ai.usage.input_tokens']).toBe(42);
  });

  it('names the provider as told', async () => {
    const { agent, client } = testbed.agent({ providerName: 'azure.ai.openai' });
    testbed.fake.reply({ json: chatCompletion() });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(only(await agent.landed(), 'chat gpt-4o-mini').attributes['gen_ai.provider.name']).toBe('azure.ai.openai');
  });

  it('refuses options of the wrong type where they are given', () => {
    expect(() => wrapOpenAI(testbed.client(), { injectStreamUsage: 'yes' as never })).toThrow(TypeError);
    expect(() => wrapOpenAI(testbed.client(), { maxContentBytes: 10 })).toThrow(RangeError);
    expect(() => wrapOpenAI(null as never)).toThrow(/OpenAI client instance/);
  });

  it('finds the global tracer provider at call time: wrapping before it is registered still records', async () => {
    const client = wrapOpenAI(testbed.client());
    const agent = recordingAgent(testbed.collector);
    trace.setGlobalTracerProvider(agent.facto.provider);
    testbed.fake.reply({ json: chatCompletion() });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect((await agent.landed()).map((span) => span.name)).toEqual(['chat gpt-4o-mini']);
  });

  it('a client derived with withOptions is recorded too', async () => {
    const { agent, client } = testbed.agent();
    testbed.fake.reply({ json: chatCompletion() });
    await client.withOptions({ timeout: 5_000 }).chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect((await agent.landed()).map((span) => span.name)).toEqual(['chat gpt-4o-mini']);
  });
});

describe('content details', () => {
  it('records one output message and one finish reason per choice, in choice order', async () => {
    const { agent, client } = testbed.agent();
    const reply = chatCompletion();
    const second = { ...reply.choices[0]!, index: 1, message: { ...reply.choices[0]!.message, content: 'It is in Lisbon.' }, finish_reason: 'length' };
    testbed.fake.reply({ json: { ...reply, choices: [second, reply.choices[0]] } });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages, n: 2 });
    const span = only(await agent.landed(), 'chat gpt-4o-mini');
    expect(span.attributes['gen_ai.request.choice.count']).toBe(2);
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['stop', 'length']);
    expect(content(span, 'gen_ai.output.messages').map((message: { parts: { content: string }[] }) => message.parts[0]!.content)).toEqual(['Order 1042 ships today.', 'It is in Lisbon.']);
  });

  it('records an inline image as a blob part named by size and SHA-256, never its base64', async () => {
    const { agent, client } = testbed.agent();
    const image = Buffer.alloc(48_000, 7);
    const base64 = image.toString('base64');
    testbed.fake.reply({ json: chatCompletion({ content: 'A grey square.' }) });
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${base64}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/receipt.png' } },
          ],
        },
      ],
    });
    expect(testbed.fake.requests.at(-1)!.body.messages[0].content[1].image_url.url).toContain(base64);
    const span = only(await agent.landed(), 'chat gpt-4o-mini');
    expect(content(span, 'gen_ai.input.messages')).toEqual([
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'What is this?' },
          { type: 'blob', mime_type: 'image/png', modality: 'image', size: 48_000, sha256: createHash('sha256').update(image).digest('hex') },
          { type: 'uri', uri: 'https://example.com/receipt.png', modality: 'image' },
        ],
      },
    ]);
    expect(JSON.stringify(span.attributes)).not.toContain(base64.slice(0, 64));
  });

  it('caps each content attribute in bytes and keeps it valid JSON in its shape', async () => {
    const { agent, client } = testbed.agent({ maxContentBytes: 2048 });
    const long = 'The customer wrote at length. '.repeat(400);
    testbed.fake.reply({ json: chatCompletion() });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: long }] });
    const span = only(await agent.landed(), 'chat gpt-4o-mini');
    const text = span.attributes['gen_ai.input.messages'] as string;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
    const input = JSON.parse(text);
    expect(input[0]).toEqual({ role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] });
    expect(input[1].role).toBe('user');
    expect(input[1].parts[0].content).toMatch(/^The customer wrote at length\. .*…\[truncated \d+ characters\]$/);
    expect(content(span, 'gen_ai.output.messages')[0].parts[0].content).toBe('Order 1042 ships today.');
  });
});
