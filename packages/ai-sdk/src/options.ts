/**
 * The options every part of this package takes: @facto/genai's (where spans go, content capture,
 * its cap) and the choice of what to do inside the AI SDK's own telemetry spans.
 */
import type { GenAIInstrumentationOptions } from '@facto/genai';

export interface FactoInstrumentationOptions extends GenAIInstrumentationOptions {
  /**
   * Record Facto's span for a model call or a tool even when the AI SDK's own OpenTelemetry
   * telemetry already made one for it. Default false: the SDK's span stands for the step, so no
   * step and no token count is recorded twice.
   */
  readonly recordInsideSdkTelemetry?: boolean;
}

export function resolveOptions(options: FactoInstrumentationOptions): { recordInsideSdkTelemetry: boolean; instrumentationOptions: GenAIInstrumentationOptions } {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { recordInsideSdkTelemetry = false, ...instrumentationOptions } = options;
  if (typeof recordInsideSdkTelemetry !== 'boolean') throw new TypeError(`recordInsideSdkTelemetry must be a boolean, got ${typeof recordInsideSdkTelemetry}`);
  return { recordInsideSdkTelemetry, instrumentationOptions };
}
