/**
 * What the wrapper promises beyond the mapping: spans nest under the agent's own spans; a call made
 * under another integration's inference span adds no second one; content stays out when capture is
 * off at the source, and leaves the process only as commitments under capture `hashes`; wrapping
 * twice changes nothing; and when the instrumentation itself breaks, the caller gets exactly the
 * result or error an unwrapped client gives, with the failure reported once through diag.
 */
import { context, diag, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { createGenAIInstrumentation } from '@facto/genai';
import { wrapOpenAI } from '@facto/openai';
import { chatCompletion, chatTextChunks, responseObject } from '../support/openai-fixtures.js';
import { only } from '../support/landed-spans.js';
import type { ClientUnderTest, Testbed } from '../support/openai-testbed.js';

const messages = [{ role: 'user' as const, content: 'Card 4111 1111 1111 1111, refund order 1042' }];
const CONTENT_KEYS = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.tool.definitions', 'gen_ai.system_instructions'];

/** A provider whose spans throw from every method: instrumentation broken at its core. */
function brokenProvider(): TracerProvider {
  const noSpan = { getTracer: () => ({ startSpan: () => brokenSpan() }) as unknown as Tracer };
  return noSpan;
}

function brokenSpan(): Span {
  return new Proxy({} as Span, {
    get: (_target, property) => () => {
      throw new Error(`span.${String(property)} is broken`);
    },
  });
}

export function conformanceSafety(version: ClientUnderTest, testbed: Testbed): void {
  describe(`${version.label}: nesting, content and safety`, () => {
    it('under an agent span, the model call is its child and carries the agent’s name', async () => {
      const { agent, client } = testbed.agent();
      const genai = createGenAIInstrumentation({ name: 'test-agent' }, { tracerProvider: agent.facto.provider });
      testbed.fake.reply({ json: chatCompletion() });
      await genai.runAgent({ name: 'support-agent' }, () => client.chat.completions.create({ model: 'gpt-4o-mini', messages }));
      const spans = await agent.landed();
      const agentSpan = only(spans, 'invoke_agent support-agent');
      const chat = only(spans, 'chat gpt-4o-mini');
      expect(chat.parentSpanId).toBe(agentSpan.spanId);
      expect(chat.attributes['gen_ai.agent.name']).toBe('support-agent');
    });

    it('under another integration’s inference span, the call adds no second inference span', async () => {
      const { agent, client } = testbed.agent();
      const framework = createGenAIInstrumentation({ name: 'a-framework' }, { tracerProvider: agent.facto.provider });
      testbed.fake.reply({ json: chatCompletion() });
      const outer = framework.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini' })!;
      const completion = await context.with(outer.context, () => client.chat.completions.create({ model: 'gpt-4o-mini', messages }));
      outer.usage({ inputTokens: completion.usage?.prompt_tokens });
      outer.end();
      const spans = await agent.landed();
      expect(spans).toHaveLength(1);
      expect(spans[0]!.attributes['gen_ai.usage.input_tokens']).toBe(42);
      expect(testbed.fake.requests.at(-1)!.path).toBe('/v1/chat/completions');
    });

    it('captureContent: false records no content at all, not even a commitment', async () => {
      const { agent, client } = testbed.agent({ captureContent: false });
      testbed.fake.reply({ json: chatCompletion() });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      const span = only(await agent.landed(), 'chat gpt-4o-mini');
      expect(span.committed).toEqual([]);
      expect(Object.keys(span.attributes).filter((key) => CONTENT_KEYS.includes(key))).toEqual([]);
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(7);
    });

    it('capture "hashes": content is signed as commitments and its values never leave the process', async () => {
      const { agent, client } = testbed.agent({ capture: 'hashes' });
      testbed.fake.reply({ json: responseObject() });
      await client.responses.create({ model: 'gpt-4.1', instructions: 'Be brief.', input: messages });
      const span = only(await agent.landed(), 'chat gpt-4.1');
      expect([...span.committed].sort()).toEqual(['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions']);
      expect(JSON.stringify(span)).not.toContain('4111');
    });

    it('wrapping twice is wrapping once', async () => {
      const { agent, client } = testbed.agent();
      expect(wrapOpenAI(client, { tracerProvider: agent.facto.provider })).toBe(client);
      testbed.fake.reply({ json: chatCompletion() });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(await agent.landed()).toHaveLength(1);
    });

    it('broken instrumentation leaves results, streams and errors exactly as an unwrapped client gives them', async () => {
      const reported = vi.spyOn(diag, 'error').mockImplementation(() => undefined);
      vi.spyOn(diag, 'debug').mockImplementation(() => undefined);
      const plain = testbed.client();
      const wrapped = wrapOpenAI(testbed.client(), { tracerProvider: brokenProvider() });
      const runBoth = async <T>(call: (client: typeof plain) => Promise<T>, reply: Parameters<typeof testbed.fake.reply>[0]) => {
        testbed.fake.reply(reply, reply);
        return [await call(plain).catch((error: unknown) => error), await call(wrapped).catch((error: unknown) => error)];
      };

      const [plainCompletion, wrappedCompletion] = await runBoth((client) => client.chat.completions.create({ model: 'gpt-4o-mini', messages }), { json: chatCompletion() });
      expect(wrappedCompletion).toEqual(plainCompletion);

      const readAll = async (client: typeof plain) => {
        const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
        const chunks: unknown[] = [stream instanceof version.Stream];
        for await (const chunk of stream) chunks.push(chunk);
        return chunks;
      };
      const [plainChunks, wrappedChunks] = await runBoth(readAll, { sse: chatTextChunks(['a', 'b']) });
      expect(wrappedChunks).toEqual(plainChunks);

      const [plainError, wrappedError] = await runBoth((client) => client.chat.completions.create({ model: 'gpt-4o-mini', messages }), {
        error: { status: 429, message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
      });
      expect(wrappedError).toBeInstanceOf(version.OpenAI.RateLimitError);
      expect(wrappedError).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: (plainError as Error).message });

      expect(reported).toHaveBeenCalled();
      expect(reported.mock.calls.every(([message]) => String(message).startsWith('@facto/openai: '))).toBe(true);
      const sites = reported.mock.calls.map(([message]) => String(message).split(' failed')[0]);
      expect(new Set(sites).size).toBe(sites.length);
    });
  });
}
