/**
 * How long the log has held an entry that no signed checkpoint covers. A checkpoint's age alone
 * cannot tell a healthy quiet log (nothing new to sign, so no new checkpoint) from a log whose
 * checkpoints fail; this can: it is 0 while the latest checkpoint covers every entry, and grows only
 * while an entry waits. The wait is counted from the first uncovered leaf's arrival (an event's
 * receipt, an erasure entry's creation), read from the store, so every process sharing a store
 * reports the same figure whoever signs.
 */
import type { Store } from '../store/types.js';

/** Seconds the oldest entry no checkpoint covers has waited, at `now` (milliseconds); 0 when none waits. */
export async function checkpointPendingSeconds(store: Store, now: number): Promise<number> {
  const [size, latest] = await Promise.all([store.treeSize(), store.latestCheckpoint()]);
  const covered = latest?.treeSize ?? 0;
  if (covered >= size) return 0;
  const arrivedAt = await arrivalOfLeaf(store, covered);
  // A leaf not found (a store mid-repair) still waits: count from the checkpoint, or report nothing.
  const since = arrivedAt ?? latest?.createdAt;
  return since === undefined ? 0 : Math.max(0, (now - since) / 1000);
}

async function arrivalOfLeaf(store: Store, leafIndex: number): Promise<number | undefined> {
  const entry = await store.getLogEntry(leafIndex);
  if (entry !== null) return entry.createdAt;
  const [event] = await store.queryEvents({ order: 'asc', limit: 1, ...(leafIndex > 0 ? { afterLeafIndex: leafIndex - 1 } : {}) });
  return event?.leafIndex === leafIndex ? event.receivedAt : undefined;
}
