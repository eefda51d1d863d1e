/**
 * What an integration (the OpenAI wrapper, the LangChain handler, the AI SDK middleware) creates
 * once and then starts its spans from. Operation, provider, model and agent name go on the span at
 * its start, where samplers read them. The tracer is looked up at every start, so an integration set
 * up before the application registers its tracer provider still records. No start ever throws: on a
 * failure it reports once through diag and returns undefined, and the integration runs the
 * agent's call unrecorded.
 */
import { context as contextApi, SpanKind, trace, type Attributes, type Context, type TracerProvider } from '@opentelemetry/api';
import { DEFAULT_MAX_CONTENT_BYTES, MIN_MAX_CONTENT_BYTES } from './capped-json.js';
import { COMMON_ATTRIBUTES, GEN_AI_ATTRIBUTES, GEN_AI_OPERATIONS, spanName } from './conventions.js';
import { createFailureReporter, type FailureReporter } from './failure-reporter.js';
import { agentScopeOf, isInferenceActive, markInferenceActive, withAgentScope } from './genai-context.js';
import { GenAISpan, type SpanSettings } from './genai-span.js';
import { InferenceSpan } from './inference-span.js';
import { runInSpan } from './run-in-span.js';
import { ToolSpan } from './tool-span.js';

export interface GenAIInstrumentationOptions {
  /** Where spans go. Default: the global provider, looked up at each span start. */
  readonly tracerProvider?: TracerProvider;
  /** Record prompts, completions, tool arguments and results. Default true; false keeps them out at the source. */
  readonly captureContent?: boolean;
  /** Cap on each content attribute, in UTF-8 bytes of its JSON. Default 64 KiB. */
  readonly maxContentBytes?: number;
}

export interface InstrumentationScope {
  /** The integration's package name; it names the OpenTelemetry tracer. */
  readonly name: string;
  readonly version?: string;
}

export interface InferenceStart {
  /** `chat`, `embeddings`, `text_completion`, `generate_content`. */
  readonly operation: string;
  /** `gen_ai.provider.name`: `openai`, `anthropic`, `azure.ai.openai`, ... */
  readonly provider: string;
  readonly model?: string;
  /** Default: the name of the enclosing agent span's agent, if any. */
  readonly agentName?: string;
  /** Only an id the application or the provider has; never make one up. Default: the enclosing agent's. */
  readonly conversationId?: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
  /** Default CLIENT (a remote model); INTERNAL for a model in the same process. */
  readonly kind?: SpanKind;
}

export interface ToolStart {
  readonly name: string;
  readonly callId?: string;
  /** `function`, `extension` or `datastore`. */
  readonly type?: string;
  readonly description?: string;
  /** Content: recorded as `gen_ai.tool.call.arguments` when content capture is on. */
  readonly arguments?: unknown;
}

export interface AgentStart {
  readonly name?: string;
  readonly id?: string;
  readonly description?: string;
  readonly version?: string;
  readonly conversationId?: string;
  readonly provider?: string;
  /** Default INTERNAL (an agent in this process); CLIENT for a remote agent service. */
  readonly kind?: SpanKind;
}

export interface GenAIInstrumentation {
  readonly captureContent: boolean;
  /** Reports an integration's own failure once through diag. */
  readonly report: FailureReporter;
  /** A `{operation} {model}` span, or undefined when an inference span is already active in `parent`. */
  startInference(start: InferenceStart, parent?: Context): InferenceSpan | undefined;
  startTool(start: ToolStart, parent?: Context): ToolSpan | undefined;
  /** An `invoke_agent {name}` span; inference and tool spans started inside it carry the agent's name. */
  startAgent(start: AgentStart, parent?: Context): GenAISpan | undefined;
  /** Runs `fn` inside an `execute_tool` span; its result is recorded, its error recorded and re-thrown unchanged. */
  runTool<T>(start: ToolStart, fn: () => T | PromiseLike<T>): Promise<T>;
  /** Runs `fn` inside an `invoke_agent` span; its error is recorded and re-thrown unchanged. */
  runAgent<T>(start: AgentStart, fn: () => T | PromiseLike<T>): Promise<T>;
}

export function createGenAIInstrumentation(scope: InstrumentationScope, options: GenAIInstrumentationOptions = {}): GenAIInstrumentation {
  if (typeof scope?.name !== 'string' || scope.name === '') throw new TypeError('scope.name must be a non-empty string (the integration package name)');
  const settings = resolveSettings(scope.name, options);
  const tracer = () => (options.tracerProvider ?? trace.getTracerProvider()).getTracer(scope.name, scope.version);
  const report = settings.report;

  const instrumentation: GenAIInstrumentation = {
    captureContent: settings.captureContent,
    report,
    startInference(start, parent) {
      try {
        const context = parent ?? contextApi.active();
        if (isInferenceActive(context)) return undefined;
        const agent = agentScopeOf(context);
        const attributes = defined({
          [GEN_AI_ATTRIBUTES.operationName]: start.operation,
          [GEN_AI_ATTRIBUTES.providerName]: start.provider,
          [GEN_AI_ATTRIBUTES.requestModel]: start.model,
          [GEN_AI_ATTRIBUTES.agentName]: start.agentName ?? agent?.name,
          [GEN_AI_ATTRIBUTES.conversationId]: start.conversationId ?? agent?.conversationId,
          [COMMON_ATTRIBUTES.serverAddress]: start.serverAddress,
          [COMMON_ATTRIBUTES.serverPort]: start.serverPort,
        });
        const span = tracer().startSpan(spanName(start.operation, start.model), { kind: start.kind ?? SpanKind.CLIENT, attributes }, context);
        return new InferenceSpan(span, markInferenceActive(trace.setSpan(context, span)), settings);
      } catch (error) {
        report('starting an inference span', error);
        return undefined;
      }
    },
    startTool(start, parent) {
      try {
        const context = parent ?? contextApi.active();
        const attributes = defined({
          [GEN_AI_ATTRIBUTES.operationName]: GEN_AI_OPERATIONS.executeTool,
          [GEN_AI_ATTRIBUTES.toolName]: start.name,
          [GEN_AI_ATTRIBUTES.toolCallId]: start.callId,
          [GEN_AI_ATTRIBUTES.toolType]: start.type,
          [GEN_AI_ATTRIBUTES.toolDescription]: start.description,
        });
        const span = tracer().startSpan(spanName(GEN_AI_OPERATIONS.executeTool, start.name), { kind: SpanKind.INTERNAL, attributes }, context);
        const tool = new ToolSpan(span, trace.setSpan(context, span), settings);
        if (start.arguments !== undefined) tool.arguments(start.arguments);
        return tool;
      } catch (error) {
        report('starting a tool span', error);
        return undefined;
      }
    },
    startAgent(start, parent) {
      try {
        const context = parent ?? contextApi.active();
        const attributes = defined({
          [GEN_AI_ATTRIBUTES.operationName]: GEN_AI_OPERATIONS.invokeAgent,
          [GEN_AI_ATTRIBUTES.providerName]: start.provider,
          [GEN_AI_ATTRIBUTES.agentName]: start.name,
          [GEN_AI_ATTRIBUTES.agentId]: start.id,
          [GEN_AI_ATTRIBUTES.agentDescription]: start.description,
          [GEN_AI_ATTRIBUTES.agentVersion]: start.version,
          [GEN_AI_ATTRIBUTES.conversationId]: start.conversationId,
        });
        const span = tracer().startSpan(spanName(GEN_AI_OPERATIONS.invokeAgent, start.name), { kind: start.kind ?? SpanKind.INTERNAL, attributes }, context);
        const scoped = withAgentScope(trace.setSpan(context, span), { name: start.name, conversationId: start.conversationId });
        return new GenAISpan(span, scoped, settings);
      } catch (error) {
        report('starting an agent span', error);
        return undefined;
      }
    },
    runTool(start, fn) {
      const tool = instrumentation.startTool(start);
      return runInSpan(tool, fn, report, (value) => tool?.result(value));
    },
    runAgent(start, fn) {
      return runInSpan(instrumentation.startAgent(start), fn, report);
    },
  };
  return instrumentation;
}

function resolveSettings(scopeName: string, options: GenAIInstrumentationOptions): SpanSettings {
  const { captureContent = true, maxContentBytes = DEFAULT_MAX_CONTENT_BYTES, tracerProvider } = options;
  if (typeof captureContent !== 'boolean') throw new TypeError(`captureContent must be a boolean, got ${typeof captureContent}`);
  if (!Number.isInteger(maxContentBytes) || maxContentBytes < MIN_MAX_CONTENT_BYTES) {
    throw new RangeError(`maxContentBytes must be an integer of at least ${MIN_MAX_CONTENT_BYTES}, got ${String(maxContentBytes)}`);
  }
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function') throw new TypeError('tracerProvider must have a getTracer method');
  return { report: createFailureReporter(scopeName), captureContent, maxContentBytes };
}

function defined(attributes: Record<string, string | number | undefined>): Attributes {
  const result: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined && value !== '') result[key] = value;
  return result;
}
