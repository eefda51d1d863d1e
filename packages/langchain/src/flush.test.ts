import { trace, type TracerProvider } from '@opentelemetry/api';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { FactoCallbackHandler } from './callback-handler.js';
import { captureDiagErrors, useRecordingHooks } from './test-helpers/recording.js';

useRecordingHooks();

/** A provider that exports only when flushed: its batch delay is far longer than any test. */
function batchingProvider() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 3_600_000 })] });
  return { exporter, provider };
}

function agent() {
  return createAgent({ model: fakeModel().respond(new AIMessage('Shipped.')), tools: [], name: 'support-agent' });
}

const question = { messages: [{ role: 'user', content: 'Where is order 1042?' }] };

describe('FactoCallbackHandler.flush', () => {
  it('delivers what the run recorded through the tracer provider it was given', async () => {
    const { exporter, provider } = batchingProvider();
    const handler = new FactoCallbackHandler({ tracerProvider: provider });
    await agent().invoke(question, { callbacks: [handler] });
    expect(exporter.getFinishedSpans()).toEqual([]);
    await handler.flush();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['chat', 'invoke_agent support-agent']);
  });

  it('reaches the provider registered behind the global proxy', async () => {
    const { exporter, provider } = batchingProvider();
    trace.setGlobalTracerProvider(provider);
    const handler = new FactoCallbackHandler();
    await agent().invoke(question, { callbacks: [handler] });
    await handler.flush();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('waits for handlers LangChain still runs in the background', async () => {
    let finished = false;
    const background = BaseCallbackHandler.fromMethods({
      async handleChainEnd() {
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
      },
    });
    background.awaitHandlers = false;
    const handler = new FactoCallbackHandler({ tracerProvider: batchingProvider().provider });
    await agent().invoke(question, { callbacks: [handler, background] });
    await handler.flush();
    expect(finished).toBe(true);
  });

  it('never rejects: a provider that fails to flush is reported through diag', async () => {
    const errors = captureDiagErrors();
    const failing = { getTracer: () => trace.getTracer('noop'), forceFlush: () => Promise.reject(new Error('collector unreachable')) } as TracerProvider;
    await expect(new FactoCallbackHandler({ tracerProvider: failing }).flush()).resolves.toBeUndefined();
    expect(errors).toEqual(['@facto/langchain: flushing the tracer provider failed, the call itself is unaffected: collector unreachable']);
  });
});
