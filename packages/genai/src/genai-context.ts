/**
 * What a GenAI span tells the code that runs inside it, through the OpenTelemetry context. "An
 * inference span of ours is active" lets a lower layer (the OpenAI wrapper called from a LangChain
 * or AI SDK model span) add no second inference span for the same model call, so usage is never
 * counted twice. The enclosing agent's name and conversation id let inference and tool spans carry
 * them from their start. The keys are made with `createContextKey`, which uses `Symbol.for`, so
 * two copies of this package in one process still share them.
 *
 * Some frameworks run a model call without making any OpenTelemetry context active for it (LangChain
 * keeps its runs in an AsyncLocalStorage of its own), so the context alone cannot tell a lower layer
 * that the call is already recorded. An integration for such a framework adds a check that reads
 * the framework's own context; the checks live on `globalThis` under a `Symbol.for` key for the same
 * reason the context keys use one.
 */
import { createContextKey, type Context } from '@opentelemetry/api';
import { createFailureReporter } from './failure-reporter.js';

export const INFERENCE_ACTIVE_KEY = createContextKey('facto.genai.inference_active');
const AGENT_KEY = createContextKey('facto.genai.agent');

export interface AgentScope {
  readonly name?: string;
  readonly conversationId?: string;
}

/**
 * Says whether an inference span of the integration's own stands for the model call that code running
 * here would make, judged from the framework's own async context. It must be cheap and must not throw;
 * the context is OpenTelemetry's active one, for integrations that also keep state there.
 */
export type InferenceActiveCheck = (context: Context) => boolean;

const CHECKS_KEY = Symbol.for('facto.genai.inference_active_checks');
const reportCheckFailure = createFailureReporter('@facto/genai');

function inferenceActiveChecks(): Set<InferenceActiveCheck> {
  const holder = globalThis as { [CHECKS_KEY]?: Set<InferenceActiveCheck> };
  return (holder[CHECKS_KEY] ??= new Set());
}

/** Adds a check that isInferenceActive consults; returns the function that removes it again. */
export function addInferenceActiveCheck(check: InferenceActiveCheck): () => void {
  if (typeof check !== 'function') throw new TypeError('addInferenceActiveCheck expects a function (context) => boolean');
  const checks = inferenceActiveChecks();
  checks.add(check);
  return () => {
    checks.delete(check);
  };
}

/** True when an inference span is active in `context`, or an integration's check says one is in progress here. */
export function isInferenceActive(context: Context): boolean {
  if (context.getValue(INFERENCE_ACTIVE_KEY) === true) return true;
  for (const check of inferenceActiveChecks()) {
    try {
      if (check(context) === true) return true;
    } catch (error) {
      reportCheckFailure('an inference-active check', error);
    }
  }
  return false;
}

export function markInferenceActive(context: Context): Context {
  return context.setValue(INFERENCE_ACTIVE_KEY, true);
}

export function agentScopeOf(context: Context): AgentScope | undefined {
  return context.getValue(AGENT_KEY) as AgentScope | undefined;
}

export function withAgentScope(context: Context, scope: AgentScope): Context {
  return context.setValue(AGENT_KEY, scope);
}
