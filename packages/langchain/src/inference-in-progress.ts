/**
 * Tells `@facto/genai` (and so `wrapOpenAI`) that a model call is already recorded by a LangChain
 * chat span, so an instrumented provider client that the model calls records no second span for it.
 *
 * LangChain makes no OpenTelemetry context active while a model run executes, but it does keep its
 * own: while the body of a runnable that sets it runs (a graph node, a RunnableLambda, a tool),
 * LangChain's AsyncLocalStorage holds that runnable's config, whose callback manager names the run
 * as the parent of whatever starts inside it. A chat model starts its run below that run (directly,
 * or through runs in between: a chain, a retry, a structured-output parser) and calls the provider
 * from the same async context. So "a provider call here belongs to an open model run of ours" is:
 * the run LangChain's context names has a recorded model run open below it. Each model run counts
 * under its parent and every ancestor this handler follows. The check reads only LangChain's
 * context, so concurrent agents, tools and requests never see each other's model runs.
 *
 * What it cannot do, from what LangChain exposes (the README says so): tell apart a model call below
 * a runnable body and a provider call that the same body makes at the same moment (the second goes
 * unrecorded by the wrapper; the handler's span stands for the first); and help where LangChain
 * keeps no context at the provider call (a chain or model invoked outside any such runnable,
 * `model.stream()`), where both record the call.
 */
import { addInferenceActiveCheck } from '@facto/genai';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';

/** Run id → how many recorded model runs below it (as parent, or further up) are in progress. */
const openModelRuns = new Map<string, number>();
let checking = false;

/** A recorded model run started; `lineage` is its parent run and that run's ancestors. */
export function modelRunStarted(lineage: readonly string[] | undefined): void {
  if (lineage === undefined || lineage.length === 0) return;
  if (!checking) {
    addInferenceActiveCheck(modelRunInProgressHere);
    checking = true;
  }
  for (const runId of lineage) openModelRuns.set(runId, (openModelRuns.get(runId) ?? 0) + 1);
}

export function modelRunEnded(lineage: readonly string[] | undefined): void {
  for (const runId of lineage ?? []) {
    const open = (openModelRuns.get(runId) ?? 0) - 1;
    if (open > 0) openModelRuns.set(runId, open);
    else openModelRuns.delete(runId);
  }
}

function modelRunInProgressHere(): boolean {
  if (openModelRuns.size === 0) return false;
  const callbacks = AsyncLocalStorageProviderSingleton.getRunnableConfig()?.callbacks as { getParentRunId?: () => string | undefined } | undefined;
  const parentRunId = typeof callbacks?.getParentRunId === 'function' ? callbacks.getParentRunId() : undefined;
  return parentRunId !== undefined && openModelRuns.has(parentRunId);
}
