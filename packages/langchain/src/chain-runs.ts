/**
 * Which LangChain chain runs become spans. An agent run of LangChain 1.x emits a chain run for the
 * graph, one per graph node per step (`model_request`, `tools`, `__start__`, middleware nodes) and
 * more for the lambdas, sequences and channel writes inside them; recorded one for one they would
 * bury the model and tool calls under framework plumbing. The rule:
 *
 * - the outermost run the handler sees is the agent run: `invoke_agent {name}`, named by the
 *   handler's `agentName` option, else the agent's own name (`createAgent({ name })`, which LangChain
 *   passes as `lc_agent_name`), else the run name;
 * - a LangGraph graph run inside it (a subgraph, or an agent that a tool or a node calls) is an agent
 *   of its own: a nested `invoke_agent {name}`, named by its `lc_agent_name` when that is its own
 *   rather than the enclosing agent's (the metadata is inherited), else its run name;
 * - every other chain run (nodes, sequences, lambdas, prompts, parsers) gets no span: what runs
 *   inside it nests under the nearest run that has one.
 *
 * Model, tool and retriever runs always get their spans, wherever they are.
 */
import type { AgentStart } from '@facto/genai';
import { conversationIdOf } from './run-metadata.js';
import { serializedId, serializedName, stringOf, type Fields } from './values.js';

export interface ChainRun {
  readonly serialized: unknown;
  readonly metadata: Fields;
  readonly runName?: string;
  /** No run this handler records or knows of encloses it. */
  readonly outermost: boolean;
  /** The name of the agent run it is nested in. */
  readonly enclosingAgentName?: string;
}

/** The agent span a chain run starts, or undefined when the run gets no span. */
export function agentStartOf(run: ChainRun, agentName: string | undefined): AgentStart | undefined {
  if (!run.outermost && !isGraph(run.serialized)) return undefined;
  const ownName = stringOf(run.metadata.lc_agent_name);
  const fallback = stringOf(run.runName) ?? serializedName(run.serialized);
  const name = run.outermost ? (agentName ?? ownName ?? fallback) : ((ownName !== run.enclosingAgentName ? ownName : undefined) ?? fallback);
  const conversationId = conversationIdOf(run.metadata);
  return { ...(name !== undefined ? { name } : {}), ...(conversationId !== undefined ? { conversationId } : {}) };
}

/** A compiled LangGraph graph (createAgent's agent, a StateGraph, a subgraph) serializes as `langgraph/pregel/...`. */
export function isGraph(serialized: unknown): boolean {
  const [namespace, module] = serializedId(serialized);
  return namespace === 'langgraph' && module === 'pregel';
}
