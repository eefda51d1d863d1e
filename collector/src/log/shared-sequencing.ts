/**
 * The seam between the sequencer (LogService) and a store that several collector processes share.
 * A store that offers it gives two things. `withSequencerLock`: a critical section held across the
 * processes (on PostgreSQL, a transaction holding an advisory lock), in which the sequencer learns
 * the stored head, catches its in-memory tree up if another process moved it, decides, appends and
 * commits; the commit becomes durable when the section returns, and if the lock is lost the commit
 * is lost with it, never applied. A checkpoint is written outside that transaction: the store's
 * compare-and-swap on the newest checkpoint (Store.putCheckpoint) keeps a stale one out instead.
 * `lead`: runs background duties (checkpoints, the gap sweep) in one process at a time, handing them
 * to another when the holder dies. Safety rests on the first alone (and the compare-and-swaps);
 * the second only keeps the same work from being done several times over.
 */
import type { Logger } from '../ops/logger.js';
import type { Batch, ForwardBacklog } from '../store/types.js';

export interface SequencerSection {
  /** The committed tree size when the lock was taken. */
  readonly treeSize: number;
  /** A number that changes whenever any process changes the key registry. */
  readonly keysVersion: number;
  /** Writes the batch inside the section (compare-and-swap included); returns the key registry version after it. */
  commitBatch(batch: Batch): Promise<number>;
  /**
   * The forward queue's size as the store holds it, read inside the section: exact as to what other
   * processes added, as none commits meanwhile (deliveries may still shrink it).
   */
  forwardBacklog(): Promise<ForwardBacklog>;
}

/** Background work that runs while its process leads, and stops (finishing what is in flight) when it no longer does. */
export interface Duties {
  stop(): Promise<void>;
  /**
   * Another process told the leader there is work (on PostgreSQL, a NOTIFY on the role's channel,
   * sent when a commit adds to the forward queue): look now rather than at the next poll.
   */
  notified?(): void;
}

/**
 * What a leader is elected for: 'log', the log's duties (checkpoints, the gap sweep), among every
 * process; 'forwarding', delivering the forward queue, among the processes started with --forward.
 */
export type Election = 'log' | 'forwarding';

export interface SharedSequencing {
  withSequencerLock<T>(work: (section: SequencerSection) => Promise<T>): Promise<T>;
  /** Starts competing for leadership; `start` runs each time this process becomes the leader. Says when it wins and loses on `logger`. */
  lead(start: () => Duties, logger: Logger, election?: Election): { stop(): Promise<void> };
}

export function isSharedSequencing(value: unknown): value is SharedSequencing {
  return typeof value === 'object' && value !== null && typeof (value as SharedSequencing).withSequencerLock === 'function' && typeof (value as SharedSequencing).lead === 'function';
}
