import { describe, expect, it } from 'vitest';
import { ChatStreamRecorder } from './chat-stream.js';
import { recording } from './test-helpers/recording.js';

const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ id: 'chatcmpl-9', model: 'gpt-4o-2024-08-06', object: 'chat.completion.chunk', choices, ...extra });

describe('ChatStreamRecorder', () => {
  it('merges tool-call deltas by index, across choices, and takes usage from the final chunk', () => {
    const record = recording();
    const span = record.inference();
    const recorder = new ChatStreamRecorder(span);
    for (const item of [
      chunk([{ index: 0, delta: { role: 'assistant' } }, { index: 1, delta: { role: 'assistant', content: 'Second ' } }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '{"y":' } }] } }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '{"x":1}' } }] } }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 1, function: { name: 'b', arguments: '2}' } }] }, finish_reason: 'tool_calls' }]),
      chunk([{ index: 1, delta: { content: 'choice.' }, finish_reason: 'stop' }]),
      chunk([], { usage: { prompt_tokens: 11, completion_tokens: 5 } }),
    ]) {
      recorder.add(item);
    }
    recorder.finish();
    span.end();
    expect(record.finished().attributes).toMatchObject({
      'gen_ai.response.id': 'chatcmpl-9',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['tool_call', 'stop'],
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 5,
    });
    expect(record.content('gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: 'call_a', name: 'a', arguments: { x: 1 } },
          { type: 'tool_call', id: 'call_b', name: 'b', arguments: { y: 2 } },
        ],
        finish_reason: 'tool_call',
      },
      { role: 'assistant', parts: [{ type: 'text', content: 'Second choice.' }], finish_reason: 'stop' },
    ]);
  });

  it('gives an unfinished choice the finish reason "error", keeps what arrived, and invents no usage', () => {
    const record = recording();
    const span = record.inference();
    const recorder = new ChatStreamRecorder(span);
    recorder.add(chunk([{ index: 0, delta: { role: 'assistant', content: 'Partial' } }]));
    recorder.add('not a chunk');
    recorder.finish();
    span.end();
    const attributes = record.finished().attributes;
    expect(attributes['gen_ai.response.finish_reasons']).toEqual(['error']);
    expect(Object.keys(attributes).filter((key) => key.startsWith('gen_ai.usage'))).toEqual([]);
    expect(record.content('gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Partial' }], finish_reason: 'error' }]);
  });

  it('takes the first non-empty id and model: Azure opens with a prompt-filter chunk whose id and model are empty', () => {
    const record = recording();
    const span = record.inference();
    const recorder = new ChatStreamRecorder(span);
    recorder.add({ id: '', model: '', object: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] });
    recorder.add(chunk([{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], { id: 'chatcmpl-az', model: 'gpt-4o-2024-11-20' }));
    recorder.finish();
    span.end();
    expect(record.finished().attributes).toMatchObject({ 'gen_ai.response.id': 'chatcmpl-az', 'gen_ai.response.model': 'gpt-4o-2024-11-20' });
  });
});
