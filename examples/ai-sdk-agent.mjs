/**
 * An order-support agent on the Vercel AI SDK, recorded by @facto/ai-sdk: the model wrapped once
 * with `factoMiddleware()`, the tools once with `factoTools()`. Every model call becomes a signed
 * `chat` span (streamed, with usage and time to first chunk), every tool run an `execute_tool` span
 * with the call id the model gave; the run is one `invoke_agent` span (ai 6 gives no hook that runs
 * a whole call, so the run is opened around it with @facto/genai), and they all nest under it. The
 * model is the AI SDK's own mock model, scripted to call the tool and then answer: offline.
 */
import { createGenAIInstrumentation } from '@facto/genai';
import { factoMiddleware, factoTools } from '@facto/ai-sdk';
import { simulateReadableStream, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';

const ORDERS = { 1042: { order: 1042, status: 'shipped', carrier: 'DHL', eta: '2026-12-03' } };

/** Runs the agent on one question and returns its answer. Spans go to the global tracer provider, or to `tracerProvider`. */
export async function runAiSdkAgent({ question = 'Where is my order 1042?', tracerProvider } = {}) {
  const model = wrapLanguageModel({ model: scriptedModel(), middleware: factoMiddleware({ tracerProvider }) });
  const tools = factoTools(
    {
      lookup_order: tool({
        description: 'Finds an order by its number',
        inputSchema: z.object({ order: z.number() }),
        execute: async ({ order }) => ORDERS[order] ?? { order, status: 'unknown' },
      }),
    },
    { tracerProvider },
  );
  const genai = createGenAIInstrumentation({ name: 'facto-example-agent' }, { tracerProvider });
  return genai.runAgent({ name: 'order-support-agent' }, async () => {
    const result = streamText({
      model,
      tools,
      system: 'You answer questions about orders. Use lookup_order; never guess.',
      prompt: question,
      stopWhen: stepCountIs(4),
    });
    return await result.text;
  });
}

/** A model that asks for the order the question names, then answers from the tool's result. */
function scriptedModel() {
  return new MockLanguageModelV3({
    provider: 'example.chat',
    modelId: 'order-model',
    doStream: async ({ prompt }) => {
      const last = prompt.at(-1);
      const chunks = last.role === 'tool' ? answer(last.content[0].output.value) : lookup(prompt);
      return { stream: simulateReadableStream({ chunks, chunkDelayInMs: 5 }) };
    },
  });
}

function lookup(prompt) {
  const question = prompt.findLast((message) => message.role === 'user').content.map((part) => part.text ?? '').join(' ');
  const order = Number(/\d+/.exec(question)?.[0] ?? 0);
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'resp-lookup', modelId: 'order-model-2026-01' },
    { type: 'tool-call', toolCallId: `call_lookup_${order}`, toolName: 'lookup_order', input: JSON.stringify({ order }) },
    finish('tool-calls', 58, 17),
  ];
}

function answer(found) {
  const text = found.status === 'shipped' ? `Order ${found.order} shipped with ${found.carrier}; it arrives on ${found.eta}.` : `I found no order ${found.order}.`;
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'resp-answer', modelId: 'order-model-2026-01' },
    { type: 'text-start', id: 'answer' },
    ...text.split(/(?<= )/).map((delta) => ({ type: 'text-delta', id: 'answer', delta })),
    { type: 'text-end', id: 'answer' },
    finish('stop', 96, 21),
  ];
}

function finish(unified, input, output) {
  return {
    type: 'finish',
    finishReason: { unified, raw: unified },
    usage: { inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: output, text: output, reasoning: 0 } },
  };
}
