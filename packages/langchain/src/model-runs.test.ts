import { AIMessage, AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { createGenAIInstrumentation, type InferenceSpan } from '@facto/genai';
import { inferenceStart, recordChatInput, recordRequest, recordResult } from './model-runs.js';
import { providerName } from './providers.js';
import { recording } from './test-helpers/recording.js';

const chatOpenAI = ['langchain', 'chat_models', 'openai', 'ChatOpenAI'];

function recordedInference(): { span: InferenceSpan; attributes(): Record<string, unknown>; content(key: string): unknown } {
  const recorded = recording();
  const span = createGenAIInstrumentation({ name: '@facto/langchain-test' }, { tracerProvider: recorded.provider }).startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o' })!;
  const finished = () => {
    span.end();
    return recorded.span('chat gpt-4o');
  };
  return { span, attributes: () => ({ ...finished().attributes }), content: (key) => JSON.parse(String(finished().attributes[key])) };
}

describe('inferenceStart', () => {
  it('takes provider and model from the metadata LangChain gives a model run, the conversation from thread_id', () => {
    expect(inferenceStart('chat', { id: chatOpenAI }, {}, { ls_provider: 'openai', ls_model_name: 'gpt-4o-mini', thread_id: 'thread-7' })).toEqual({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      conversationId: 'thread-7',
    });
    expect(inferenceStart('chat', { id: chatOpenAI }, { invocation_params: { model_name: 'claude-sonnet-4' } }, { ls_provider: 'anthropic', thread_id: 42 })).toEqual({
      operation: 'chat',
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      conversationId: '42',
    });
    expect(inferenceStart('chat', { id: ['langchain', 'chat_models', 'ollama', 'ChatOllama'] }, {}, {})).toEqual({ operation: 'chat', provider: 'ollama' });
  });
});

describe('providerName', () => {
  it('uses the conventions names where they exist and keeps any other as LangChain spells it', () => {
    expect(providerName('azure', [])).toBe('azure.ai.openai');
    expect(providerName('google_vertexai', [])).toBe('gcp.vertex_ai');
    expect(providerName('bedrock', [])).toBe('aws.bedrock');
    expect(providerName('xai', [])).toBe('x_ai');
    expect(providerName('fireworks', [])).toBe('fireworks');
    expect(providerName(undefined, [])).toBe('langchain');
  });
});

describe('recordRequest', () => {
  it('records request parameters under the spellings integrations use, and stream only when true', () => {
    const openai = recordedInference();
    recordRequest(openai.span, { invocation_params: { model: 'gpt-4o', temperature: 0.2, max_tokens: 200, top_p: 0.9, frequency_penalty: 0.1, presence_penalty: 0.3, stop: ['\n\n'], seed: 7, n: 2, stream: false } }, {});
    expect(openai.attributes()).toMatchObject({
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 200,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.frequency_penalty': 0.1,
      'gen_ai.request.presence_penalty': 0.3,
      'gen_ai.request.stop_sequences': ['\n\n'],
      'gen_ai.request.seed': 7,
      'gen_ai.request.choice.count': 2,
    });
    expect(openai.attributes()).not.toHaveProperty(['gen_ai.request.stream']);

    const other = recordedInference();
    recordRequest(other.span, { invocation_params: { maxTokens: 64, topP: 0.5 } }, { ls_temperature: 0, ls_stop: ['END'] });
    expect(other.attributes()).toMatchObject({ 'gen_ai.request.temperature': 0, 'gen_ai.request.max_tokens': 64, 'gen_ai.request.top_p': 0.5, 'gen_ai.request.stop_sequences': ['END'] });
  });

  it('records the tools offered in OpenAI and in Anthropic shape', () => {
    const recorded = recordedInference();
    const parameters = { type: 'object', properties: { order: { type: 'number' } } };
    recordChatInput(recorded.span, [[new HumanMessage('Where is 1042?')]], {
      invocation_params: {
        tools: [
          { type: 'function', function: { name: 'lookup_order', description: 'Finds an order', parameters } },
          { name: 'refund', description: 'Refunds an order', input_schema: parameters },
        ],
      },
    });
    expect(recorded.content('gen_ai.tool.definitions')).toEqual([
      { type: 'function', name: 'lookup_order', description: 'Finds an order', parameters },
      { type: 'function', name: 'refund', description: 'Refunds an order', parameters },
    ]);
  });
});

describe('recordResult', () => {
  it('records usage as the model reported it, cache reads and writes and reasoning included', () => {
    const recorded = recordedInference();
    const message = new AIMessage({
      content: 'Shipped.',
      id: 'msg_01',
      response_metadata: { model: 'claude-sonnet-4-20250514', stop_reason: 'end_turn' },
      usage_metadata: { input_tokens: 1200, output_tokens: 80, total_tokens: 1280, input_token_details: { cache_read: 1000, cache_creation: 150 }, output_token_details: { reasoning: 25 } },
    });
    recordResult(recorded.span, { generations: [[{ text: 'Shipped.', message }]] });
    expect(recorded.attributes()).toMatchObject({
      'gen_ai.response.model': 'claude-sonnet-4-20250514',
      'gen_ai.response.id': 'msg_01',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 80,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.cache_write.input_tokens': 150,
      'gen_ai.usage.reasoning.output_tokens': 25,
    });
  });

  it('writes no usage at all when the model reported none, and never LangChain estimates', () => {
    const recorded = recordedInference();
    recordResult(recorded.span, { generations: [[{ text: 'Shipped.', message: new AIMessage('Shipped.') }]], llmOutput: { estimatedTokenUsage: { promptTokens: 9, completionTokens: 2 } } });
    expect(Object.keys(recorded.attributes()).filter((key) => key.startsWith('gen_ai.usage.'))).toEqual([]);
  });

  it('falls back to llmOutput.tokenUsage, the provider figures older integrations report there', () => {
    const recorded = recordedInference();
    recordResult(recorded.span, { generations: [[{ text: 'Shipped.', message: new AIMessage('Shipped.') }]], llmOutput: { tokenUsage: { promptTokens: 9, completionTokens: 2, totalTokens: 11 } } });
    expect(recorded.attributes()).toMatchObject({ 'gen_ai.usage.input_tokens': 9, 'gen_ai.usage.output_tokens': 2 });
  });

  it('records one finish reason and one output message per generation, and no LangChain-made run id as the response id', () => {
    const recorded = recordedInference();
    const generation = (content: string, finishReason: string) => ({
      text: content,
      message: new AIMessageChunk({ content, id: 'run-019a0000-0000-7000-8000-000000000001', response_metadata: { finish_reason: finishReason, model_name: 'gpt-4o-2024-08-06' } }),
    });
    recordResult(recorded.span, { generations: [[generation('Shipped.', 'stop'), generation('It has ship', 'length')]] });
    const attributes = recorded.attributes();
    expect(attributes).toMatchObject({ 'gen_ai.response.finish_reasons': ['stop', 'length'], 'gen_ai.response.model': 'gpt-4o-2024-08-06' });
    expect(attributes).not.toHaveProperty(['gen_ai.response.id']);
  });

  it('gives a model that reports no finish reason the one its message shows', () => {
    const recorded = recordedInference();
    const toolCall = new AIMessage({ content: '', tool_calls: [{ name: 'lookup_order', args: { order: 1042 }, id: 'call_1', type: 'tool_call' }] });
    recordResult(recorded.span, { generations: [[{ text: '', message: toolCall }]] });
    expect(recorded.content('gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { order: 1042 } }], finish_reason: 'tool_call' },
    ]);
  });
});
