/**
 * The checkpoint head's compare-and-swap, decided the same way by every driver from the newest stored
 * checkpoint, which the driver reads in the transaction that then inserts (types.ts, putCheckpoint).
 * A checkpoint is stored only over the newest one its signer read before deciding it: the log key
 * check in LogService.checkpoint is made against that read, and a sequencer section can lose its lock
 * (its connection dies) between the read and the write, letting another process store one meanwhile.
 */
import { StoreConflictError } from './errors.js';
import type { Checkpoint } from './types.js';

const same = (left: Checkpoint | null, right: Checkpoint | null) =>
  left === right || (left !== null && right !== null && left.treeSize === right.treeSize && left.rootHash === right.rootHash && left.note === right.note);

const describe = (checkpoint: Checkpoint | null) => (checkpoint === null ? 'none' : `the one at tree size ${checkpoint.treeSize}`);

/** 'insert' when `checkpoint` may be stored over `newest`, 'stored' when it is `newest` already (a retry); throws StoreConflictError otherwise. */
export function checkCheckpointWrite(checkpoint: Checkpoint, expectedLatest: Checkpoint | null, newest: Checkpoint | null): 'insert' | 'stored' {
  if (newest !== null && same(newest, checkpoint)) return 'stored';
  if (!same(newest, expectedLatest)) {
    throw new StoreConflictError(
      `Checkpoint for tree size ${checkpoint.treeSize} refused: it was decided with ${describe(expectedLatest)} as the latest checkpoint, but the latest stored is ${describe(newest)}${
        newest !== null && expectedLatest !== null && newest.treeSize === expectedLatest.treeSize ? ' with another root or signature' : ''
      }: another writer stored one since it was read (a sequencer section that lost its lock, say)`,
    );
  }
  if (newest !== null && checkpoint.treeSize < newest.treeSize) {
    throw new StoreConflictError(`Checkpoint for tree size ${checkpoint.treeSize} refused: the latest checkpoint is already at tree size ${newest.treeSize}`);
  }
  // Another head for the size of the newest one is a split view.
  if (newest !== null && checkpoint.treeSize === newest.treeSize) {
    throw new StoreConflictError(`A different checkpoint for tree size ${checkpoint.treeSize} is already stored (root ${newest.rootHash})`);
  }
  return 'insert';
}
