/**
 * An order-support agent on the official openai client, recorded by wrapping it with one line:
 * `wrapOpenAI(new OpenAI())`. Every model call becomes a signed `chat gpt-4o-mini` span; the agent
 * run and each tool call are `invoke_agent` and `execute_tool` spans from @facto/genai, so the model
 * calls and tool calls nest under the run that made them. The model is a local fake server: offline.
 */
import OpenAI from 'openai';
import { createGenAIInstrumentation } from '@facto/genai';
import { wrapOpenAI } from '@facto/openai';
import { startFakeOpenAIModel } from './fake-openai-model.mjs';

const ORDERS = { 1042: { order: 1042, status: 'shipped', carrier: 'DHL', eta: '2026-12-03' } };

const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup_order',
      description: 'Finds an order by its number',
      parameters: { type: 'object', properties: { order: { type: 'number' } }, required: ['order'] },
    },
  },
];

const implementations = {
  lookup_order: ({ order }) => ORDERS[order] ?? { order, status: 'unknown' },
};

/**
 * Runs the agent on one question and returns its answer. Spans go to the global tracer provider
 * (registerFacto installs it), or to `tracerProvider` when given.
 */
export async function runOpenAIAgent({ question = 'Where is my order 1042?', tracerProvider } = {}) {
  const model = await startFakeOpenAIModel();
  try {
    const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-offline-demo', baseURL: model.url, maxRetries: 0 }), { tracerProvider });
    const genai = createGenAIInstrumentation({ name: 'facto-example-agent' }, { tracerProvider });
    return await genai.runAgent({ name: 'order-support-agent' }, async () => {
      const messages = [
        { role: 'system', content: 'You answer questions about orders. Use lookup_order; never guess.' },
        { role: 'user', content: question },
      ];
      for (let step = 0; step < 4; step++) {
        // The answer streams; usage on a stream comes only when asked for.
        const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, tools, stream: true, stream_options: { include_usage: true } });
        const message = await collect(stream);
        messages.push(message);
        if (!message.tool_calls) return message.content;
        for (const call of message.tool_calls) {
          const run = implementations[call.function.name];
          const result = await genai.runTool({ name: call.function.name, callId: call.id, type: 'function', arguments: call.function.arguments }, () => run(JSON.parse(call.function.arguments)));
          messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
        }
      }
      throw new Error('the agent did not finish in 4 steps');
    });
  } finally {
    await model.close();
  }
}

/** Joins a streamed completion back into one assistant message, tool calls merged by index. */
async function collect(stream) {
  const message = { role: 'assistant', content: '' };
  const calls = [];
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta ?? {};
    message.content += delta.content ?? '';
    for (const part of delta.tool_calls ?? []) {
      calls[part.index] ??= { id: part.id, type: 'function', function: { name: part.function?.name ?? '', arguments: '' } };
      calls[part.index].function.arguments += part.function?.arguments ?? '';
    }
  }
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}
