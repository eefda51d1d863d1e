import { SpanStatusCode, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { FakeListChatModel, FakeStreamingLLM } from '@langchain/core/utils/testing';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GEN_AI_CONTENT_KEYS } from '@facto/genai';
import { FactoCallbackHandler } from './callback-handler.js';
import { captureDiagErrors, recording, useRecordingHooks } from './test-helpers/recording.js';

useRecordingHooks();

const lookupOrder = tool(async ({ order }) => ({ order, status: 'shipped' }), {
  name: 'lookup_order',
  description: 'Finds an order by its number',
  schema: z.object({ order: z.number() }),
});
const checkStock = tool(
  async (): Promise<string> => {
    throw new Error('warehouse offline');
  },
  { name: 'check_stock', description: 'Stock level of a product', schema: z.object({ sku: z.string() }) },
);

/** An agent that calls both tools in one step (one of them throws), then answers. */
function supportAgent({ name }: { name?: string } = { name: 'support-agent' }) {
  const model = fakeModel()
    .respondWithTools([
      { name: 'lookup_order', args: { order: 1042 }, id: 'call_lookup' },
      { name: 'check_stock', args: { sku: 'A-7' }, id: 'call_stock' },
    ])
    .respond(new AIMessage({ content: 'Order 1042 has shipped.', usage_metadata: { input_tokens: 31, output_tokens: 6, total_tokens: 37 } }));
  return createAgent({ model, tools: [lookupOrder, checkStock], ...(name ? { name } : {}) });
}

const question = { messages: [{ role: 'user', content: 'Where is order 1042?' }] };

describe('FactoCallbackHandler on a createAgent run', () => {
  it('records the agent run, each model call and each tool call, nested by run, the throwing tool as an error', async () => {
    const recorded = recording();
    const result = await supportAgent().invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], configurable: { thread_id: 'thread-7' } });
    expect(result.messages.at(-1)?.content).toBe('Order 1042 has shipped.');

    const spans = recorded.spans();
    // Ended in the order they ran: both model calls and both tools inside the agent run, which ends last.
    expect(spans.map((span) => span.name)).toEqual(['chat', 'execute_tool lookup_order', 'execute_tool check_stock', 'chat', 'invoke_agent support-agent']);
    const agent = recorded.span('invoke_agent support-agent');
    expect(recorded.parentName(agent)).toBe('-');
    for (const span of spans.slice(0, 4)) expect(recorded.parentName(span)).toBe('invoke_agent support-agent');
    expect(agent.status.code).toBe(SpanStatusCode.UNSET);
    expect(agent.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support-agent', 'gen_ai.conversation.id': 'thread-7' });

    const lookup = recorded.span('execute_tool lookup_order');
    expect(lookup.attributes).toMatchObject({ 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.id': 'call_lookup', 'gen_ai.tool.type': 'function' });
    expect(recorded.content(lookup, 'gen_ai.tool.call.arguments')).toEqual({ order: 1042 });
    expect(recorded.content(lookup, 'gen_ai.tool.call.result')).toEqual({ order: 1042, status: 'shipped' });
    const stock = recorded.span('execute_tool check_stock');
    expect(stock.status).toEqual({ code: SpanStatusCode.ERROR, message: 'warehouse offline' });
    expect(stock.attributes).toMatchObject({ 'gen_ai.tool.call.id': 'call_stock', 'error.type': 'Error' });
    expect(stock.attributes).not.toHaveProperty(['gen_ai.tool.call.result']);

    const [first, second] = spans.filter((span) => span.name === 'chat');
    expect(first!.attributes).toMatchObject({ 'gen_ai.agent.name': 'support-agent', 'gen_ai.conversation.id': 'thread-7', 'gen_ai.response.finish_reasons': ['tool_call'] });
    expect(first!.attributes).not.toHaveProperty(['gen_ai.usage.input_tokens']);
    expect(second!.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 31, 'gen_ai.usage.output_tokens': 6, 'gen_ai.response.finish_reasons': ['stop'] });
    expect(recorded.content(second!, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Where is order 1042?' },
          { type: 'tool_call', id: 'call_lookup', name: 'lookup_order', arguments: { order: 1042 } },
          { type: 'tool_call', id: 'call_stock', name: 'check_stock', arguments: { sku: 'A-7' } },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_lookup', response: { order: 1042, status: 'shipped' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_stock', response: expect.stringContaining('warehouse offline') }] },
    ]);
  });

  it('ends every span before invoke() returns: LangChain awaits the handler instead of queueing it', async () => {
    const recorded = recording();
    const handler = new FactoCallbackHandler({ tracerProvider: recorded.provider });
    expect(handler.awaitHandlers).toBe(true);
    await supportAgent().invoke(question, { callbacks: [handler] });
    expect(recorded.spans()).toHaveLength(5);
  });

  it('gives no conversation id when the application gave no thread id', async () => {
    const recorded = recording();
    await supportAgent().invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] });
    for (const span of recorded.spans()) expect(span.attributes).not.toHaveProperty(['gen_ai.conversation.id']);
  });

  it('names the agent from the agentName option, else from the agent, else from the run', async () => {
    const named = recording();
    await supportAgent().invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: named.provider, agentName: 'refund-desk' })] });
    expect(named.span('invoke_agent refund-desk').attributes['gen_ai.agent.name']).toBe('refund-desk');
    const unnamed = recording();
    await supportAgent({}).invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: unnamed.provider })] });
    expect(unnamed.spans().map((span) => span.name)).toContain('invoke_agent LangGraph');
  });

  it('records an agent called from a tool as an agent of its own, under that tool', async () => {
    const inner = createAgent({ model: fakeModel().respond(new AIMessage('Refund approved.')), tools: [], name: 'refund-agent' });
    const unnamed = createAgent({ model: fakeModel().respond(new AIMessage('Logged.')), tools: [] });
    const delegate = tool(
      async ({ request }) => {
        await unnamed.invoke({ messages: [{ role: 'user', content: request }] });
        const answer = await inner.invoke({ messages: [{ role: 'user', content: request }] });
        return String(answer.messages.at(-1)?.content);
      },
      { name: 'ask_refund_agent', description: 'Delegates a refund', schema: z.object({ request: z.string() }) },
    );
    const outer = createAgent({
      model: fakeModel().respondWithTools([{ name: 'ask_refund_agent', args: { request: 'refund 1042' }, id: 'call_delegate' }]).respond(new AIMessage('Done.')),
      tools: [delegate],
      name: 'support-agent',
    });
    const recorded = recording();
    await outer.invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] });

    const innerAgent = recorded.span('invoke_agent refund-agent');
    expect(recorded.parentName(innerAgent)).toBe('execute_tool ask_refund_agent');
    expect(recorded.parentName(recorded.span('execute_tool ask_refund_agent'))).toBe('invoke_agent support-agent');
    // The unnamed inner agent inherits the outer one's agent-name metadata: it must not take that name.
    expect(recorded.parentName(recorded.span('invoke_agent LangGraph'))).toBe('execute_tool ask_refund_agent');
    const chatsByAgent = recorded
      .spans()
      .filter((span) => span.name === 'chat')
      .map((span) => [recorded.parentName(span), span.attributes['gen_ai.agent.name']]);
    expect(chatsByAgent).toEqual([
      ['invoke_agent support-agent', 'support-agent'],
      ['invoke_agent LangGraph', 'LangGraph'],
      ['invoke_agent refund-agent', 'refund-agent'],
      ['invoke_agent support-agent', 'support-agent'],
    ]);
  });

  it('records a failing model call as an error on the model span and on the agent run, and rethrows nothing of its own', async () => {
    const failure = Object.assign(new Error('rate limited'), { name: 'RateLimitError' });
    const agent = createAgent({ model: fakeModel().alwaysThrow(failure), tools: [], name: 'support-agent' });
    const recorded = recording();
    await expect(agent.invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] })).rejects.toBe(failure);
    for (const name of ['chat', 'invoke_agent support-agent']) {
      expect(recorded.span(name).status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate limited' });
      expect(recorded.span(name).attributes['error.type']).toBe('RateLimitError');
    }
  });

  it('records no content at all with captureContent: false', async () => {
    const recorded = recording();
    await supportAgent().invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider, captureContent: false })] });
    expect(recorded.spans()).toHaveLength(5);
    for (const span of recorded.spans()) for (const key of GEN_AI_CONTENT_KEYS) expect(span.attributes, `${key} on ${span.name}`).not.toHaveProperty([key]);
  });

  it('records a text LLM run as text_completion, its prompt as a user message', async () => {
    const recorded = recording();
    const answer = await new FakeStreamingLLM({ responses: ['Shipped.'], sleep: 0 }).invoke('Where is order 1042?', { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] });
    expect(answer).toBe('Shipped.');
    const span = recorded.span('text_completion');
    expect(span.attributes).toMatchObject({ 'gen_ai.operation.name': 'text_completion', 'gen_ai.provider.name': 'fake' });
    expect(recorded.content(span, 'gen_ai.input.messages')).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Where is order 1042?' }] }]);
    expect(recorded.content(span, 'gen_ai.output.messages')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Shipped.' }], finish_reason: 'stop' }]);
  });
});

describe('FactoCallbackHandler on streams', () => {
  it('ends a model stream its caller left early when the run around it ends, as stopped', async () => {
    const chat = new FakeListChatModel({ responses: ['Order 1042 has shipped.'] });
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('peek', async () => {
        // LangChain reports a chunk when the next one is asked for: read two, then leave.
        let text = '';
        for await (const chunk of await chat.stream('Where is order 1042?')) {
          text += String(chunk.content);
          if (text.length === 2) break;
        }
        return { messages: [new AIMessage(text)] };
      })
      .addEdge(START, 'peek')
      .addEdge('peek', END)
      .compile({ name: 'peeking-agent' });
    const recorded = recording();
    await graph.invoke({ messages: [] }, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] });
    expect(recorded.spans().map((span) => span.name)).toEqual(['chat', 'invoke_agent peeking-agent']);
    expect(recorded.span('chat').attributes).toMatchObject({ 'gen_ai.request.stream': true, 'facto.stream.outcome': 'stopped' });
    expect(recorded.span('chat').status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('FactoCallbackHandler on a model stream read directly', () => {
  it('ends it as aborted when its call signal aborts mid-stream, and holds no listener on a signal reused after', async () => {
    const recorded = recording();
    const handler = new FactoCallbackHandler({ tracerProvider: recorded.provider });
    const chat = new FakeListChatModel({ responses: ['alpha beta gamma delta epsilon'] });
    const controller = new AbortController();
    let read = 0;
    await expect(
      (async () => {
        for await (const _chunk of await chat.stream('hi', { callbacks: [handler], signal: controller.signal })) {
          if (++read === 3) controller.abort(new Error('the user left'));
        }
      })(),
    ).rejects.toThrow();
    expect(recorded.spans().map((span) => span.name)).toEqual(['chat']);
    expect(recorded.span('chat').attributes).toMatchObject({ 'gen_ai.request.stream': true, 'facto.stream.outcome': 'aborted' });

    // A signal kept for a session: each call that ends on its own takes its listener with it.
    const session = new AbortController();
    const added: unknown[] = [];
    const removed: unknown[] = [];
    const { addEventListener, removeEventListener } = session.signal;
    session.signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>) => (added.push(args[1]), addEventListener.apply(session.signal, args));
    session.signal.removeEventListener = (...args: Parameters<AbortSignal['removeEventListener']>) => (removed.push(args[1]), removeEventListener.apply(session.signal, args));
    for (let call = 0; call < 3; call++) for await (const _chunk of await chat.stream('hi', { callbacks: [handler], signal: session.signal }));
    const ours = added.filter((listener) => removed.includes(listener));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    expect(recorded.spans().filter((span) => span.name === 'chat').map((span) => span.attributes['facto.stream.outcome'])).toEqual(['aborted', 'completed', 'completed', 'completed']);
  });
});

describe('LangChain 1.x callback arguments', () => {
  it('handleChainStart gets the parent run id 4th and the run name 8th, not as its type declaration says', async () => {
    const calls: unknown[][] = [];
    const spy = BaseCallbackHandler.fromMethods({ handleChainStart: (...args: unknown[]) => void calls.push(args) });
    await supportAgent().invoke(question, { callbacks: [spy] });
    const [root, ...children] = calls;
    expect(root![3]).toBeUndefined();
    expect(root![7]).toBe('support-agent');
    const rootRunId = root![2];
    const nodes = children.filter((args) => args[3] === rootRunId);
    expect(nodes.map((args) => args[7])).toEqual(expect.arrayContaining(['model_request', 'tools']));
    for (const args of children) expect(typeof args[3]).toBe('string');
  });
});

describe('FactoCallbackHandler never breaks the agent', () => {
  it('lets the run finish exactly as without it when every span method throws, and says so once through diag', async () => {
    const errors = captureDiagErrors();
    const plain = await supportAgent().invoke(question);
    const recorded = await supportAgent().invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: brokenProvider() })] });
    expect(recorded.messages.map((message) => message.content)).toEqual(plain.messages.map((message) => message.content));
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors).size).toBe(errors.length);
    expect(errors.every((message) => message.startsWith('@facto/langchain: '))).toBe(true);
  });

  it('checks its options where they are given', () => {
    expect(() => new FactoCallbackHandler({ agentName: '' })).toThrow(TypeError);
    expect(() => new FactoCallbackHandler({ maxContentBytes: 10 })).toThrow(RangeError);
    expect(() => new FactoCallbackHandler(null as never)).toThrow(TypeError);
  });

  it('is its own copy, so a copy LangChain makes mid-run still knows the runs in progress', () => {
    const handler = new FactoCallbackHandler();
    expect(handler.copy()).toBe(handler);
  });
});

/** A provider whose spans throw from every method but spanContext: instrumentation that breaks. */
function brokenProvider(): TracerProvider {
  const real = recording().provider;
  return {
    getTracer(name, version) {
      const tracer = real.getTracer(name, version);
      return {
        startSpan(spanName, options, parent) {
          const span = tracer.startSpan(spanName, options, parent);
          return new Proxy(span, {
            get(target, property) {
              if (property === 'spanContext') return target.spanContext.bind(target);
              return () => {
                throw new Error(`span.${String(property)} is broken`);
              };
            },
          }) as Span;
        },
      } as Tracer;
    },
  };
}
