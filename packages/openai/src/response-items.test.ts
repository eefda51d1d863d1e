import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { responsesInputMessages, responsesOutputParts, responsesToolDefinitions } from './response-items.js';

describe('Responses API items', () => {
  it('turns a string input into one user message', () => {
    expect(responsesInputMessages('Refund order 1042?')).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Refund order 1042?' }] }]);
    expect(responsesInputMessages(undefined)).toBeUndefined();
  });

  it('maps each input item to a message in order, media as blob/uri/file parts', () => {
    const jpeg = Buffer.from('jpeg bytes');
    const pdf = Buffer.from('%PDF');
    expect(
      responsesInputMessages([
        { role: 'developer', content: 'Be brief.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'Receipt attached' },
            { type: 'input_image', image_url: `data:image/jpeg;base64,${jpeg.toString('base64')}`, detail: 'auto' },
            { type: 'input_image', file_id: 'file-img' },
            { type: 'input_file', file_data: pdf.toString('base64'), filename: 'r.pdf' },
            { type: 'input_file', file_url: 'https://example.com/r.pdf' },
          ],
        },
        { type: 'reasoning', id: 'rs', summary: [{ type: 'summary_text', text: 'Needs lookup.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"order":1042}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'shipped' },
        { type: 'item_reference', id: 'msg_0' },
      ]),
    ).toEqual([
      { role: 'developer', parts: [{ type: 'text', content: 'Be brief.' }] },
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Receipt attached' },
          { type: 'blob', mime_type: 'image/jpeg', modality: 'image', size: jpeg.length, sha256: createHash('sha256').update(jpeg).digest('hex') },
          { type: 'file', file_id: 'file-img', modality: 'image' },
          { type: 'blob', mime_type: null, modality: 'document', size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex') },
          { type: 'uri', uri: 'https://example.com/r.pdf', modality: 'document' },
        ],
      },
      { role: 'assistant', parts: [{ type: 'reasoning', content: 'Needs lookup.' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup', arguments: { order: 1042 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'shipped' }] },
      { role: 'assistant', parts: [{ type: 'item_reference', id: 'msg_0' }] },
    ]);
  });

  it('keeps built-in tool calls in the output whole, as parts of their own type', () => {
    expect(
      responsesOutputParts([
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'refund law' } },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done.' }, { type: 'refusal', refusal: 'No.' }] },
      ]),
    ).toEqual([
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'refund law' } },
      { type: 'text', content: 'Done.' },
      { type: 'refusal', content: 'No.' },
    ]);
  });

  it('names built-in tools by their type in tool definitions', () => {
    expect(responsesToolDefinitions([{ type: 'function', name: 'refund', description: null, parameters: { type: 'object' }, strict: true }, { type: 'web_search' }])).toEqual([
      { type: 'function', name: 'refund', description: null, parameters: { type: 'object' } },
      { type: 'web_search', name: 'web_search' },
    ]);
  });
});
