/**
 * Test support: a real SDK tracer provider that keeps finished spans in memory, an async context
 * manager as an application installs one, and a way to read the recorded tree back by span names.
 */
import { context, diag, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';

export interface Recording {
  readonly provider: BasicTracerProvider;
  spans(): ReadableSpan[];
  /** The one finished span with this name. */
  span(name: string): ReadableSpan;
  /** The name of a span's parent, or `-` for a span whose parent was not recorded here. */
  parentName(span: ReadableSpan): string;
  /** A content attribute of a span, parsed. */
  content(span: ReadableSpan, key: string): unknown;
}

export function recording(): Recording {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const spans = () => exporter.getFinishedSpans();
  return {
    provider,
    spans,
    span(name) {
      const found = spans().filter((span) => span.name === name);
      if (found.length !== 1) throw new Error(`expected one span named "${name}", found ${found.length}: ${spans().map((span) => span.name).join(', ')}`);
      return found[0]!;
    },
    parentName(span) {
      const parentId = span.parentSpanContext?.spanId;
      return spans().find((candidate) => candidate.spanContext().spanId === parentId)?.name ?? '-';
    },
    content(span, key) {
      return JSON.parse(String(span.attributes[key]));
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

/**
 * The hooks of a test file that records through the handler: an async context manager for the whole
 * file, and after each test its mocks restored and the global tracer provider removed.
 */
export function useRecordingHooks(): void {
  let removeContext: () => void;
  beforeAll(() => {
    removeContext = useAsyncContext();
  });
  afterAll(() => removeContext());
  afterEach(() => {
    vi.restoreAllMocks();
    trace.disable();
  });
}

/** Silences and records diag.error for a test that expects instrumentation failures. */
export function captureDiagErrors(): string[] {
  const messages: string[] = [];
  vi.spyOn(diag, 'error').mockImplementation((message: string) => void messages.push(message));
  vi.spyOn(diag, 'debug').mockImplementation(() => undefined);
  return messages;
}
