/**
 * An order-support agent built with LangChain's `createAgent`, recorded with one line:
 * `callbacks: [new FactoCallbackHandler()]`. The agent run becomes a signed `invoke_agent` span, each
 * model call a `chat gpt-4o-mini` span with its usage, each tool call an `execute_tool` span, nested
 * as they happened. The model is LangChain's `ChatOpenAI` talking to a local fake server: offline.
 */
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { createAgent } from 'langchain';
import { z } from 'zod';
import { FactoCallbackHandler } from '@facto/langchain';
import { startFakeOpenAIModel } from './fake-openai-model.mjs';

const ORDERS = { 1042: { order: 1042, status: 'shipped', carrier: 'DHL', eta: '2026-12-03' } };

const lookupOrder = tool(async ({ order }) => ORDERS[order] ?? { order, status: 'unknown' }, {
  name: 'lookup_order',
  description: 'Finds an order by its number',
  schema: z.object({ order: z.number() }),
});

/**
 * Runs the agent on one question and returns its answer. Spans go to the global tracer provider
 * (registerFacto installs it), or to `tracerProvider` when given.
 */
export async function runLangChainAgent({ question = 'Where is my order 1042?', tracerProvider } = {}) {
  const server = await startFakeOpenAIModel();
  try {
    const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-offline-demo', maxRetries: 0, configuration: { baseURL: server.url } });
    const agent = createAgent({ model, tools: [lookupOrder], name: 'order-support-agent', systemPrompt: 'You answer questions about orders. Use lookup_order; never guess.' });
    const handler = new FactoCallbackHandler({ tracerProvider });
    const result = await agent.invoke({ messages: [{ role: 'user', content: question }] }, { callbacks: [handler], configurable: { thread_id: 'demo-ticket-1042' } });
    // Every span has ended by now; delivering them is the caller's: facto.shutdown(), or handler.flush() before exit.
    return result.messages.at(-1).content;
  } finally {
    await server.close();
  }
}
