import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { responses } from './responses.js';
import { recording } from './test-helpers/recording.js';

function recordResponse(response: Record<string, unknown>) {
  const record = recording();
  const span = record.inference();
  responses.response(span, { id: 'resp_1', model: 'gpt-4.1', output: [], ...response }, { model: 'gpt-4.1' });
  span.end();
  return record.finished();
}

describe('responses mapping', () => {
  it.each([
    [{ status: 'completed', output: [{ type: 'message', content: [] }] }, 'stop'],
    [{ status: 'completed', output: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }] }, 'tool_call'],
    [{ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }, 'length'],
    [{ status: 'incomplete', incomplete_details: { reason: 'content_filter' } }, 'content_filter'],
    [{ status: 'failed', error: { code: 'server_error', message: 'The model failed.' } }, 'error'],
  ])('maps %j to the finish reason %s', (response, finishReason) => {
    expect(recordResponse(response).attributes['gen_ai.response.finish_reasons']).toEqual([finishReason]);
  });

  it('records a failed response as an error of its error code', () => {
    const span = recordResponse({ status: 'failed', error: { code: 'server_error', message: 'The model failed.' } });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'The model failed.' });
    expect(span.attributes['error.type']).toBe('server_error');
  });

  it('reads the conversation id the provider keeps, and nothing else, as the conversation id', () => {
    expect(responses.start({ model: 'gpt-4.1', conversation: 'conv_1' })).toEqual({ model: 'gpt-4.1', conversationId: 'conv_1' });
    expect(responses.start({ model: 'gpt-4.1', conversation: { id: 'conv_2' } }).conversationId).toBe('conv_2');
    expect(responses.start({ model: 'gpt-4.1', previous_response_id: 'resp_0' }).conversationId).toBeUndefined();
  });

  it('records a stream that ended before response.completed from what had arrived', () => {
    const record = recording();
    const span = record.inference();
    const recorder = responses.stream!(span, { model: 'gpt-4.1-mini', stream: true });
    recorder.add({ type: 'response.created', response: { id: 'resp_7', model: 'gpt-4.1-mini', status: 'in_progress', output: [] } });
    recorder.add({ type: 'response.output_item.done', item: { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"order":7}' } });
    recorder.add({ type: 'response.output_text.delta', delta: 'Looking' });
    recorder.add({ type: 'error', code: 'server_error', message: 'Stream interrupted.' });
    recorder.finish();
    span.end();
    const finished = record.finished();
    expect(finished.attributes).toMatchObject({ 'gen_ai.response.id': 'resp_7', 'gen_ai.response.model': 'gpt-4.1-mini', 'gen_ai.response.finish_reasons': ['error'], 'error.type': 'server_error' });
    expect(record.content('gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'lookup', arguments: { order: 7 } }], finish_reason: 'error' }]);
  });
});
