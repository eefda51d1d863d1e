/**
 * The one-line setup. createFacto builds a tracer provider whose every span is signed, chained and
 * exported to the collector, without touching global state (several agents can run side by side in
 * one process, each with its own id, key and chain); registerFacto does the same and installs it as
 * the global provider. Both return the recording helpers record(), step() and traced().
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, diag, DiagConsoleLogger, DiagLogLevel, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ACTION_ATTR, ATTR, getPublicKey, toHex } from '@facto/core';
import { resolveEnvironment, type FactoEnvironmentOptions } from './config.js';
import { recordStepError } from './error-text.js';
import type { FlushReport } from './export-queue.js';
import { createFileHeadStore } from './file-head-store.js';
import { toJsonText } from './json-value.js';
import { metaAttributes, type RecordMeta } from './meta.js';
import { DEFAULT_FLUSH_TIMEOUT_MILLIS, FactoSpanProcessor, type FactoSpanProcessorOptions } from './processor.js';

export interface FactoOptions extends FactoEnvironmentOptions {
  /** service.name of the resource. Default: the agent id. */
  readonly serviceName?: string;
  /** Persist the chain head in this file so the chain continues across restarts. */
  readonly headFile?: string;
  /** Replaces the OTLP exporter (tests, custom pipelines). */
  readonly exporter?: SpanExporter;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
  readonly scheduledDelayMillis?: number;
  readonly retryDelayMillis?: number;
  readonly flushTimeoutMillis?: number;
  /**
   * The OTLP exporter's timeout for one export (default 10 s); 5 s after it the queue reports a stalled
   * export. With your own `exporter`, how long before that report (default 30 s).
   */
  readonly exportTimeoutMillis?: number;
  /** See FactoSpanProcessorOptions.signing. Default `deferred`. */
  readonly signing?: 'inline' | 'deferred';
}

export interface StepContext {
  /** The id of the event this step produces. */
  readonly factoId: string;
  readonly span: Span;
  /** Records this as the step's output instead of the function's return value. */
  setOutput(value: unknown): void;
}

export interface Facto {
  readonly agentId: string;
  readonly chainId: string;
  readonly keyId: string;
  /** Hex of the raw public key: register it with the collector (`--keys`) for strict trust. */
  readonly publicKey: string;
  readonly provider: BasicTracerProvider;
  readonly processor: FactoSpanProcessor;
  readonly tracer: Tracer;
  /** Records one finished action and returns its facto_id. */
  record(actionType: string, input: unknown, output: unknown, meta?: RecordMeta): string;
  /** Runs `fn` as one recorded action: its output, error and duration. Nested steps become child spans. */
  step<T>(actionType: string, input: unknown, fn: (step: StepContext) => T | Promise<T>): Promise<T>;
  /** Wraps a function so that every call is a step. */
  traced<A extends unknown[], R>(actionType: string, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R>;
  flush(): Promise<FlushReport>;
  shutdown(): Promise<FlushReport>;
}

/** The OTLP exporter's own timeout for one export; the queue's, a little longer, only reports an exporter that never answers. */
const OTLP_EXPORT_TIMEOUT_MILLIS = 10_000;
const QUEUE_TIMEOUT_MARGIN_MILLIS = 5_000;

function createExporter(options: FactoOptions, url: string, protocol: string, headers: Record<string, string>): SpanExporter {
  if (options.exporter) return options.exporter;
  const config = { url, headers, timeoutMillis: options.exportTimeoutMillis ?? OTLP_EXPORT_TIMEOUT_MILLIS };
  return protocol === 'http/json' ? new JsonExporter(config) : new ProtobufExporter(config);
}

export function createFacto(options: FactoOptions = {}): Facto {
  const resolved = resolveEnvironment(options);
  const processorOptions: FactoSpanProcessorOptions = {
    agentId: resolved.agentId,
    privateKey: resolved.privateKey,
    chainId: resolved.chainId,
    exporter: createExporter(options, resolved.url, resolved.protocol, resolved.headers),
    capture: resolved.capture,
    headStore: options.headFile ? createFileHeadStore(options.headFile) : undefined,
    maxQueueSize: options.maxQueueSize,
    maxExportBatchSize: options.maxExportBatchSize,
    scheduledDelayMillis: options.scheduledDelayMillis,
    retryDelayMillis: options.retryDelayMillis,
    flushTimeoutMillis: options.flushTimeoutMillis,
    exportTimeoutMillis: options.exporter ? options.exportTimeoutMillis : (options.exportTimeoutMillis ?? OTLP_EXPORT_TIMEOUT_MILLIS) + QUEUE_TIMEOUT_MARGIN_MILLIS,
    signing: options.signing,
  };
  const processor = new FactoSpanProcessor(processorOptions);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? resolved.agentId }),
    spanProcessors: [processor],
    // The processor bounds its own wait; the provider's race (30 s by default) must not cut it short.
    forceFlushTimeoutMillis: (options.flushTimeoutMillis ?? DEFAULT_FLUSH_TIMEOUT_MILLIS) + QUEUE_TIMEOUT_MARGIN_MILLIS,
  });
  const tracer = provider.getTracer('@facto/otel');
  // Each instance tracks its own active step, so nesting works without a global context manager.
  const activeStep = new AsyncLocalStorage<Context>();

  const factoIdOf = (span: Span) => {
    const value = (span as unknown as ReadableSpan).attributes?.[ATTR.id];
    return typeof value === 'string' ? value : '';
  };

  const step = async <T>(actionType: string, input: unknown, fn: (step: StepContext) => T | Promise<T>): Promise<T> => {
    const parent = activeStep.getStore() ?? context.active();
    const span = tracer.startSpan(actionType, { attributes: { [ACTION_ATTR.actionType]: actionType, [ACTION_ATTR.input]: toJsonText(input) } }, parent);
    const active = trace.setSpan(parent, span);
    let output: { value: unknown } | undefined;
    const stepContext: StepContext = { factoId: factoIdOf(span), span, setOutput: (value) => (output = { value }) };
    try {
      const result = await activeStep.run(active, () => context.with(active, () => fn(stepContext)));
      span.setAttribute(ACTION_ATTR.output, toJsonText(output ? output.value : result));
      return result;
    } catch (error) {
      recordStepError(span, error, resolved.capture);
      throw error;
    } finally {
      span.end();
    }
  };

  return {
    agentId: resolved.agentId,
    chainId: processor.chainId,
    keyId: processor.keyId,
    publicKey: toHex(getPublicKey(resolved.privateKey)),
    provider,
    processor,
    tracer,
    record(actionType, input, output, meta) {
      try {
        const parent = activeStep.getStore() ?? context.active();
        const span = tracer.startSpan(
          actionType,
          {
            attributes: {
              ...metaAttributes(meta),
              [ACTION_ATTR.actionType]: actionType,
              [ACTION_ATTR.input]: toJsonText(input),
              [ACTION_ATTR.output]: toJsonText(output),
            },
          },
          parent,
        );
        const factoId = factoIdOf(span);
        span.end();
        return factoId;
      } catch {
        return '';
      }
    },
    step,
    traced: (actionType, fn) => (...args) => step(actionType, args, () => fn(...args)),
    flush: () => processor.flush(),
    shutdown: async () => {
      const report = await processor.close();
      await provider.shutdown().catch(() => undefined);
      return report;
    },
  };
}

const DIAG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  NONE: DiagLogLevel.NONE,
  ERROR: DiagLogLevel.ERROR,
  WARN: DiagLogLevel.WARN,
  INFO: DiagLogLevel.INFO,
  DEBUG: DiagLogLevel.DEBUG,
  VERBOSE: DiagLogLevel.VERBOSE,
  ALL: DiagLogLevel.ALL,
};

/**
 * OpenTelemetry's diag logger on the console, at OTEL_LOG_LEVEL as the OTel SDKs read it. Unlike
 * NodeSDK, which logs nothing when the variable is unset, unset means WARN: a collector that cannot
 * be reached, a token it refuses, spans it rejects are then said on stderr, since telemetry that
 * stops delivering must not do so silently. OTEL_LOG_LEVEL=NONE keeps it quiet; a logger set after
 * registerFacto replaces this one.
 */
function installDiagLogger(level: string | undefined): void {
  const chosen = DIAG_LEVELS[(level ?? '').trim().toUpperCase()] ?? DiagLogLevel.WARN;
  if (chosen !== DiagLogLevel.NONE) diag.setLogger(new DiagConsoleLogger(), { logLevel: chosen });
}

/**
 * createFacto, then installs the provider, an async context manager and W3C propagation globally,
 * and a console diag logger (at OTEL_LOG_LEVEL, default WARN) so that delivery problems are seen.
 * The logger comes first, so that what the OpenTelemetry API says about the rest is heard. Another
 * tracer provider already installed keeps its place (the API refuses a second one): instrumented
 * calls then go to it, unsigned, and nothing reaches Facto, so that is said as an error.
 */
export function registerFacto(options: FactoOptions = {}): Facto {
  installDiagLogger(process.env.OTEL_LOG_LEVEL);
  const facto = createFacto(options);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (!trace.setGlobalTracerProvider(facto.provider)) {
    diag.error(
      'facto: registerFacto could not install its tracer provider: another one is already registered globally (an OpenTelemetry SDK, or registerFacto called before). Instrumented calls go to that one, unsigned, and nothing reaches Facto. Call registerFacto once, before anything else registers a provider, or put a FactoSpanProcessor in the provider you have (README, "Inside an existing OpenTelemetry setup").',
    );
  }
  return facto;
}
