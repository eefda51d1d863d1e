/**
 * LangChain errors that repeat the input (a tool that throws `no record for <argument>`, a model
 * error that quotes the prompt) leave the process only when content does. With content off, at the
 * source (`captureContent: false`) or at the processor (`capture: 'none'` or `'hashes'`), each
 * failed span still says that it failed and how, and the input is nowhere in the bytes the exporter
 * sent; with content on, the error's message is recorded as before. A langchain `createAgent` agent
 * driven by `fakeModel()`, with a real tool; the spans go through the real exporter to a local OTLP
 * endpoint.
 */
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FactoCallbackHandler, type FactoCallbackHandlerOptions } from '@facto/langchain';
import type { FactoOptions } from '@facto/otel';
import { expectErrorWithoutText, sentSpan, useWireAgents } from '../support/wire-agent.js';

const MARKER = 'SSN-078-05-1120';
const wireAgent = useWireAgents();

class LookupError extends Error {
  override name = 'LookupError';
}

const findCustomer = tool(
  async ({ who }): Promise<string> => {
    throw new LookupError(`no record for ${who}`);
  },
  { name: 'find_customer', description: 'Finds a customer by name', schema: z.object({ who: z.string() }) },
);

const question = { messages: [{ role: 'user', content: `Find ${MARKER}` }] };

const CONTENT_OFF: readonly [string, FactoCallbackHandlerOptions, Partial<FactoOptions>][] = [
  ['captureContent: false', { captureContent: false }, {}],
  ["capture: 'none'", {}, { capture: 'none' }],
  ["capture: 'hashes'", {}, { capture: 'hashes' }],
];

async function toolThatThrows(options: FactoCallbackHandlerOptions, factoOptions: Partial<FactoOptions>) {
  const agent = await wireAgent(factoOptions);
  const handler = new FactoCallbackHandler({ tracerProvider: agent.facto.provider, ...options });
  const model = fakeModel()
    .respondWithTools([{ name: 'find_customer', args: { who: MARKER }, id: 'call_find' }])
    .respond(new AIMessage('I found no such customer.'));
  await createAgent({ model, tools: [findCustomer], name: 'support-agent' }).invoke(question, { callbacks: [handler] });
  return agent.exported();
}

async function modelThatThrows(options: FactoCallbackHandlerOptions, factoOptions: Partial<FactoOptions>) {
  const agent = await wireAgent(factoOptions);
  const handler = new FactoCallbackHandler({ tracerProvider: agent.facto.provider, ...options });
  const model = fakeModel().respond(new LookupError(`the model refused the prompt "Find ${MARKER}"`));
  await expect(createAgent({ model, tools: [], name: 'support-agent' }).invoke(question, { callbacks: [handler] })).rejects.toThrow(MARKER);
  return agent.exported();
}

describe('@facto/langchain: error text', () => {
  it.each(CONTENT_OFF)('a tool that throws, with %s: the error is recorded, its text is not sent', async (_setting, options, factoOptions) => {
    const sent = await toolThatThrows(options, factoOptions);
    expect(sent.placesOf(MARKER)).toEqual([]);
    expect(sent.bytes.includes(MARKER)).toBe(false);
    expectErrorWithoutText(sentSpan(sent.spans, 'execute_tool find_customer'), 'LookupError');
  });

  it.each(CONTENT_OFF)('a model that fails, with %s: the error is recorded on the model call and the agent, its text is not sent', async (_setting, options, factoOptions) => {
    const sent = await modelThatThrows(options, factoOptions);
    expect(sent.placesOf(MARKER)).toEqual([]);
    expect(sent.bytes.includes(MARKER)).toBe(false);
    expectErrorWithoutText(sentSpan(sent.spans, 'chat'), 'LookupError');
    expectErrorWithoutText(sentSpan(sent.spans, 'invoke_agent support-agent'), 'LookupError');
  });

  it('with content on, the errors’ messages are recorded as before', async () => {
    const tool = await toolThatThrows({}, {});
    expect(tool.placesOf(MARKER)).toEqual(expect.arrayContaining(['execute_tool find_customer status.message', 'execute_tool find_customer event exception: exception.message']));
    const model = await modelThatThrows({}, {});
    expect(model.placesOf(MARKER)).toEqual(
      expect.arrayContaining(['chat status.message', 'chat event exception: exception.message', 'invoke_agent support-agent status.message', 'invoke_agent support-agent event exception: exception.message']),
    );
  });
});
