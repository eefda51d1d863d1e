/**
 * Test support: inference spans from a real SDK tracer provider that keeps finished spans in memory,
 * so a mapping's output can be read back as the attributes it set.
 */
import { diag } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createGenAIInstrumentation, type GenAIInstrumentation, type InferenceSpan } from '@facto/genai';
import { vi } from 'vitest';

export interface Recording {
  readonly instrumentation: GenAIInstrumentation;
  /** A fresh `chat test-model` span. */
  inference(): InferenceSpan;
  /** The one finished span. */
  finished(): ReadableSpan;
  /** A content attribute of the finished span, parsed. */
  content(key: string): unknown;
}

export function recording(options: { captureContent?: boolean } = {}): Recording {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const instrumentation = createGenAIInstrumentation({ name: '@facto/openai-test' }, { tracerProvider: provider, ...options });
  const finished = () => {
    const spans = exporter.getFinishedSpans();
    if (spans.length !== 1) throw new Error(`expected one finished span, found ${spans.length}`);
    return spans[0]!;
  };
  return {
    instrumentation,
    inference: () => instrumentation.startInference({ operation: 'chat', provider: 'openai', model: 'test-model' })!,
    finished,
    content: (key) => JSON.parse(String(finished().attributes[key])),
  };
}

/** Silences and records diag.error for a test that expects instrumentation failures. */
export function captureDiagErrors(): string[] {
  const messages: string[] = [];
  vi.spyOn(diag, 'error').mockImplementation((message: string) => void messages.push(message));
  vi.spyOn(diag, 'debug').mockImplementation(() => undefined);
  return messages;
}
