import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chatInputMessages, chatOutputMessage, chatToolDefinitions } from './chat-messages.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('chatInputMessages', () => {
  it('keeps the order sent, system messages included, and turns tool turns into tool_call / tool_call_response parts', () => {
    expect(
      chatInputMessages([
        { role: 'system', content: 'You are a refund assistant.' },
        { role: 'user', name: 'customer-311', content: 'Refund order 1042' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: '{"order":1042}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"total":40}' },
        { role: 'assistant', content: [{ type: 'text', text: 'Refunded.' }], refusal: 'I cannot refund shipping.' },
      ]),
    ).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a refund assistant.' }] },
      { role: 'user', name: 'customer-311', parts: [{ type: 'text', content: 'Refund order 1042' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { order: 1042 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { total: 40 } }] },
      { role: 'assistant', parts: [{ type: 'text', content: 'Refunded.' }, { type: 'refusal', content: 'I cannot refund shipping.' }] },
    ]);
  });

  it('keeps arguments that are not JSON as the text the model wrote', () => {
    const [message] = chatInputMessages([{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"order":' } }] }])!;
    expect(message!.parts).toEqual([{ type: 'tool_call', id: 'c', name: 'f', arguments: '{"order":' }]);
  });

  it('records images, audio and files as blob, uri and file parts', () => {
    const png = Buffer.from('png bytes');
    const wav = Buffer.from('wav bytes');
    const pdf = Buffer.from('%PDF-1.7');
    const [message] = chatInputMessages([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}`, detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
          { type: 'input_audio', input_audio: { data: wav.toString('base64'), format: 'wav' } },
          { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf.toString('base64')}`, filename: 'receipt.pdf' } },
          { type: 'file', file: { file_data: pdf.toString('base64') } },
          { type: 'file', file: { file_id: 'file-123' } },
        ],
      },
    ])!;
    expect(message!.parts).toEqual([
      { type: 'blob', mime_type: 'image/png', modality: 'image', size: png.length, sha256: sha256(png) },
      { type: 'uri', uri: 'https://example.com/a.jpg', modality: 'image' },
      { type: 'blob', mime_type: 'audio/wav', modality: 'audio', size: wav.length, sha256: sha256(wav) },
      { type: 'blob', mime_type: 'application/pdf', modality: 'document', size: pdf.length, sha256: sha256(pdf) },
      { type: 'blob', mime_type: null, modality: 'document', size: pdf.length, sha256: sha256(pdf) },
      { type: 'file', file_id: 'file-123', modality: 'document' },
    ]);
  });

  it('ignores what is not a message list', () => {
    expect(chatInputMessages('hello')).toBeUndefined();
    expect(chatInputMessages([null, 3, { role: 'user', content: 'ok' }])).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'ok' }] }]);
  });
});

describe('chatOutputMessage and chatToolDefinitions', () => {
  it('puts reasoning first, then text, refusal and tool calls, with the finish reason', () => {
    expect(chatOutputMessage({ role: 'assistant', reasoning_content: 'Check the policy.', content: 'Approved.', tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'grep', input: 'refund' } }] }, 'stop')).toEqual({
      role: 'assistant',
      parts: [
        { type: 'reasoning', content: 'Check the policy.' },
        { type: 'text', content: 'Approved.' },
        { type: 'tool_call', id: 'c', name: 'grep', arguments: 'refund' },
      ],
      finish_reason: 'stop',
    });
  });

  it('flattens function tools into the conventions’ definition shape', () => {
    expect(
      chatToolDefinitions([
        { type: 'function', function: { name: 'lookup_order', description: 'Finds an order', parameters: { type: 'object' }, strict: true } },
        { type: 'custom', custom: { name: 'grep' } },
      ]),
    ).toEqual([
      { type: 'function', name: 'lookup_order', description: 'Finds an order', parameters: { type: 'object' } },
      { type: 'custom', name: 'grep' },
    ]);
    expect(chatToolDefinitions(undefined)).toBeUndefined();
  });
});
