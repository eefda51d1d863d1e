/**
 * Tells `@facto/genai` (and so `wrapOpenAI`) that a model call is already recorded by a LangChain
 * chat span, so an instrumented provider client that the model calls records no second span for it.
 *
 * LangChain makes no OpenTelemetry context active while a model run executes, but it does keep its
 * own: while a runnable's body runs (a graph node, a chain step, a tool), LangChain's
 * AsyncLocalStorage holds that runnable's config, whose callback manager names the run as the
 * parent of whatever starts inside it. A chat model starts its run as a child of exactly that run
 * and calls the provider from the same async context. So "a provider call here belongs to an open
 * model run of ours" is: the run LangChain's context names as the current parent has a model run
 * open that we record. The check reads only LangChain's context, so concurrent agents, tools and
 * requests never see each other's model runs. It cannot tell two model calls apart that one
 * runnable body makes at the same time (a node running a LangChain model and, in parallel, a
 * provider client of its own), nor help a model invoked outside any runnable (LangChain then keeps
 * no context at all); the README says so.
 */
import { addInferenceActiveCheck } from '@facto/genai';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';

/** Parent run id → how many recorded model runs under it are in progress. */
const openModelRuns = new Map<string, number>();
let checking = false;

export function modelRunStarted(parentRunId: string | undefined): void {
  if (parentRunId === undefined) return;
  if (!checking) {
    addInferenceActiveCheck(modelRunInProgressHere);
    checking = true;
  }
  openModelRuns.set(parentRunId, (openModelRuns.get(parentRunId) ?? 0) + 1);
}

export function modelRunEnded(parentRunId: string | undefined): void {
  if (parentRunId === undefined) return;
  const open = (openModelRuns.get(parentRunId) ?? 0) - 1;
  if (open > 0) openModelRuns.set(parentRunId, open);
  else openModelRuns.delete(parentRunId);
}

function modelRunInProgressHere(): boolean {
  if (openModelRuns.size === 0) return false;
  const callbacks = AsyncLocalStorageProviderSingleton.getRunnableConfig()?.callbacks as { getParentRunId?: () => string | undefined } | undefined;
  const parentRunId = typeof callbacks?.getParentRunId === 'function' ? callbacks.getParentRunId() : undefined;
  return parentRunId !== undefined && openModelRuns.has(parentRunId);
}
