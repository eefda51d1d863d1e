/**
 * Getting what a LangChain run recorded out of the process before it ends. Spans end inline (the
 * handler is awaited), so what can still be pending is LangChain's own background callback queue,
 * where other handlers may still be working, and the tracer provider's export queue. This waits for
 * the first with LangChain's `awaitAllCallbacks()` and then flushes the second with the provider's
 * `forceFlush()` (through the global proxy to the provider registered behind it). It never rejects:
 * a failure is reported through diag, and the caller is about to exit or return anyway.
 */
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { trace, type TracerProvider } from '@opentelemetry/api';
import type { FailureReporter } from '@facto/genai';

interface Flushable {
  forceFlush?: () => Promise<unknown>;
  getDelegate?: () => unknown;
}

export async function flushRecording(tracerProvider: TracerProvider | undefined, report: FailureReporter): Promise<void> {
  try {
    await awaitAllCallbacks();
  } catch (error) {
    report('waiting for LangChain callbacks', error);
  }
  try {
    const provider = (tracerProvider ?? trace.getTracerProvider()) as Flushable;
    const registered = (typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider) as Flushable;
    if (typeof registered.forceFlush === 'function') await registered.forceFlush();
  } catch (error) {
    report('flushing the tracer provider', error);
  }
}
