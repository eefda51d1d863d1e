/**
 * A LangGraph graph of the application's own: a retrieval node (a real LangChain retriever), an
 * answer node (a chat model), and a review step that is itself a compiled graph. What lands in the
 * collector follows the handler's rule: the graph is the agent run, the subgraph an agent of its
 * own inside it, the retriever a `datastore` tool with its query and documents, each model call a
 * chat span; the nodes themselves, and LangGraph's internal runs, get no spans.
 */
import { Document } from '@langchain/core/documents';
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { BaseRetriever } from '@langchain/core/retrievers';
import { fakeModel } from '@langchain/core/testing';
import { Annotation, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { content, only } from '../support/landed-spans.js';
import { useLangChainTestbed } from '../support/langchain-testbed.js';
import { outline, parentOf } from '../support/span-tree.js';

const testbed = useLangChainTestbed();

const POLICIES = [
  new Document({ id: 'policy-returns', pageContent: 'Shoes can be returned within 30 days, unworn.', metadata: { source: 'returns.md' } }),
  new Document({ id: 'policy-shipping', pageContent: 'Shipping is free over 50 EUR.', metadata: { source: 'shipping.md' } }),
];

/** The application's own retriever: the policies that share a word with the question. */
class PolicyRetriever extends BaseRetriever {
  override lc_namespace = ['facto', 'test', 'retrievers'];
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    const words = new Set(query.toLowerCase().split(/\W+/));
    return POLICIES.filter((policy) => policy.pageContent.toLowerCase().split(/\W+/).some((word) => word.length > 3 && words.has(word)));
  }
}

const State = Annotation.Root({ ...MessagesAnnotation.spec, policies: Annotation<string>() });

function returnsDesk() {
  const retriever = new PolicyRetriever();
  const writer = fakeModel().respond(new AIMessage({ content: 'You can return them within 30 days.', usage_metadata: { input_tokens: 60, output_tokens: 9, total_tokens: 69 } }));
  const reviewer = fakeModel().respond(new AIMessage('Approved.'));
  const review = new StateGraph(State)
    .addNode('check', async (state) => ({ messages: [await reviewer.invoke([new SystemMessage('Check the answer against the policies.'), ...state.messages])] }))
    .addEdge(START, 'check')
    .addEdge('check', END)
    .compile({ name: 'reviewer' });
  return new StateGraph(State)
    .addNode('retrieve', async (state) => {
      const found = await retriever.invoke(String(state.messages.at(-1)?.content));
      return { policies: found.map((policy) => policy.pageContent).join('\n') };
    })
    .addNode('answer', async (state) => ({ messages: [await writer.invoke([new SystemMessage(`Policies:\n${state.policies}`), ...state.messages])] }))
    .addNode('review', review)
    .addEdge(START, 'retrieve')
    .addEdge('retrieve', 'answer')
    .addEdge('answer', 'review')
    .addEdge('review', END)
    .compile({ name: 'returns-desk' });
}

describe('@facto/langchain: a LangGraph graph in the collector', () => {
  it('records the graph as the agent run, the subgraph as an agent inside it, the retriever as a datastore tool', async () => {
    const { agent, handler } = testbed.recorder();
    const result = await returnsDesk().invoke({ messages: [new HumanMessage('Can I return shoes I bought?')] }, { callbacks: [handler], configurable: { thread_id: 'customer-77' } });
    expect(result.messages.map((message) => message.content)).toEqual(['Can I return shoes I bought?', 'You can return them within 30 days.', 'Approved.']);

    const spans = await agent.landed();
    expect(outline(spans)).toBe(
      ['invoke_agent returns-desk', '  execute_tool PolicyRetriever', '  chat', '  invoke_agent reviewer', '    chat'].join('\n'),
    );
    expect(only(spans, 'invoke_agent returns-desk').attributes).toMatchObject({ 'gen_ai.agent.name': 'returns-desk', 'gen_ai.conversation.id': 'customer-77' });
    expect(only(spans, 'invoke_agent reviewer').attributes).toMatchObject({ 'gen_ai.agent.name': 'reviewer', 'gen_ai.conversation.id': 'customer-77' });

    const retrieval = only(spans, 'execute_tool PolicyRetriever');
    expect(retrieval.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.type': 'datastore', 'gen_ai.tool.name': 'PolicyRetriever' });
    expect(content(retrieval, 'gen_ai.tool.call.arguments')).toEqual({ query: 'Can I return shoes I bought?' });
    expect(content(retrieval, 'gen_ai.tool.call.result')).toEqual([{ id: 'policy-returns', content: 'Shoes can be returned within 30 days, unworn.', metadata: { source: 'returns.md' } }]);

    const [answer, check] = spans.filter((span) => span.name === 'chat');
    expect(parentOf(spans, answer!)?.name).toBe('invoke_agent returns-desk');
    expect(answer!.attributes).toMatchObject({ 'gen_ai.agent.name': 'returns-desk', 'gen_ai.usage.input_tokens': 60, 'gen_ai.usage.output_tokens': 9 });
    expect(content(answer!, 'gen_ai.input.messages')[0]).toEqual({ role: 'system', parts: [{ type: 'text', content: 'Policies:\nShoes can be returned within 30 days, unworn.' }] });
    expect(check!.attributes['gen_ai.agent.name']).toBe('reviewer');
  });
});
