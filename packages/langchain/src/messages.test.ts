import { createHash } from 'node:crypto';
import { AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { inputMessages, outputMessage, toolResponse } from './messages.js';

const pngBase64 = Buffer.from('a tiny png, as far as this test cares').toString('base64');
const pngDigest = createHash('sha256').update(Buffer.from(pngBase64, 'base64')).digest('hex');
const pngBlob = { type: 'blob', mime_type: 'image/png', modality: 'image', size: Buffer.from(pngBase64, 'base64').length, sha256: pngDigest };

describe('inputMessages', () => {
  it('keeps the order and maps LangChain message types to the conventions roles', () => {
    const messages = inputMessages([
      new SystemMessage('You answer questions about orders.'),
      new HumanMessage({ content: 'Where is order 1042?', name: 'dana' }),
      new AIMessage({ content: '', tool_calls: [{ name: 'lookup_order', args: { order: 1042 }, id: 'call_1', type: 'tool_call' }] }),
      new ToolMessage({ content: '{"status":"shipped"}', tool_call_id: 'call_1' }),
      new ChatMessage({ content: 'Escalated.', role: 'supervisor' }),
    ]);
    expect(messages).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You answer questions about orders.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }], name: 'dana' },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { order: 1042 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { status: 'shipped' } }] },
      { role: 'supervisor', parts: [{ type: 'text', content: 'Escalated.' }] },
    ]);
  });

  it('names inline images by size and SHA-256 in every spelling LangChain accepts, and keeps image URLs', () => {
    const [message] = inputMessages([
      new HumanMessage({
        content: [
          { type: 'text', text: 'What is on these?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${pngBase64}` } },
          { type: 'image', source_type: 'base64', data: pngBase64, mime_type: 'image/png' },
          { type: 'image', data: pngBase64, mimeType: 'image/png' },
          { type: 'image', url: 'https://example.com/parcel.jpg' },
        ],
      }),
    ]);
    expect(message!.parts).toEqual([
      { type: 'text', content: 'What is on these?' },
      pngBlob,
      pngBlob,
      pngBlob,
      { type: 'uri', uri: 'https://example.com/parcel.jpg', modality: 'image' },
    ]);
    expect(JSON.stringify(message)).not.toContain(pngBase64);
  });

  it('keeps a block type it does not know under its own type', () => {
    const [message] = inputMessages([new HumanMessage({ content: [{ type: 'text-plain', text: 'invoice.txt body', mimeType: 'text/plain' }] })]);
    expect(message!.parts).toEqual([{ type: 'text-plain', text: 'invoice.txt body', mimeType: 'text/plain' }]);
  });
});

describe('outputMessage', () => {
  it('records reasoning, text and tool calls, in that order, with the finish reason', () => {
    const message = new AIMessage({
      content: [
        { type: 'thinking', thinking: 'The order number is in the question.' },
        { type: 'text', text: 'Let me look that up.' },
      ],
      tool_calls: [{ name: 'lookup_order', args: { order: 1042 }, id: 'toolu_1', type: 'tool_call' }],
      response_metadata: { model_provider: 'anthropic' },
    });
    expect(outputMessage(message, 'tool_use')).toEqual({
      role: 'assistant',
      parts: [
        { type: 'reasoning', content: 'The order number is in the question.' },
        { type: 'text', content: 'Let me look that up.' },
        { type: 'tool_call', id: 'toolu_1', name: 'lookup_order', arguments: { order: 1042 } },
      ],
      finish_reason: 'tool_use',
    });
  });

  it('records reasoning an integration left in additional_kwargs', () => {
    const message = new AIMessage({ content: 'Shipped.', additional_kwargs: { reasoning_content: 'Checked the carrier.' } });
    expect(outputMessage(message, 'stop').parts).toEqual([
      { type: 'reasoning', content: 'Checked the carrier.' },
      { type: 'text', content: 'Shipped.' },
    ]);
  });
});

describe('toolResponse', () => {
  it('is the JSON a tool returned as text, text that is not JSON as it is, and text blocks joined', () => {
    expect(toolResponse('{"refunded":40}')).toEqual({ refunded: 40 });
    expect(toolResponse('refunded 40 EUR')).toBe('refunded 40 EUR');
    expect(toolResponse([{ type: 'text', text: '{"refunded":' }, { type: 'text', text: '40}' }])).toEqual({ refunded: 40 });
  });
});
