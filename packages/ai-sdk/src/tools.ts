/**
 * `factoTools(tools)`: the same tool set, each tool's `execute` recorded as an `execute_tool {name}`
 * span with the call id the model gave, the arguments and the result (content), and a throwing
 * tool as an error span. This is how tool calls are recorded on ai 6, whose middleware and
 * telemetry hooks never see a tool run; it works the same on ai 7. The tool runs inside its span,
 * so whatever it calls (a model, a sub-agent, an HTTP client) nests under it.
 *
 * Each tool is copied with its own properties (schema, description, type, any others) and only
 * `execute` replaced; tools without `execute` (provider tools, tools for the client to run) are
 * kept as they are. The caller's object is not changed.
 */
import { context as contextApi } from '@opentelemetry/api';
import { createGenAIInstrumentation } from '@facto/genai';
import { resolveOptions, type FactoInstrumentationOptions } from './options.js';
import { deferralNotice, sdkTelemetrySpan } from './sdk-telemetry.js';
import { isToolCallRecorded, withToolCall } from './tool-call-context.js';
import { runTool } from './tool-run.js';
import { objectOf, stringOf } from './values.js';

type Execute = (this: unknown, input: unknown, options: unknown) => unknown;

export function factoTools<Tools extends Readonly<Record<string, object>>>(tools: Tools, options: FactoInstrumentationOptions = {}): Tools {
  if (tools === null || typeof tools !== 'object') throw new TypeError('factoTools expects a tool set: an object of tools by name');
  const { recordInsideSdkTelemetry, instrumentationOptions } = resolveOptions(options);
  const instrumentation = createGenAIInstrumentation({ name: '@facto/ai-sdk' }, instrumentationOptions);
  const notice = deferralNotice();

  const record = (name: string, description: string | undefined, execute: Execute): Execute =>
    function (this: unknown, input, executionOptions) {
      const run = () => execute.call(this, input, executionOptions);
      const active = contextApi.active();
      const toolCallId = stringOf(objectOf(executionOptions).toolCallId);
      if (isToolCallRecorded(active, toolCallId)) return run();
      const sdkSpan = recordInsideSdkTelemetry ? undefined : sdkTelemetrySpan(active, 'tool');
      if (sdkSpan) {
        notice(sdkSpan);
        return run();
      }
      const span = instrumentation.startTool({ name, callId: toolCallId, type: 'function', description, arguments: input }, active);
      if (!span) return run();
      return runTool(span, withToolCall(span.context, toolCallId), run, instrumentation.report);
    };

  const recorded: Record<string, object> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = (tool as { execute?: unknown }).execute;
    if (typeof execute !== 'function') {
      recorded[name] = tool;
      continue;
    }
    const copy = Object.create(Object.getPrototypeOf(tool), Object.getOwnPropertyDescriptors(tool)) as Record<string, unknown>;
    Object.defineProperty(copy, 'execute', { value: record(name, stringOf(copy.description), execute as Execute), writable: true, enumerable: true, configurable: true });
    recorded[name] = copy;
  }
  return recorded as Tools;
}
