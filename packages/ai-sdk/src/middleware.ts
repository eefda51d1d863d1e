/**
 * `factoMiddleware()`: a language-model middleware for `wrapLanguageModel({ model, middleware })`
 * that records every model call as a GenAI inference span (`chat {model}`). One object serves ai 6
 * (specification v3) and ai 7 (v4): it is marked `v3`, which ai 7 accepts, and reads only what both
 * versions share. The model runs inside the span's context, so a provider client wrapped by
 * @facto/openai underneath adds no second span, and spans the provider makes nest under it.
 *
 * A complete result is recorded when it arrives. A stream is passed through part by part, unchanged
 * and undelayed, and recorded when it ends (see observed-stream.ts). The result or the stream the
 * caller gets is the model's own; a failure inside the recording is reported once through diag.
 */
import { context as contextApi, type Context } from '@opentelemetry/api';
import { createGenAIInstrumentation, markInferenceActive, type FailureReporter, type InferenceSpan } from '@facto/genai';
import type { CallOptions, GenerateResult, ModelIdentity, StreamResult, WrapGenerateOptions, WrapStreamOptions } from './language-model.js';
import { recordResult } from './model-output.js';
import { observeStream } from './observed-stream.js';
import { resolveOptions, type FactoInstrumentationOptions } from './options.js';
import { inputMessages, toolDefinitions } from './prompt-messages.js';
import { providerNameOf } from './provider-name.js';
import { runInContext } from './run-in-context.js';
import { deferralNotice, sdkTelemetrySpan } from './sdk-telemetry.js';
import { StreamRecorder } from './stream-recorder.js';
import { isObject, stringOf } from './values.js';

export interface FactoMiddlewareOptions extends FactoInstrumentationOptions {
  /** `gen_ai.provider.name`. Default: from the model's provider id (`openai.chat` → `openai`). */
  readonly providerName?: string;
}

/** The middleware, typed by what both ai 6 and ai 7 pass it; assignable to either's `LanguageModelMiddleware`. */
export interface FactoMiddleware {
  readonly specificationVersion: 'v3';
  wrapGenerate<Result extends GenerateResult>(options: WrapGenerateOptions<Result>): Promise<Result>;
  wrapStream<Result extends StreamResult>(options: WrapStreamOptions<Result>): Promise<Result>;
}

interface Call {
  /** Undefined when another span already stands for this call: the model then runs unrecorded. */
  readonly span?: InferenceSpan;
  /** The context the model runs in. */
  readonly context: Context;
}

export function factoMiddleware(options: FactoMiddlewareOptions = {}): FactoMiddleware {
  const { providerName, ...rest } = options;
  if (providerName !== undefined && (typeof providerName !== 'string' || providerName === '')) throw new TypeError('providerName must be a non-empty string');
  const { recordInsideSdkTelemetry, instrumentationOptions } = resolveOptions(rest);
  const instrumentation = createGenAIInstrumentation({ name: '@facto/ai-sdk' }, instrumentationOptions);
  const report = instrumentation.report;
  const notice = deferralNotice();

  const begin = (params: CallOptions, model: ModelIdentity, stream: boolean): Call => {
    const active = contextApi.active();
    let span: InferenceSpan | undefined;
    try {
      const sdkSpan = recordInsideSdkTelemetry ? undefined : sdkTelemetrySpan(active, 'inference');
      if (sdkSpan) {
        notice(sdkSpan);
        return { context: markInferenceActive(active) };
      }
      const modelId = stringOf(model.modelId);
      span = instrumentation.startInference({ operation: 'chat', provider: providerName ?? providerNameOf(model.provider), ...(modelId ? { model: modelId } : {}) }, active);
      if (!span) return { context: active };
      recordRequest(span, params, stream, report);
      return { span, context: span.context };
    } catch (error) {
      report('starting the model call', error);
      span?.end();
      return { context: active };
    }
  };

  return {
    specificationVersion: 'v3',
    async wrapGenerate<Result extends GenerateResult>({ doGenerate, params, model }: WrapGenerateOptions<Result>): Promise<Result> {
      const { span, context } = begin(params, model, false);
      let result: Result;
      try {
        result = await runInContext(context, doGenerate, report);
      } catch (error) {
        span?.fail(error);
        span?.end();
        throw error;
      }
      if (span) {
        try {
          if (isObject(result)) recordResult(span, result);
        } catch (error) {
          report('recording the result', error);
        }
        span.end();
      }
      return result;
    },
    async wrapStream<Result extends StreamResult>({ doStream, params, model }: WrapStreamOptions<Result>): Promise<Result> {
      const { span, context } = begin(params, model, true);
      let result: Result;
      try {
        result = await runInContext(context, doStream, report);
      } catch (error) {
        span?.fail(error);
        span?.end();
        throw error;
      }
      if (!span) return result;
      try {
        return { ...result, stream: watch(result.stream, span, params.abortSignal, report) };
      } catch (error) {
        report('observing the stream', error);
        span.end();
        return result;
      }
    },
  };
}

function recordRequest(span: InferenceSpan, params: CallOptions, stream: boolean, report: FailureReporter): void {
  span.request({
    temperature: params.temperature,
    maxTokens: params.maxOutputTokens,
    topP: params.topP,
    frequencyPenalty: params.frequencyPenalty,
    presencePenalty: params.presencePenalty,
    stopSequences: params.stopSequences,
    seed: params.seed,
    stream,
  });
  if (!span.capturesContent) return;
  try {
    const messages = inputMessages(params.prompt);
    const tools = toolDefinitions(params.tools);
    span.input({ ...(messages ? { messages } : {}), ...(tools ? { toolDefinitions: tools } : {}) });
  } catch (error) {
    report('recording the prompt', error);
  }
}

function watch<Part>(stream: ReadableStream<Part>, span: InferenceSpan, signal: AbortSignal | undefined, report: FailureReporter): ReadableStream<Part> {
  const recorder = new StreamRecorder(span);
  return observeStream(
    stream,
    {
      part(part) {
        try {
          recorder.add(part);
        } catch (error) {
          report('reading a stream part', error);
        }
      },
      end(outcome, error) {
        try {
          recorder.finish();
        } catch (failure) {
          report('recording the streamed result', failure);
        }
        if (outcome === 'failed') span.fail(error);
        else if (recorder.error && !span.failed) span.fail(recorder.error.value);
        span.streamEnded(outcome);
        span.end();
      },
    },
    signal,
  );
}
