import { describe, expect, it } from 'vitest';
import { filePart, inputMessages, toolDefinitions } from './prompt-messages.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
const PNG_SHA256 = '0f4636c78f65d3639ece5a064b5ae753e3408614a14fb18ab4d7540d2c248543';

describe('inputMessages', () => {
  it('keeps the prompt’s order and roles, system messages included, in the conventions’ parts', () => {
    const prompt = [
      { role: 'system', content: 'You are a support agent.' },
      { role: 'user', content: [{ type: 'text', text: 'Where is order 1042?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'I should look it up.' },
          { type: 'tool-call', toolCallId: 'call-1', toolName: 'lookup_order', input: { order: 1042 } },
        ],
      },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call-1', toolName: 'lookup_order', output: { type: 'json', value: { status: 'shipped' } } }] },
    ];
    expect(inputMessages(prompt)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are a support agent.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'I should look it up.' },
          { type: 'tool_call', id: 'call-1', name: 'lookup_order', arguments: { order: 1042 } },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call-1', response: { status: 'shipped' } }] },
    ]);
  });

  it('records each kind of tool output as the model is sent it', () => {
    const result = (output: unknown) => inputMessages([{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', toolName: 't', output }] }])![0]!.parts[0];
    expect(result({ type: 'text', value: 'plain' })).toEqual({ type: 'tool_call_response', id: 'c', response: 'plain' });
    expect(result({ type: 'error-text', value: 'boom' })).toEqual({ type: 'tool_call_response', id: 'c', response: 'boom' });
    expect(result({ type: 'execution-denied', reason: 'not allowed' })).toEqual({ type: 'tool_call_response', id: 'c', response: { denied: true, reason: 'not allowed' } });
    expect(result({ type: 'content', value: [{ type: 'text', text: 'part' }] })).toEqual({ type: 'tool_call_response', id: 'c', response: [{ type: 'text', content: 'part' }] });
  });

  it('gives a part type it does not know by its type alone, and reads nothing from a prompt that is not a list', () => {
    expect(inputMessages([{ role: 'assistant', content: [{ type: 'x-custom', secret: 'kept out' }] }])).toEqual([{ role: 'assistant', parts: [{ type: 'x-custom' }] }]);
    expect(inputMessages(undefined)).toBeUndefined();
  });
});

describe('filePart: file data of specification v3 and v4', () => {
  it('names inline bytes by size and SHA-256 instead of carrying them', () => {
    const blob = { type: 'blob', mime_type: 'image/png', modality: 'image', size: 4, sha256: PNG_SHA256 };
    expect(filePart(PNG, 'image/png')).toEqual(blob);
    expect(filePart(Buffer.from(PNG).toString('base64'), 'image/png')).toEqual(blob);
    expect(filePart({ type: 'data', data: PNG }, 'image/png')).toEqual(blob);
    expect(filePart(`data:image/png;base64,${Buffer.from(PNG).toString('base64')}`, undefined)).toEqual(blob);
  });

  it('keeps a URL as a uri part, a provider file reference as a file part', () => {
    expect(filePart(new URL('https://example.com/a.pdf'), 'application/pdf')).toEqual({ type: 'uri', uri: 'https://example.com/a.pdf', mime_type: 'application/pdf', modality: 'document' });
    expect(filePart({ type: 'url', url: new URL('https://example.com/b.png') }, 'image/png')).toEqual({ type: 'uri', uri: 'https://example.com/b.png', mime_type: 'image/png', modality: 'image' });
    expect(filePart({ type: 'reference', reference: { openai: 'file-abc' } }, 'application/pdf')).toEqual({ type: 'file', mime_type: 'application/pdf', file_id: 'file-abc' });
  });

  it('names a text file’s bytes too', () => {
    expect(filePart({ type: 'text', text: 'abc' }, 'text/plain')).toMatchObject({ type: 'blob', mime_type: 'text/plain', size: 3 });
  });
});

describe('toolDefinitions', () => {
  it('records function tools with their schema and provider tools by name and id', () => {
    const schema = { type: 'object', properties: { order: { type: 'number' } } };
    expect(
      toolDefinitions([
        { type: 'function', name: 'lookup_order', description: 'Finds an order', inputSchema: schema },
        { type: 'provider', id: 'openai.web_search', name: 'web_search', args: {} },
      ]),
    ).toEqual([
      { type: 'function', name: 'lookup_order', description: 'Finds an order', parameters: schema },
      { type: 'provider', name: 'web_search', id: 'openai.web_search' },
    ]);
  });
});
