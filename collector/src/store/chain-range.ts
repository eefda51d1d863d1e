/**
 * One reading of a ChainRangeQuery for every store, so their SQL and the memory store's filter take
 * the same bounds: the page starts at `after` (or at fromSeq), and "received outside the window"
 * becomes two comparisons that are false where the window has no bound.
 */
import type { ChainRangeQuery } from './types.js';

export interface ChainRangeBounds {
  /** The lowest seq of the page: the cursor's seq, else fromSeq. */
  readonly lowSeq: number;
  readonly toSeq: number;
  /** At lowSeq, only events logged after this leaf index (-1: all of them). */
  readonly afterLeafIndex: number;
  /** Events received before this or after `after` match; the whole range when there is no window. */
  readonly before: number;
  readonly after: number;
}

export function chainRangeBounds(query: ChainRangeQuery): ChainRangeBounds {
  const outside = query.receivedOutside;
  const cursor = query.after !== undefined && query.after.seq >= query.fromSeq ? query.after : { seq: query.fromSeq, leafIndex: -1 };
  return {
    lowSeq: cursor.seq,
    toSeq: query.toSeq,
    afterLeafIndex: cursor.leafIndex,
    // No window: every event matches (received_at is never below MAX_SAFE_INTEGER).
    before: outside === undefined ? Number.MAX_SAFE_INTEGER : (outside.since ?? Number.MIN_SAFE_INTEGER),
    after: outside === undefined ? Number.MAX_SAFE_INTEGER : (outside.until ?? Number.MAX_SAFE_INTEGER),
  };
}
