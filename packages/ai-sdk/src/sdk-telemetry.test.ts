import { OpenTelemetry } from '@ai-sdk/otel';
import { trace } from '@opentelemetry/api';
import { generateText, stepCountIs, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { generateText as generateText7, stepCountIs as stepCountIs7, tool as tool7, wrapLanguageModel as wrapLanguageModel7 } from 'ai7';
import { MockLanguageModelV4 } from 'ai7/test';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { factoMiddleware } from './middleware.js';
import { textResult, toolCallResult } from './test-helpers/model-fixtures.js';
import { captureDiag, recording, useAsyncContext } from './test-helpers/recording.js';
import { factoTools } from './tools.js';

let removeContext: () => void;
beforeAll(() => (removeContext = useAsyncContext()));
afterAll(() => removeContext());
afterEach(() => {
  vi.restoreAllMocks();
  trace.disable();
});

const inputSchema = z.object({ order: z.number() });

/** The AI SDK's telemetry writes to the global provider; so do Facto's spans here, as in an application. */
function globalRecording() {
  const recorded = recording();
  trace.setGlobalTracerProvider(recorded.provider);
  return recorded;
}

describe('with the AI SDK’s own telemetry on as well', () => {
  it('ai 6 experimental_telemetry: its spans stand for the model calls and tools; Facto adds none and says so once', async () => {
    const diagnostics = captureDiag();
    const { spans } = globalRecording();
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: [toolCallResult('call-1', 'lookup_order', { order: 1 }), textResult('done')] }), middleware: factoMiddleware() });
    const tools = factoTools({ lookup_order: tool({ inputSchema, execute: async () => 'shipped' }) });
    await generateText({ model, tools, prompt: 'x', stopWhen: stepCountIs(3), experimental_telemetry: { isEnabled: true, functionId: 'order-agent' } });

    const names = spans().map((span) => span.name);
    expect(names.filter((name) => name.startsWith('chat ') || name.startsWith('execute_tool '))).toEqual([]);
    expect(names.filter((name) => name === 'ai.generateText.doGenerate' || name === 'ai.toolCall')).toEqual(['ai.generateText.doGenerate', 'ai.toolCall', 'ai.generateText.doGenerate']);
    expect(diagnostics.warnings).toHaveLength(2);
    expect(diagnostics.warnings[0]).toContain('found its span "ai.generateText.doGenerate"');
    expect(diagnostics.warnings[1]).toContain('found its span "ai.toolCall"');
  });

  it('ai 6 with recordInsideSdkTelemetry: both are recorded, Facto’s span inside the SDK’s', async () => {
    const { spans } = globalRecording();
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: textResult('done') }), middleware: factoMiddleware({ recordInsideSdkTelemetry: true }) });
    await generateText({ model, prompt: 'x', experimental_telemetry: { isEnabled: true } });
    const sdkSpan = spans().find((span) => span.name === 'ai.generateText.doGenerate')!;
    const chat = spans().find((span) => span.name === 'chat mock-model-id')!;
    expect(chat.parentSpanContext?.spanId).toBe(sdkSpan.spanContext().spanId);
  });

  it('ai 6 with telemetry off (its default): Facto’s spans only', async () => {
    const { spans } = globalRecording();
    const model = wrapLanguageModel({ model: new MockLanguageModelV3({ doGenerate: textResult('done') }), middleware: factoMiddleware() });
    await generateText({ model, prompt: 'x' });
    expect(spans().map((span) => span.name)).toEqual(['chat mock-model-id']);
  });

  it('ai 7 with @ai-sdk/otel: its chat and execute_tool spans stand for the steps; Facto adds none', async () => {
    captureDiag();
    const { spans } = globalRecording();
    const model = wrapLanguageModel7({ model: new MockLanguageModelV4({ doGenerate: [toolCallResult('call-1', 'lookup_order', { order: 1 }), textResult('done')] }), middleware: factoMiddleware() });
    const tools = factoTools({ lookup_order: tool7({ inputSchema, execute: async () => 'shipped' }) });
    await generateText7({ model, tools, prompt: 'x', stopWhen: stepCountIs7(3), telemetry: { integrations: [new OpenTelemetry()] } });

    const names = spans().map((span) => span.name);
    expect(names.filter((name) => name === 'chat mock-model-id')).toHaveLength(2);
    expect(names.filter((name) => name === 'execute_tool lookup_order')).toHaveLength(1);
    expect(spans().every((span) => span.instrumentationScope.name === 'gen_ai')).toBe(true);
  });
});
