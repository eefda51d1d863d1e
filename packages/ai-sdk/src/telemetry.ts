/**
 * `factoTelemetry()`: an ai 7 telemetry integration, passed per call as
 * `telemetry: { functionId, integrations: [factoTelemetry()] }` (or in a `ToolLoopAgent`'s
 * settings). It records what the middleware cannot see:
 *
 * - a run with a `functionId` as one `invoke_agent {functionId}` span, with every model call of
 *   every step run inside it (through `executeLanguageModelCall`), so the middleware's `chat` spans
 *   and the tool spans group under it;
 * - each tool run as an `execute_tool {name}` span with its call id, arguments and result, the tool
 *   running inside it (through `executeTool`), so spans the tool makes nest under it. A wrapped tool
 *   (`factoTools`) inside sees the call already recorded and adds no second span.
 *
 * ai 6 has no such hooks that run the call (its integrations only hear events), so there this is
 * not used: tools are recorded by `factoTools`. Runs are keyed by the SDK's `callId`; a run's state
 * is dropped when the run ends, fails or is aborted.
 */
import { context as contextApi, diag, type Context } from '@opentelemetry/api';
import { createGenAIInstrumentation, type GenAISpan, type ToolSpan } from '@facto/genai';
import { resolveOptions, type FactoInstrumentationOptions } from './options.js';
import { providerNameOf } from './provider-name.js';
import { runInContext } from './run-in-context.js';
import { deferralNotice, sdkTelemetrySpan } from './sdk-telemetry.js';
import { withToolCall } from './tool-call-context.js';
import { objectOf, stringOf } from './values.js';

/** The fields of ai 7's telemetry events this integration reads. */
export interface TelemetryEvent {
  readonly callId?: unknown;
  readonly operationId?: unknown;
  readonly functionId?: unknown;
  readonly provider?: unknown;
}

export interface ToolExecutionEvent {
  readonly callId?: unknown;
  readonly toolCall?: unknown;
  readonly toolOutput?: unknown;
}

/** ai 7's `Telemetry` interface, the parts implemented here; assignable to it. */
export interface FactoTelemetry {
  onStart(event: TelemetryEvent): void;
  onEnd(event: TelemetryEvent): void;
  onError(event: unknown): void;
  onAbort(event: TelemetryEvent): void;
  onToolExecutionEnd(event: ToolExecutionEvent): void;
  executeLanguageModelCall<T>(options: { readonly callId: string; readonly execute: () => PromiseLike<T> }): PromiseLike<T>;
  executeTool<T>(options: { readonly callId: string; readonly toolCallId: string; readonly toolCall?: unknown; readonly execute: () => PromiseLike<T> }): PromiseLike<T>;
}

/** The operations that run a model (and tools) step by step. */
const AGENT_OPERATIONS = new Set(['ai.generateText', 'ai.streamText']);

export function factoTelemetry(options: FactoInstrumentationOptions = {}): FactoTelemetry {
  const { recordInsideSdkTelemetry, instrumentationOptions } = resolveOptions(options);
  const instrumentation = createGenAIInstrumentation({ name: '@facto/ai-sdk' }, instrumentationOptions);
  const report = instrumentation.report;
  const notice = deferralNotice();
  const warnWithoutCallId = once(() =>
    diag.warn('@facto/ai-sdk: factoTelemetry() got AI SDK events without a callId, as ai 6 sends them; it records only on ai 7. On ai 6, record tools with factoTools().'),
  );
  const agents = new Map<string, GenAISpan>();
  /** Tool spans whose tool has run and whose result is still to come from onToolExecutionEnd. */
  const tools = new Map<string, ToolSpan>();

  const endAgent = (event: unknown, fail?: (agent: GenAISpan) => void) => {
    const callId = stringOf(objectOf(event).callId);
    const agent = callId === undefined ? undefined : agents.get(callId);
    if (!agent || callId === undefined) return;
    agents.delete(callId);
    fail?.(agent);
    agent.end();
  };

  return {
    onStart(event) {
      const callId = stringOf(event.callId);
      if (!callId) {
        warnWithoutCallId();
        return;
      }
      const functionId = stringOf(event.functionId);
      if (!functionId || !AGENT_OPERATIONS.has(stringOf(event.operationId) ?? '')) return;
      const agent = instrumentation.startAgent({ name: functionId, provider: providerNameOf(event.provider) });
      if (agent) agents.set(callId, agent);
    },
    onEnd(event) {
      endAgent(event);
    },
    onError(event) {
      endAgent(event, (agent) => agent.fail(objectOf(event).error));
    },
    onAbort(event) {
      endAgent(event, (agent) => agent.fail({ name: 'AbortError', message: 'the run was aborted by the caller' }, 'AbortError'));
    },
    executeLanguageModelCall({ callId, execute }) {
      const agent = agents.get(callId);
      return agent ? runInContext(agent.context, execute, report) : execute();
    },
    executeTool({ callId, toolCallId, toolCall, execute }) {
      const active = contextApi.active();
      const sdkSpan = recordInsideSdkTelemetry ? undefined : sdkTelemetrySpan(active, 'tool');
      if (sdkSpan) {
        notice(sdkSpan);
        return runInContext(withToolCall(active, toolCallId), execute, report);
      }
      const call = objectOf(toolCall);
      const parent: Context = agents.get(callId)?.context ?? active;
      const span = instrumentation.startTool({ name: stringOf(call.toolName) ?? 'unknown', callId: toolCallId, type: 'function', arguments: call.input }, parent);
      if (!span) return runInContext(withToolCall(active, toolCallId), execute, report);
      tools.set(toolKey(callId, toolCallId), span);
      const failed = (error: unknown) => {
        tools.delete(toolKey(callId, toolCallId));
        span.fail(error);
        span.end();
        throw error;
      };
      try {
        return Promise.resolve(runInContext(withToolCall(span.context, toolCallId), execute, report)).then(undefined, failed);
      } catch (error) {
        return failed(error);
      }
    },
    onToolExecutionEnd(event) {
      const output = objectOf(event.toolOutput);
      const key = toolKey(stringOf(event.callId), stringOf(output.toolCallId) ?? stringOf(objectOf(event.toolCall).toolCallId));
      const span = tools.get(key);
      if (!span) return;
      tools.delete(key);
      if (output.type === 'tool-result' && 'output' in output) span.result(output.output);
      else if (output.type === 'tool-error' && !span.failed) span.fail(output.error);
      span.end();
    },
  };
}

function toolKey(callId: string | undefined, toolCallId: string | undefined): string {
  return `${callId ?? ''}\u0000${toolCallId ?? ''}`;
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
