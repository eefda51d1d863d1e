/**
 * Test support: a real SDK tracer provider that keeps finished spans in memory, the async context
 * manager an application installs (so context.with() nests spans as it does there), and a diag
 * spy for tests that expect a warning or a reported failure.
 */
import { context, diag } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { vi } from 'vitest';

export interface Recording {
  readonly provider: BasicTracerProvider;
  spans(): ReadableSpan[];
  /** The one finished span with this name; throws listing the names there are otherwise. */
  span(name: string): ReadableSpan;
  /** A content attribute of a span, parsed. */
  content(span: ReadableSpan, key: string): any;
}

export function recording(): Recording {
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
    content: (span, key) => JSON.parse(String(span.attributes[key])),
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

/** Records diag warnings and errors (silenced) for a test that expects them. */
export function captureDiag(): { warnings: string[]; errors: string[] } {
  const captured = { warnings: [] as string[], errors: [] as string[] };
  vi.spyOn(diag, 'warn').mockImplementation((message: string) => void captured.warnings.push(message));
  vi.spyOn(diag, 'error').mockImplementation((message: string) => void captured.errors.push(message));
  vi.spyOn(diag, 'debug').mockImplementation(() => undefined);
  return captured;
}
