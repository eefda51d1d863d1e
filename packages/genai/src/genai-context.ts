/**
 * What a GenAI span tells the code that runs inside it, through the OpenTelemetry context. "An
 * inference span of ours is active" lets a lower layer (the OpenAI wrapper called from a LangChain
 * or AI SDK model span) add no second inference span for the same model call, so usage is never
 * counted twice. The enclosing agent's name and conversation id let inference and tool spans carry
 * them from their start. The keys are made with `createContextKey`, which uses `Symbol.for`, so
 * two copies of this package in one process still share them.
 */
import { createContextKey, type Context } from '@opentelemetry/api';

export const INFERENCE_ACTIVE_KEY = createContextKey('facto.genai.inference_active');
const AGENT_KEY = createContextKey('facto.genai.agent');

export interface AgentScope {
  readonly name?: string;
  readonly conversationId?: string;
}

export function isInferenceActive(context: Context): boolean {
  return context.getValue(INFERENCE_ACTIVE_KEY) === true;
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
