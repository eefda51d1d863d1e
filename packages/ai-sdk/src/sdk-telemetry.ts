/**
 * Recognises the spans of the AI SDK's own OpenTelemetry telemetry (`experimental_telemetry` in
 * ai 6, `@ai-sdk/otel` in ai 7) when one is active around a model call or a tool. Both would
 * otherwise record the same step twice, and a model call's usage twice: by default Facto then
 * records nothing of its own for that step and lets the SDK's span stand for it (and still marks
 * the model call as recorded, so a wrapped provider client below adds no third span).
 *
 * The OpenTelemetry API gives no span's name; the SDK's span objects carry it (`name`,
 * `instrumentationScope`, as its ReadableSpan), so this reads them there. With a tracer that is
 * not the OpenTelemetry SDK's, nothing is recognised and both are recorded.
 */
import { diag, trace, type Context } from '@opentelemetry/api';

export type StepKind = 'inference' | 'tool';

interface NamedSpan {
  readonly name?: unknown;
  readonly instrumentationScope?: { readonly name?: unknown };
}

/** ai 6 (and `LegacyOpenTelemetry` of @ai-sdk/otel) names its spans by operation id. */
const LEGACY_NAMES: Readonly<Record<StepKind, RegExp>> = {
  inference: /^ai\.[A-Za-z]+\.do(?:Generate|Stream)$/,
  tool: /^ai\.toolCall$/,
};

/** @ai-sdk/otel writes GenAI-convention spans from its tracer `gen_ai`. */
const CONVENTION_PREFIXES: Readonly<Record<StepKind, string>> = {
  inference: 'chat ',
  tool: 'execute_tool ',
};

/** The name of the AI SDK's own span for this step, when one is active in `context`. */
export function sdkTelemetrySpan(context: Context, kind: StepKind): string | undefined {
  const span = trace.getSpan(context);
  if (!span?.isRecording()) return undefined;
  const { name, instrumentationScope } = span as NamedSpan;
  if (typeof name !== 'string') return undefined;
  if (LEGACY_NAMES[kind].test(name)) return name;
  if (instrumentationScope?.name === 'gen_ai' && name.startsWith(CONVENTION_PREFIXES[kind])) return name;
  return undefined;
}

/** Says once per instrumentation that the SDK's telemetry is on and which spans stand for the calls. */
export function deferralNotice(): (sdkSpan: string) => void {
  let warned = false;
  return (sdkSpan) => {
    if (warned) return;
    warned = true;
    diag.warn(
      `@facto/ai-sdk: the AI SDK's own OpenTelemetry telemetry is on (found its span "${sdkSpan}"); ` +
        'Facto records no second span for the steps it already records. Turn the SDK telemetry off to get ' +
        "Facto's spans, or set recordInsideSdkTelemetry: true to record both.",
    );
  };
}
