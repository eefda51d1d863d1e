/**
 * Three agents running at the same time in one process, each invoked inside a request span of the
 * application's own, all recorded by one shared handler. LangChain runs callbacks off the caller's
 * async context when it queues them, and no LangChain hook makes a run's span active; the handler
 * parents by LangChain's run ids and runs inline, so each agent's tree must land whole and apart,
 * under its own request. The tools wait for each other, so the three runs are inside their tool calls
 * at the same moment, interleaved for certain.
 */
import { context, trace } from '@opentelemetry/api';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { content } from '../support/landed-spans.js';
import { ORDERS, useLangChainTestbed } from '../support/langchain-testbed.js';
import { outline, parentOf } from '../support/span-tree.js';

const testbed = useLangChainTestbed();

/** A lookup that returns only once `expected` lookups are under way. */
function lookupAfterAll(expected: number) {
  let arrived = 0;
  let allArrived: () => void = () => undefined;
  const everyone = new Promise<void>((resolve) => (allArrived = resolve));
  return tool(
    async ({ order }) => {
      if (++arrived === expected) allArrived();
      await everyone;
      return ORDERS[order];
    },
    { name: 'lookup_order', description: 'Finds an order by its number', schema: z.object({ order: z.number() }) },
  );
}

describe('@facto/langchain: three agents at once', () => {
  it('lands three whole trees, each under its own request and with its own tool results', async () => {
    const { agent: recorder, handler } = testbed.recorder();
    const lookup = lookupAfterAll(3);
    const tracer = recorder.facto.tracer;
    const orders = [1042, 1043, 1044];
    const answers = await Promise.all(
      orders.map((order) => {
        const model = fakeModel()
          .respondWithTools([{ name: 'lookup_order', args: { order }, id: `call_${order}` }])
          .respond(new AIMessage(`Order ${order} is ${ORDERS[order]!.status}.`));
        const agent = createAgent({ model, tools: [lookup], name: `agent-${order}` });
        const request = tracer.startSpan(`request ${order}`);
        return context.with(trace.setSpan(context.active(), request), async () => {
          try {
            const result = await agent.invoke({ messages: [{ role: 'user', content: `Where is order ${order}?` }] }, { callbacks: [handler] });
            return result.messages.at(-1)?.content;
          } finally {
            request.end();
          }
        });
      }),
    );
    expect(answers).toEqual(['Order 1042 is shipped.', 'Order 1043 is packed.', 'Order 1044 is delayed.']);

    const spans = await recorder.landed();
    const trees = outline(spans).split(/\n(?=\S)/).sort();
    expect(trees).toEqual(orders.map((order) => [`request ${order}`, `  invoke_agent agent-${order}`, '    chat', '    execute_tool lookup_order', '    chat'].join('\n')));
    for (const order of orders) {
      const run = spans.find((span) => span.name === `invoke_agent agent-${order}`)!;
      const lookupSpan = spans.find((span) => span.name === 'execute_tool lookup_order' && span.parentSpanId === run.spanId)!;
      expect(lookupSpan.attributes['gen_ai.tool.call.id']).toBe(`call_${order}`);
      expect(content(lookupSpan, 'gen_ai.tool.call.result')).toEqual(ORDERS[order]);
      for (const chat of spans.filter((span) => span.name === 'chat' && span.parentSpanId === run.spanId)) {
        expect(chat.attributes['gen_ai.agent.name']).toBe(`agent-${order}`);
      }
      expect(parentOf(spans, run)?.name).toBe(`request ${order}`);
    }
  });
});
