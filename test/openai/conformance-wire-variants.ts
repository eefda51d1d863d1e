/**
 * Replies that differ from the plain chat completion the other suites use, as real servers send
 * them: an Azure OpenAI stream that opens with an empty prompt-filter chunk. The real client reads
 * them from the fake server; the spans are read back from the real collector.
 */
import { describe, expect, it } from 'vitest';
import { azureChatChunks } from '../support/openai-fixtures.js';
import { content, only } from '../support/landed-spans.js';
import type { ClientUnderTest, Testbed } from '../support/openai-testbed.js';

const messages = [{ role: 'user' as const, content: 'Where is order 1042?' }];

export function conformanceWireVariants(version: ClientUnderTest, testbed: Testbed): void {
  describe(`${version.label}: wire variants`, () => {
    it('an Azure stream keeps the response id and model that follow its empty prompt-filter chunk', async () => {
      const { agent, client } = testbed.agent({ providerName: 'azure.ai.openai' });
      testbed.fake.reply({ sse: azureChatChunks(['Order 1042 ', 'ships today.']) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
      const ids = new Set<string>();
      for await (const chunk of stream) ids.add(chunk.id);
      expect([...ids]).toEqual(['', 'chatcmpl-azure']);

      const span = only(await agent.landed(), 'chat gpt-4o');
      expect(span.attributes).toMatchObject({
        'gen_ai.provider.name': 'azure.ai.openai',
        'gen_ai.response.id': 'chatcmpl-azure',
        'gen_ai.response.model': 'gpt-4o-2024-11-20',
        'gen_ai.response.finish_reasons': ['stop'],
        'facto.stream.outcome': 'completed',
      });
      expect(content(span, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Order 1042 ships today.' }], finish_reason: 'stop' }]);
    });
  });
}
