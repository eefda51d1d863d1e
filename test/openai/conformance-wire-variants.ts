/**
 * Replies that differ from the plain chat completion the other suites use, as real servers send
 * them: an Azure OpenAI stream that opens with an empty prompt-filter chunk, and audio replies
 * (complete, streamed, and sent back by id in the next turn). The real client reads them from the
 * fake server; the spans are read back from the real collector.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { audioChunks, audioCompletion, azureChatChunks } from '../support/openai-fixtures.js';
import { content, only } from '../support/landed-spans.js';
import type { ClientUnderTest, Testbed } from '../support/openai-testbed.js';

const messages = [{ role: 'user' as const, content: 'Where is order 1042?' }];
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const transcript = 'Your order 1042 has shipped.';

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

    it('an audio reply: its transcript as text, its audio as a blob named by size, SHA-256 and audio id, never its bytes', async () => {
      const { agent, client } = testbed.agent();
      const wav = Buffer.alloc(6_000, 7);
      testbed.fake.reply({ json: audioCompletion({ id: 'audio_1042', data: wav, transcript }) });
      const completion = await client.chat.completions.create({ model: 'gpt-4o-audio-preview', modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' }, messages });
      expect(completion.choices[0]!.message.audio).toMatchObject({ id: 'audio_1042', transcript, data: wav.toString('base64') });

      const span = only(await agent.landed(), 'chat gpt-4o-audio-preview');
      expect(content(span, 'gen_ai.output.messages')).toEqual([
        {
          role: 'assistant',
          parts: [
            { type: 'text', content: transcript },
            { type: 'blob', mime_type: 'audio/wav', modality: 'audio', size: wav.length, sha256: sha256(wav), id: 'audio_1042' },
          ],
          finish_reason: 'stop',
        },
      ]);
      expect(JSON.stringify(span.attributes)).not.toContain(wav.toString('base64').slice(0, 64));
    });

    it('the next turn, which sends the audio reply back by id, names that audio in its history', async () => {
      const { agent, client } = testbed.agent();
      testbed.fake.reply({ json: audioCompletion({ id: 'audio_1043', data: Buffer.from('second reply'), transcript: 'You are welcome.' }) });
      await client.chat.completions.create({
        model: 'gpt-4o-audio-preview',
        modalities: ['text', 'audio'],
        audio: { voice: 'alloy', format: 'mp3' },
        messages: [...messages, { role: 'assistant', audio: { id: 'audio_1042' } }, { role: 'user', content: 'Thanks.' }],
      });
      const span = only(await agent.landed(), 'chat gpt-4o-audio-preview');
      expect(content(span, 'gen_ai.input.messages')).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }] },
        { role: 'assistant', parts: [{ type: 'audio', id: 'audio_1042' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Thanks.' }] },
      ]);
      expect(content(span, 'gen_ai.output.messages')[0].parts[1]).toMatchObject({ type: 'blob', mime_type: 'audio/mp3', id: 'audio_1043' });
    });

    it('a streamed audio reply: the transcript joined, the audio one blob over every data piece', async () => {
      const { agent, client } = testbed.agent();
      const pieces = [Buffer.alloc(1_001, 1), Buffer.alloc(1_001, 2), Buffer.alloc(500, 3)];
      testbed.fake.reply({ sse: audioChunks({ id: 'audio_1044', transcript: ['Your order ', '1042 ', 'has shipped.'], data: pieces }) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-audio-preview', modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'pcm16' }, messages, stream: true });
      let heard = '';
      for await (const chunk of stream) heard += (chunk.choices[0]?.delta as { audio?: { transcript?: string } } | undefined)?.audio?.transcript ?? '';
      expect(heard).toBe(transcript);

      const span = only(await agent.landed(), 'chat gpt-4o-audio-preview');
      expect(span.attributes).toMatchObject({ 'gen_ai.response.id': 'chatcmpl-audio-stream', 'gen_ai.response.finish_reasons': ['stop'], 'facto.stream.outcome': 'completed' });
      const audio = Buffer.concat(pieces);
      expect(content(span, 'gen_ai.output.messages')).toEqual([
        {
          role: 'assistant',
          parts: [
            { type: 'text', content: transcript },
            { type: 'blob', mime_type: 'audio/pcm16', modality: 'audio', size: audio.length, sha256: sha256(audio), id: 'audio_1044' },
          ],
          finish_reason: 'stop',
        },
      ]);
    });

    it('an audio reply with content capture off leaves no trace of what was said', async () => {
      const { agent, client } = testbed.agent({ captureContent: false });
      testbed.fake.reply({ sse: audioChunks({ id: 'audio_1045', transcript: [transcript], data: [Buffer.alloc(300, 9)] }) });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-audio-preview', modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'pcm16' }, messages, stream: true });
      for await (const _ of stream);
      const span = only(await agent.landed(), 'chat gpt-4o-audio-preview');
      expect(Object.keys(span.attributes).filter((key) => key.endsWith('.messages'))).toEqual([]);
      expect(JSON.stringify(span.attributes)).not.toContain('shipped');
      expect(JSON.stringify(span.attributes)).not.toContain('audio_1045');
    });
  });
}
