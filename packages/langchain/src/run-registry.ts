/**
 * The LangChain runs one handler is following, by run id, and where a new run's span belongs. A span
 * is parented by LangChain's own run tree (`parentRunId`), never by whatever OpenTelemetry context
 * happens to be active when a callback runs: it nests under the span of its nearest recorded
 * ancestor run. A run with no ancestor this handler follows is the outermost one: its span starts in
 * the caller's active context (the handler runs inline, in the caller's async context), so an
 * agent invoked inside an application span nests under it. Runs leave the registry when they end;
 * runs still open under one that ended were abandoned (LangChain sends no end for a model stream its
 * caller stopped reading) and leave with it.
 */
import { context as contextApi, type Context } from '@opentelemetry/api';
import type { GenAISpan, InferenceSpan, ToolSpan } from '@facto/genai';

/** A run without a span (its start was declined or failed) still links its children to its parent. */
export type Run =
  | AgentRun
  | { readonly kind: 'model'; readonly parentRunId?: string; readonly span?: InferenceSpan; streamed: boolean; readonly signal?: AbortSignal; unwatch?: () => void }
  | { readonly kind: 'tool'; readonly parentRunId?: string; readonly span?: ToolSpan }
  | { readonly kind: 'chain'; readonly parentRunId?: string };

export interface AgentRun {
  readonly kind: 'agent';
  readonly parentRunId?: string;
  readonly span?: GenAISpan;
  readonly agentName?: string;
  /** A LangGraph graph, which LangGraph can cancel. */
  readonly graph: boolean;
  /**
   * The error a run inside it last failed with, unless something inside it started since: if the
   * agent is then cancelled, the reason LangChain cut its runs in flight short with.
   */
  lastFailure?: unknown;
}

export type RunKind = Run['kind'];

export interface Placement {
  /** Where a new run's span starts: the nearest recorded ancestor's context, else the caller's. */
  readonly context: Context;
  /** No run this handler follows encloses the new run. */
  readonly outermost: boolean;
  /** The name of the nearest enclosing agent run. */
  readonly agentName?: string;
}

export class RunRegistry {
  readonly #runs = new Map<string, Run>();
  /** Parent run id → its open child runs. */
  readonly #children = new Map<string, Set<string>>();

  place(parentRunId: string | undefined): Placement {
    let context: Context | undefined;
    let agentName: string | undefined;
    let outermost = true;
    let sawAgent = false;
    for (let runId = parentRunId; runId !== undefined; ) {
      const run = this.#runs.get(runId);
      if (!run) break;
      outermost = false;
      if (context === undefined && run.kind !== 'chain' && run.span) context = run.span.context;
      if (!sawAgent && run.kind === 'agent') {
        sawAgent = true;
        agentName = run.agentName;
      }
      if (context !== undefined && sawAgent) break;
      runId = run.parentRunId;
    }
    return { context: context ?? contextApi.active(), outermost, ...(agentName !== undefined ? { agentName } : {}) };
  }

  /** The agent runs that a run with this parent is nested in, nearest first. */
  enclosingAgents(parentRunId: string | undefined): AgentRun[] {
    const agents: AgentRun[] = [];
    for (let runId = parentRunId; runId !== undefined; ) {
      const run = this.#runs.get(runId);
      if (!run) break;
      if (run.kind === 'agent') agents.push(run);
      runId = run.parentRunId;
    }
    return agents;
  }

  add(runId: string, run: Run): void {
    this.#runs.set(runId, run);
    if (run.parentRunId === undefined) return;
    const siblings = this.#children.get(run.parentRunId) ?? new Set<string>();
    siblings.add(runId);
    this.#children.set(run.parentRunId, siblings);
  }

  get<K extends RunKind>(runId: string, kind: K): Extract<Run, { kind: K }> | undefined {
    const run = this.#runs.get(runId);
    return run?.kind === kind ? (run as Extract<Run, { kind: K }>) : undefined;
  }

  /** Removes a run that ended and returns it, if it is of this kind. */
  take<K extends RunKind>(runId: string, kind: K): Extract<Run, { kind: K }> | undefined {
    const run = this.get(runId, kind);
    if (run) this.#remove(runId, run);
    return run;
  }

  /** Removes and returns the runs still open under a run that ended, deepest first. */
  takeAbandoned(runId: string): Run[] {
    const abandoned: Run[] = [];
    for (const childId of this.#children.get(runId) ?? []) {
      abandoned.push(...this.takeAbandoned(childId));
      const child = this.#runs.get(childId);
      if (child) abandoned.push(child);
      this.#runs.delete(childId);
    }
    this.#children.delete(runId);
    return abandoned;
  }

  #remove(runId: string, run: Run): void {
    this.#runs.delete(runId);
    if (run.parentRunId === undefined) return;
    const siblings = this.#children.get(run.parentRunId);
    siblings?.delete(runId);
    if (siblings?.size === 0) this.#children.delete(run.parentRunId);
  }
}
