/**
 * Test support: a real SDK tracer provider that keeps finished spans in memory, and a global async
 * context manager so that context.with() nests spans as it does in an application.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface RecordingProvider {
  readonly provider: BasicTracerProvider;
  spans(): ReadableSpan[];
  span(name: string): ReadableSpan;
}

export function recordingProvider(): RecordingProvider {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    provider,
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().filter((span) => span.name === name);
      if (found.length !== 1) throw new Error(`expected one span named "${name}", found ${found.length}: ${exporter.getFinishedSpans().map((span) => span.name).join(', ')}`);
      return found[0]!;
    },
  };
}

/** Installs an AsyncLocalStorage context manager; returns the function that removes it. */
export function useAsyncContext(): () => void {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return () => {
    manager.disable();
    context.disable();
  };
}
