/**
 * @facto/ai-sdk beside the AI SDK's own OpenTelemetry telemetry (ai 6 `experimental_telemetry`,
 * ai 7 `@ai-sdk/otel`), both writing to the agent's provider, into a real collector. By default the
 * SDK's spans stand for the model calls and tool runs and Facto adds none, so nothing is recorded
 * twice; a wrapped openai client under such a call adds none either.
 */
import { OpenTelemetry } from '@ai-sdk/otel';
import * as ai from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import * as ai7 from 'ai7';
import { MockLanguageModelV4 } from 'ai7/test';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { wrapOpenAI } from '@facto/openai';
import { captureDiag } from '../../packages/ai-sdk/src/test-helpers/recording.js';
import { textResult, toolCallResult } from '../../packages/ai-sdk/src/test-helpers/model-fixtures.js';
import { chatCompletion } from '../support/openai-fixtures.js';
import { useAiSdkTestbed } from '../support/ai-sdk-testbed.js';

const testbed = useAiSdkTestbed();

describe('beside the AI SDK’s own telemetry', () => {
  it('ai 6 experimental_telemetry: the SDK’s spans only, a wrapped openai client under the call included', async () => {
    const diagnostics = captureDiag();
    const recorded = testbed.agent();
    testbed.fake.reply({ json: chatCompletion() });
    const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-test', baseURL: testbed.fake.url, maxRetries: 0 }), { tracerProvider: recorded.agent.facto.provider });
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
        return textResult(completion.choices[0]!.message.content ?? '');
      },
    });
    const result = await ai.generateText({
      model: ai.wrapLanguageModel({ model, middleware: recorded.middleware() }),
      prompt: 'hi',
      experimental_telemetry: { isEnabled: true, tracer: recorded.agent.facto.provider.getTracer('ai') },
    });
    expect(result.text).toBe('Order 1042 ships today.');
    expect(testbed.fake.requests).toHaveLength(1);

    const spans = await recorded.agent.landed();
    expect(spans.map((span) => span.name).sort()).toEqual(['ai.generateText', 'ai.generateText.doGenerate']);
    expect(diagnostics.warnings).toHaveLength(1);
  });

  it('ai 7 @ai-sdk/otel: its chat and execute_tool spans only, one per model call and tool run', async () => {
    captureDiag();
    const recorded = testbed.agent();
    const model = ai7.wrapLanguageModel({
      model: new MockLanguageModelV4({ doGenerate: [toolCallResult('call-1', 'lookup_order', { order: 1042 }), textResult('Shipped.')] }),
      middleware: recorded.middleware(),
    });
    const tools = recorded.tools({ lookup_order: ai7.tool({ inputSchema: z.object({ order: z.number() }), execute: async () => 'shipped' }) });
    await ai7.generateText({
      model,
      tools,
      prompt: 'Where is order 1042?',
      stopWhen: ai7.stepCountIs(3),
      telemetry: { functionId: 'order-agent', integrations: [new OpenTelemetry({ tracer: recorded.agent.facto.provider.getTracer('gen_ai') })] },
    });

    const names = (await recorded.agent.landed()).map((span) => span.name);
    expect(names.filter((name) => name.startsWith('chat '))).toEqual(['chat mock-model-id', 'chat mock-model-id']);
    expect(names.filter((name) => name.startsWith('execute_tool '))).toEqual(['execute_tool lookup_order']);
  });
});
