/**
 * Delivery when a process ends on its own. Node's beforeExit comes when the event loop has nothing
 * left to do; the export queues' timers do not keep it alive (telemetry must not), so spans still
 * queued would be lost when an agent simply returns. The hook delivers them, which gives the loop
 * work until they are out or the wait ends; a process that calls shutdown() or exits explicitly is
 * unaffected. Node emits beforeExit again each time the loop empties, so the wait (5 s, or a queue's
 * flush timeout if shorter) is for the exit as a whole: once spent, what is left is said once and the
 * process is let go. (Each failed delivery used to be followed by another, and with the collector
 * unreachable the process never ended.)
 */
import { diag } from '@opentelemetry/api';

/** How long a process that ends on its own waits, at most, for its queued spans to go out. */
const DELIVERY_AT_EXIT_MILLIS = 5_000;

/** A processor's queue as the exit sees it. */
export interface ExitQueue {
  /** Spans waiting to be delivered. */
  queued(): number;
  /** Delivers what is queued, waiting at most `timeoutMillis`. */
  deliver(timeoutMillis: number): void;
  readonly flushTimeoutMillis: number;
}

/** Queues not yet closed: what a process ending on its own still owes the collector. */
const living = new Set<ExitQueue>();
/** Queues whose loss at exit was said already. */
const reported = new WeakSet<ExitQueue>();
let hookInstalled = false;
/** When the delivery at exit began: the beforeExit deliveries that follow share its wait. */
let startedAt: number | undefined;

function deliverAtExit(): void {
  const waiting = [...living].filter((queue) => queue.queued() > 0);
  // Everything went out: a later beforeExit (the program found more to do) gets a full wait again.
  if (waiting.length === 0) {
    startedAt = undefined;
    return;
  }
  const now = Date.now();
  startedAt ??= now;
  for (const queue of waiting) {
    const left = Math.min(queue.flushTimeoutMillis, DELIVERY_AT_EXIT_MILLIS) - (now - startedAt);
    if (left > 0) queue.deliver(left);
    else if (!reported.has(queue)) {
      reported.add(queue);
      diag.error(`facto: the process is ending with ${queue.queued()} signed spans not delivered (the collector did not take them in the wait at exit); call shutdown() before exiting to wait longer`);
    }
  }
}

/** Has `queue` delivered at exit until it is closed; returns what closes it. */
export function deliverQueueAtExit(queue: ExitQueue): () => void {
  living.add(queue);
  if (!hookInstalled && typeof process !== 'undefined' && typeof process.on === 'function') {
    hookInstalled = true;
    process.on('beforeExit', deliverAtExit);
  }
  return () => living.delete(queue);
}
