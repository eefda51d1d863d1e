import { SpanStatusCode } from '@opentelemetry/api';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { END, MessagesAnnotation, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FactoCallbackHandler } from './callback-handler.js';
import { recording, useRecordingHooks, type Recording } from './test-helpers/recording.js';

useRecordingHooks();

const question = { messages: [{ role: 'user', content: 'Where is order 1042?' }] };

/**
 * An agent whose one tool call runs until the run is cancelled: the tool first calls `started` with
 * what LangGraph gave it (the run's stream writer), which may cancel the run from inside.
 */
function agentWithWaitingTool(started: (writer: LangGraphRunnableConfig['writer']) => void) {
  const trackParcel = tool(
    async (_input, config) => {
      started((config as LangGraphRunnableConfig).writer);
      await untilAborted(config.signal);
      return 'in transit';
    },
    { name: 'track_parcel', description: 'Follows a parcel until it arrives', schema: z.object({ order: z.number() }) },
  );
  const model = fakeModel()
    .respondWithTools([{ name: 'track_parcel', args: { order: 1042 }, id: 'call_track' }])
    .respond(new AIMessage('It arrived.'));
  return createAgent({ model, tools: [trackParcel], name: 'tracking-agent' });
}

function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal || signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** An agent that looks an order up with a tool, then answers. */
function orderAgent() {
  const lookupOrder = tool(async ({ order }) => ({ order, status: 'shipped' }), { name: 'lookup_order', description: 'Finds an order', schema: z.object({ order: z.number() }) });
  const model = fakeModel()
    .respondWithTools([{ name: 'lookup_order', args: { order: 1042 }, id: 'call_lookup' }])
    .respond(new AIMessage('Shipped.'));
  return createAgent({ model, tools: [lookupOrder], name: 'order-agent' });
}

/** An agent whose one model call streams its answer a character at a time. */
function streamingAgent() {
  return createAgent({ model: new FakeListChatModel({ responses: ['Order 1042 left the warehouse this morning.'], sleep: 5 }), tools: [], name: 'streaming-agent' });
}

function expectStopped(recorded: Recording, name: string): void {
  const span = recorded.span(name);
  expect(span.status.code).toBe(SpanStatusCode.UNSET);
  expect(span.attributes['facto.stream.outcome']).toBe('stopped');
  expect(span.attributes).not.toHaveProperty(['error.type']);
  expect(span.events.filter((event) => event.name === 'exception')).toEqual([]);
}

function expectAborted(recorded: Recording, name: string, message: string): void {
  const span = recorded.span(name);
  expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message });
  expect(span.attributes).toMatchObject({ 'facto.stream.outcome': 'aborted', 'error.type': 'AbortError' });
}

describe('FactoCallbackHandler on a LangGraph run its reader stopped reading', () => {
  it('records the agent run as stopped, not as an error, when the reader leaves stream() between steps', async () => {
    const recorded = recording();
    const stream = await orderAgent().stream(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], streamMode: 'updates' });
    for await (const _update of stream) break;

    expectStopped(recorded, 'invoke_agent order-agent');
    expect(recorded.parentName(recorded.spans().find((span) => span.name === 'chat')!)).toBe('invoke_agent order-agent');
  });

  it('records the agent run as stopped while a tool runs; the tool LangGraph aborted for it says so', async () => {
    const recorded = recording();
    const agent = agentWithWaitingTool((writer) => writer?.('tracking'));
    const stream = await agent.stream(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], streamMode: 'custom' });
    for await (const _progress of stream) break;

    expectStopped(recorded, 'invoke_agent tracking-agent');
    // LangGraph cancels the reader's run through its signal: the tool in flight is rejected, and LangChain reports that.
    expect(recorded.span('execute_tool track_parcel').attributes['error.type']).toBe('AbortError');
  });

  it('records the agent run and the model stream it was reading as stopped', async () => {
    const recorded = recording();
    const stream = await streamingAgent().stream(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], streamMode: 'messages' });
    let chunks = 0;
    for await (const _message of stream) if (++chunks === 3) break;

    expectStopped(recorded, 'invoke_agent streaming-agent');
    expectStopped(recorded, 'chat');
  });

  it('records an agent a tool reads and leaves early as stopped, inside a run that carries on', async () => {
    const recorded = recording();
    const inner = orderAgent();
    const peek = tool(
      async () => {
        // Inside another graph, LangGraph does not cancel the agent left early (it runs on the enclosing
        // graph's signal) and sends no end for it: its span ends, as stopped, when the tool's does.
        for await (const _update of await inner.stream(question, { streamMode: 'updates' })) break;
        return 'peeked';
      },
      { name: 'peek', description: 'Looks at what the order agent does first', schema: z.object({}) },
    );
    const outer = createAgent({ model: fakeModel().respondWithTools([{ name: 'peek', args: {}, id: 'call_peek' }]).respond(new AIMessage('Done.')), tools: [peek], name: 'support-agent' });
    await outer.invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] });

    expectStopped(recorded, 'invoke_agent order-agent');
    expect(recorded.parentName(recorded.span('invoke_agent order-agent'))).toBe('execute_tool peek');
    const outerAgent = recorded.span('invoke_agent support-agent');
    expect(outerAgent.status.code).toBe(SpanStatusCode.UNSET);
    expect(outerAgent.attributes).not.toHaveProperty(['facto.stream.outcome']);
  });
});

describe('FactoCallbackHandler on a LangGraph run aborted through its signal', () => {
  it('records an abort with a reason as aborted: an error of type AbortError carrying the reason', async () => {
    const recorded = recording();
    const controller = new AbortController();
    const reason = new Error('the customer closed the chat');
    const agent = agentWithWaitingTool(() => controller.abort(reason));
    await expect(agent.invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], signal: controller.signal })).rejects.toBe(reason);

    expectAborted(recorded, 'invoke_agent tracking-agent', 'the customer closed the chat');
    expect(recorded.span('invoke_agent tracking-agent').events.find((event) => event.name === 'exception')?.attributes).toMatchObject({ 'exception.message': 'the customer closed the chat' });
    expect(recorded.span('execute_tool track_parcel').status).toEqual({ code: SpanStatusCode.ERROR, message: 'the customer closed the chat' });
  });

  it.each([
    ['AbortSignal.timeout()', () => ({ signal: AbortSignal.timeout(20) })],
    ["LangChain's timeout", () => ({ timeout: 20 })],
  ])('records a timeout as aborted: %s', async (_how, options) => {
    const recorded = recording();
    const agent = agentWithWaitingTool(() => undefined);
    await expect(agent.invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], ...options() })).rejects.toMatchObject({ name: 'TimeoutError' });

    expectAborted(recorded, 'invoke_agent tracking-agent', 'The operation was aborted due to timeout');
  });

  it('takes the reason from the signal of a model stream in flight, and records that stream as aborted too', async () => {
    const recorded = recording();
    const controller = new AbortController();
    const stream = await streamingAgent().stream(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], streamMode: 'messages', signal: controller.signal });
    let chunks = 0;
    await expect(
      (async () => {
        for await (const _message of stream) if (++chunks === 3) controller.abort(new Error('the customer closed the chat'));
      })(),
    ).rejects.toThrow('the customer closed the chat');

    expectAborted(recorded, 'invoke_agent streaming-agent', 'the customer closed the chat');
    expect(recorded.span('chat').attributes).toMatchObject({ 'facto.stream.outcome': 'aborted', 'error.type': 'AbortError' });
  });

  it('records an abort without a reason as stopped: LangGraph leaves nothing that tells it from a reader that stopped', async () => {
    const recorded = recording();
    const controller = new AbortController();
    const agent = agentWithWaitingTool(() => controller.abort());
    await expect(agent.invoke(question, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })], signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });

    expectStopped(recorded, 'invoke_agent tracking-agent');
    expect(recorded.span('execute_tool track_parcel').attributes['error.type']).toBe('AbortError');
  });

  it('still records a node that throws an Error("Abort") of its own as the failure it is', async () => {
    const recorded = recording();
    const failure = new Error('Abort');
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('refund', () => {
        throw failure;
      })
      .addEdge(START, 'refund')
      .addEdge('refund', END)
      .compile({ name: 'refund-agent' });
    await expect(graph.invoke({ messages: [] }, { callbacks: [new FactoCallbackHandler({ tracerProvider: recorded.provider })] })).rejects.toBe(failure);

    const agent = recorded.span('invoke_agent refund-agent');
    expect(agent.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Abort' });
    expect(agent.attributes).not.toHaveProperty(['facto.stream.outcome']);
  });
});
