/**
 * Everything a LangChain handler test needs, started once per test file: a real collector and the
 * async context manager an application installs (registerFacto does). Each test then makes its own
 * recording agent (its own key and chain) and a handler whose spans it signs, and reads back what
 * landed, verified. The tools are real LangChain tools; one of them always throws.
 */
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { FactoCallbackHandler, type FactoCallbackHandlerOptions } from '@facto/langchain';
import type { TestCollector } from './collector.js';
import { recordingAgent, type RecordingAgent } from './landed-spans.js';
import { useTracedCollector } from './traced-collector.js';

export interface LangChainTestbed {
  readonly collector: TestCollector;
  /** A recording agent and a handler whose spans it signs. */
  recorder(options?: FactoCallbackHandlerOptions & { capture?: 'full' | 'hashes' | 'none' }): { agent: RecordingAgent; handler: FactoCallbackHandler };
}

export function useLangChainTestbed(): LangChainTestbed {
  const traced = useTracedCollector();
  return {
    get collector() {
      return traced.collector;
    },
    recorder(options = {}) {
      const { capture, ...handlerOptions } = options;
      const agent = recordingAgent(traced.collector, capture ? { capture } : {});
      return { agent, handler: new FactoCallbackHandler({ tracerProvider: agent.facto.provider, ...handlerOptions }) };
    },
  };
}

export const ORDERS: Readonly<Record<number, { order: number; status: string; carrier: string }>> = {
  1042: { order: 1042, status: 'shipped', carrier: 'DHL' },
  1043: { order: 1043, status: 'packed', carrier: 'UPS' },
  1044: { order: 1044, status: 'delayed', carrier: 'DPD' },
};

export const lookupOrder = tool(async ({ order }) => ORDERS[order] ?? { order, status: 'unknown' }, {
  name: 'lookup_order',
  description: 'Finds an order by its number',
  schema: z.object({ order: z.number() }),
});

export const checkStock = tool(
  async ({ sku }): Promise<string> => {
    throw new Error(`warehouse offline, cannot check ${sku}`);
  },
  { name: 'check_stock', description: 'Stock level of a product', schema: z.object({ sku: z.string() }) },
);
