/**
 * AI SDK errors that repeat the input (a tool that throws `no record for <argument>`, a model call
 * whose error quotes the prompt) leave the process only when content does. With content off, at the
 * source (`captureContent: false`) or at the processor (`capture: 'none'` or `'hashes'`), each
 * failed span still says that it failed and how, and the input is nowhere in the bytes the exporter
 * sent; with content on, the error's message is recorded as before. ai 6 and ai 7 (whose telemetry
 * integration also records the run as `invoke_agent`), with the SDK's mock models; the spans go
 * through the real exporter to a local OTLP endpoint.
 */
import * as ai6 from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import * as ai7 from 'ai7';
import { MockLanguageModelV4 } from 'ai7/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { factoMiddleware, factoTelemetry, factoTools, type FactoInstrumentationOptions } from '@facto/ai-sdk';
import type { FactoOptions } from '@facto/otel';
import { textResult, toolCallResult } from '../../packages/ai-sdk/src/test-helpers/model-fixtures.js';
import { expectErrorWithoutText, sentSpan, useWireAgents } from '../support/wire-agent.js';

const MARKER = 'SSN-078-05-1120';
const wireAgent = useWireAgents();

class LookupError extends Error {
  override name = 'LookupError';
}

const CONTENT_OFF: readonly [string, FactoInstrumentationOptions, Partial<FactoOptions>][] = [
  ['captureContent: false', { captureContent: false }, {}],
  ["capture: 'none'", {}, { capture: 'none' }],
  ["capture: 'hashes'", {}, { capture: 'hashes' }],
];

describe.each([
  { label: 'ai 6', ai: ai6, MockLanguageModel: MockLanguageModelV3, runsTelemetry: false },
  { label: 'ai 7', ai: ai7 as unknown as typeof ai6, MockLanguageModel: MockLanguageModelV4 as unknown as typeof MockLanguageModelV3, runsTelemetry: true },
])('$label', ({ ai, MockLanguageModel, runsTelemetry }) => {
  const toolThatThrows = async (options: FactoInstrumentationOptions, factoOptions: Partial<FactoOptions>) => {
    const agent = await wireAgent(factoOptions);
    const settings = { tracerProvider: agent.facto.provider, ...options };
    const model = ai.wrapLanguageModel({
      model: new MockLanguageModel({ doGenerate: [toolCallResult('call-1', 'find_customer', { who: MARKER }), textResult('I found no such customer.')] }),
      middleware: factoMiddleware(settings),
    });
    const findCustomer = ai.tool({
      inputSchema: z.object({ who: z.string() }),
      execute: async ({ who }): Promise<string> => {
        throw new LookupError(`no record for ${who}`);
      },
    });
    await ai.generateText({ model, tools: factoTools({ find_customer: findCustomer }, settings), prompt: `Find ${MARKER}`, stopWhen: ai.stepCountIs(3) });
    return agent.exported();
  };

  const modelThatThrows = async (options: FactoInstrumentationOptions, factoOptions: Partial<FactoOptions>) => {
    const agent = await wireAgent(factoOptions);
    const settings = { tracerProvider: agent.facto.provider, ...options };
    const model = ai.wrapLanguageModel({
      model: new MockLanguageModel({
        doGenerate: async () => {
          throw new LookupError(`the model refused the prompt "Find ${MARKER}"`);
        },
      }),
      middleware: factoMiddleware(settings),
    });
    // ai 7's option; the run's invoke_agent span comes from the telemetry integration.
    const telemetry = runsTelemetry ? ({ telemetry: { functionId: 'support-agent', integrations: [factoTelemetry(settings)] } } as object) : {};
    await expect(ai.generateText({ model, prompt: `Find ${MARKER}`, maxRetries: 0, ...telemetry })).rejects.toThrow(MARKER);
    return agent.exported();
  };

  const failedSpans = runsTelemetry ? ['chat mock-model-id', 'invoke_agent support-agent'] : ['chat mock-model-id'];

  it.each(CONTENT_OFF)('a tool that throws, with %s: the error is recorded, its text is not sent', async (_setting, options, factoOptions) => {
    const sent = await toolThatThrows(options, factoOptions);
    expect(sent.placesOf(MARKER)).toEqual([]);
    expect(sent.bytes.includes(MARKER)).toBe(false);
    expectErrorWithoutText(sentSpan(sent.spans, 'execute_tool find_customer'), 'LookupError');
  });

  it.each(CONTENT_OFF)('a model call that fails, with %s: the error is recorded, its text is not sent', async (_setting, options, factoOptions) => {
    const sent = await modelThatThrows(options, factoOptions);
    expect(sent.placesOf(MARKER)).toEqual([]);
    expect(sent.bytes.includes(MARKER)).toBe(false);
    for (const name of failedSpans) expectErrorWithoutText(sentSpan(sent.spans, name), 'LookupError');
  });

  it('with content on, the errors’ messages are recorded as before', async () => {
    const tool = await toolThatThrows({}, {});
    expect(tool.placesOf(MARKER)).toEqual(expect.arrayContaining(['execute_tool find_customer status.message', 'execute_tool find_customer event exception: exception.message']));
    const model = await modelThatThrows({}, {});
    expect(model.placesOf(MARKER)).toEqual(expect.arrayContaining(failedSpans.flatMap((name) => [`${name} status.message`, `${name} event exception: exception.message`])));
  });
});
