/**
 * `FactoCallbackHandler`: one LangChain callback handler that records what an agent does as GenAI
 * spans from `@facto/genai`, nested by LangChain's own run tree: the agent run (`invoke_agent`), each
 * model call (`chat {model}`), each tool and retriever call (`execute_tool`). Which chain runs get a
 * span is decided in chain-runs.ts, where each span goes in run-registry.ts.
 *
 * LangChain runs callback handlers from a background queue by default. This one asks to be awaited
 * (`awaitHandlers`): each callback is a few attribute writes, and run inline it sees the run as it
 * happens, with true start and end times, in the caller's OpenTelemetry context; by the time
 * `invoke()` returns, every span of the run has ended. Every callback is guarded: a failure inside
 * is reported once through OpenTelemetry's diag logger and the agent's run goes on untouched.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { TracerProvider } from '@opentelemetry/api';
import { createGenAIInstrumentation, GEN_AI_OPERATIONS, type GenAIInstrumentation, type GenAIInstrumentationOptions, type InferenceSpan } from '@facto/genai';
import { abortedSignalReason, callSignalOf, cancelOutcome, Cancellations, endCutShort, type CancelOutcome } from './cancellation.js';
import { agentStartOf, isGraph } from './chain-runs.js';
import { flushRecording } from './flush.js';
import { modelRunEnded, modelRunStarted } from './inference-in-progress.js';
import { inferenceStart, recordChatInput, recordPromptInput, recordRequest, recordResult, type ModelOperation } from './model-runs.js';
import { RunRegistry, type Run } from './run-registry.js';
import { retrievedDocuments, retrieverStartOf, toolResult, toolStartOf } from './tool-runs.js';
import { fieldsOf, type Fields } from './values.js';

export interface FactoCallbackHandlerOptions extends GenAIInstrumentationOptions {
  /**
   * The name of the outermost run's `invoke_agent` span. Default: the agent's own name
   * (`createAgent({ name })`), else the run's name (`LangGraph` for an unnamed graph).
   */
  readonly agentName?: string;
}

/** The stream events of LangChain's content-block protocol that carry model output. */
const OUTPUT_EVENTS = new Set(['content-block-start', 'content-block-delta']);

export class FactoCallbackHandler extends BaseCallbackHandler {
  name = 'FactoCallbackHandler';
  override awaitHandlers = true;
  readonly #genai: GenAIInstrumentation;
  readonly #runs = new RunRegistry();
  readonly #cancellations = new Cancellations();
  readonly #agentName: string | undefined;
  readonly #tracerProvider: TracerProvider | undefined;

  constructor(options: FactoCallbackHandlerOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('FactoCallbackHandler expects an options object');
    const { agentName } = options;
    if (agentName !== undefined && (typeof agentName !== 'string' || agentName === '')) throw new TypeError('agentName must be a non-empty string');
    this.#genai = createGenAIInstrumentation({ name: '@facto/langchain' }, options);
    this.#agentName = agentName;
    this.#tracerProvider = options.tracerProvider;
  }

  /**
   * Delivers what the handler recorded: waits for LangChain's background callback queue (other
   * handlers, LangSmith), then flushes the tracer provider, so the spans are with the collector.
   * Call it before the process exits, or hand it to `waitUntil` on serverless. Never rejects.
   */
  flush(): Promise<void> {
    return flushRecording(this.#tracerProvider, this.#genai.report);
  }

  /** The handler follows runs by id: a copy must be the same handler, or runs started before it would be lost. */
  override copy(): this {
    return this;
  }

  // The real argument order of LangChain 1.x; its type declaration puts runType fourth and parentRunId eighth.
  override handleChainStart(chain: unknown, _inputs: unknown, runId: string, parentRunId?: string, _tags?: string[], metadata?: Record<string, unknown>, _runType?: string, runName?: string): void {
    this.#guard('recording a chain start', () => {
      this.#carryOn(parentRunId);
      const place = this.#runs.place(parentRunId);
      const start = agentStartOf({ serialized: chain, metadata: fieldsOf(metadata), runName, outermost: place.outermost, enclosingAgentName: place.agentName }, this.#agentName);
      if (!start) {
        this.#runs.add(runId, { kind: 'chain', parentRunId });
        return;
      }
      this.#runs.add(runId, { kind: 'agent', parentRunId, span: this.#genai.startAgent(start, place.context), agentName: start.name, graph: isGraph(chain) });
    });
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.#guard('recording a chain end', () => {
      this.#closeAbandoned(runId);
      this.#runs.take(runId, 'chain');
      this.#runs.take(runId, 'agent')?.span?.end();
    });
  }

  override handleChainError(error: unknown, runId: string): void {
    this.#guard('recording a chain error', () => {
      const agent = this.#runs.get(runId, 'agent');
      if (this.#cancellations.isCancellation(error, agent?.graph === true)) {
        this.#endCancelled(runId);
        return;
      }
      this.#closeAbandoned(runId);
      this.#cutShort(this.#runs.take(runId, 'chain') ?? this.#runs.take(runId, 'agent'), error);
      agent?.span?.fail(error);
      agent?.span?.end();
    });
  }

  override handleChatModelStart(llm: unknown, messages: unknown, runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>): void {
    this.#startModel(GEN_AI_OPERATIONS.chat, llm, runId, parentRunId, extraParams, metadata, (span) => recordChatInput(span, messages, extraParams));
  }

  override handleLLMStart(llm: unknown, prompts: string[], runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>): void {
    this.#startModel(GEN_AI_OPERATIONS.textCompletion, llm, runId, parentRunId, extraParams, metadata, (span) => recordPromptInput(span, prompts));
  }

  override handleLLMNewToken(_token: string, _indices: unknown, runId: string): void {
    this.#guard('recording a streamed token', () => this.#streamed(runId));
  }

  override handleChatModelStreamEvent(event: unknown, runId: string): void {
    this.#guard('recording a stream event', () => {
      if (OUTPUT_EVENTS.has(fieldsOf(event).event as string)) this.#streamed(runId);
    });
  }

  override handleLLMEnd(output: unknown, runId: string): void {
    this.#guard('recording a model result', () => {
      this.#closeAbandoned(runId);
      const run = this.#runs.take(runId, 'model');
      run?.unwatch?.();
      if (!run?.span) return;
      modelRunEnded(run.parentRunId);
      try {
        recordResult(run.span, output);
        if (run.streamed) run.span.streamEnded('completed');
      } finally {
        run.span.end();
      }
    });
  }

  override handleLLMError(error: unknown, runId: string): void {
    this.#guard('recording a model error', () => {
      this.#closeAbandoned(runId);
      const run = this.#runs.take(runId, 'model');
      run?.unwatch?.();
      this.#cutShort(run, error);
      if (!run?.span) return;
      modelRunEnded(run.parentRunId);
      run.span.fail(error);
      if (run.streamed) run.span.streamEnded(/abort/i.test(String(fieldsOf(error).name)) ? 'aborted' : 'failed');
      run.span.end();
    });
  }

  override handleToolStart(tool: unknown, input: string, runId: string, parentRunId?: string, _tags?: string[], _metadata?: Record<string, unknown>, runName?: string, toolCallId?: string): void {
    this.#guard('recording a tool start', () => {
      this.#carryOn(parentRunId);
      const place = this.#runs.place(parentRunId);
      this.#runs.add(runId, { kind: 'tool', parentRunId, span: this.#genai.startTool(toolStartOf(tool, input, runName, toolCallId), place.context) });
    });
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.#guard('recording a tool result', () => {
      this.#closeAbandoned(runId);
      const span = this.#runs.take(runId, 'tool')?.span;
      if (!span) return;
      try {
        if (span.capturesContent) span.result(toolResult(output));
      } finally {
        span.end();
      }
    });
  }

  override handleToolError(error: unknown, runId: string): void {
    this.#endWithError(runId, error);
  }

  override handleRetrieverStart(retriever: unknown, query: string, runId: string, parentRunId?: string, _tags?: string[], _metadata?: Record<string, unknown>, name?: string): void {
    this.#guard('recording a retriever start', () => {
      this.#carryOn(parentRunId);
      const place = this.#runs.place(parentRunId);
      this.#runs.add(runId, { kind: 'tool', parentRunId, span: this.#genai.startTool(retrieverStartOf(retriever, query, name), place.context) });
    });
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    this.#guard('recording retrieved documents', () => {
      this.#closeAbandoned(runId);
      const span = this.#runs.take(runId, 'tool')?.span;
      if (!span) return;
      try {
        if (span.capturesContent) span.result(retrievedDocuments(documents));
      } finally {
        span.end();
      }
    });
  }

  override handleRetrieverError(error: unknown, runId: string): void {
    this.#endWithError(runId, error);
  }

  #startModel(operation: ModelOperation, llm: unknown, runId: string, parentRunId: string | undefined, extraParams: Fields | undefined, metadata: Fields | undefined, recordInput: (span: InferenceSpan) => void): void {
    this.#guard('recording a model start', () => {
      this.#carryOn(parentRunId);
      const place = this.#runs.place(parentRunId);
      // Undefined when an inference span already stands for this call (a model that calls another).
      const span = this.#genai.startInference(inferenceStart(operation, llm, extraParams, metadata), place.context);
      const signal = callSignalOf(extraParams);
      const run: Run = { kind: 'model', parentRunId, span, streamed: false, signal };
      this.#runs.add(runId, run);
      if (!span) return;
      this.#watchAbort(runId, run, signal);
      modelRunStarted(parentRunId);
      this.#guard('recording the model request', () => {
        recordRequest(span, extraParams, metadata);
        recordInput(span);
      });
    });
  }

  /**
   * A model stream read directly (`model.stream(...)`, no graph around it) whose call signal aborts
   * gets no callback from LangChain: its span would stay open and its run registered for ever. The
   * call's own signal ends it, as `aborted` (or `stopped` for an abort without a reason). The
   * listener goes when the run ends otherwise, so a signal reused across calls holds none.
   */
  #watchAbort(runId: string, run: Run, signal: AbortSignal | undefined): void {
    if (signal === undefined || signal.aborted || run.kind !== 'model') return;
    const onAbort = () =>
      this.#guard('recording an aborted model stream', () => {
        if (!run.streamed || this.#runs.get(runId, 'model') !== run) return; // LangChain ends the others itself
        this.#runs.take(runId, 'model');
        modelRunEnded(run.parentRunId);
        run.span?.streamEnded(cancelOutcome(signal.reason));
        run.span?.end();
      });
    signal.addEventListener('abort', onAbort, { once: true });
    run.unwatch = () => signal.removeEventListener('abort', onAbort);
  }

  #streamed(runId: string): void {
    const run = this.#runs.get(runId, 'model');
    if (!run?.span) return;
    run.span.firstChunk();
    if (run.streamed) return;
    run.streamed = true;
    run.span.request({ stream: true });
  }

  #endWithError(runId: string, error: unknown): void {
    this.#guard('recording a tool error', () => {
      this.#closeAbandoned(runId);
      const run = this.#runs.take(runId, 'tool');
      this.#cutShort(run, error);
      run?.span?.fail(error);
      run?.span?.end();
    });
  }

  /**
   * Ends a run LangGraph cancelled (cancellation.ts). Its span says `stopped`, with no error, when
   * its reader stopped reading (or its caller aborted without a reason), and `aborted`, an error of
   * type `AbortError`, when the caller's signal aborted with a reason. The reason is read from the
   * signal of a model call it left open, else from the error its runs in flight were cut short with.
   */
  #endCancelled(runId: string): void {
    const abandoned = this.#runs.takeAbandoned(runId);
    const agent = this.#runs.take(runId, 'agent');
    this.#runs.take(runId, 'chain');
    const reason = abortedSignalReason(abandoned) ?? agent?.lastFailure;
    const outcome = cancelOutcome(reason);
    this.#endAbandoned(abandoned, outcome, reason);
    if (agent?.span) endCutShort(agent.span, outcome, reason);
  }

  /** A run started inside these agents: an error before it is not why they are cancelled later. */
  #carryOn(parentRunId: string | undefined): void {
    for (const agent of this.#runs.enclosingAgents(parentRunId)) agent.lastFailure = undefined;
  }

  /** A run failed: if the agents it is in are cancelled next, this was the reason it was cut short with. */
  #cutShort(run: Run | undefined, error: unknown): void {
    if (!run || this.#cancellations.isCancellation(error, false)) return;
    for (const agent of this.#runs.enclosingAgents(run.parentRunId)) agent.lastFailure = error;
  }

  /** Ends what LangChain left open under a run that ended (see #endAbandoned). */
  #closeAbandoned(runId: string): void {
    this.#endAbandoned(this.#runs.takeAbandoned(runId), 'stopped');
  }

  /**
   * A model stream or an agent run its reader stopped reading gets no end callback of its own, nor
   * does one the run around it was cancelled in. Such a stream's or agent's span says how the run
   * around it ended: `stopped`, as a stream left early does, or `aborted`; a model stream whose own
   * call signal aborted, how that signal did.
   */
  #endAbandoned(abandoned: readonly Run[], outcome: CancelOutcome, reason?: unknown): void {
    for (const run of abandoned) {
      if (run.kind === 'chain' || !run.span) continue;
      if (run.kind === 'agent') {
        endCutShort(run.span, outcome, reason);
        continue;
      }
      if (run.kind === 'model') {
        run.unwatch?.();
        modelRunEnded(run.parentRunId);
        if (run.streamed) run.span.streamEnded(run.signal?.aborted ? cancelOutcome(run.signal.reason) : outcome);
      }
      run.span.end();
    }
  }

  #guard(where: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#genai.report(where, error);
    }
  }
}

