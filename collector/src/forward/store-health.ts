/**
 * How the forwarder reports its store failing: each operation (reading the queue, deleting what was
 * delivered) is logged once when it starts failing and once when it works again, however often it is
 * tried meanwhile, and the two are reported apart (with a full disk, reads work and deletes fail).
 *
 * Several readers use the store at once (the listing of the queue, each request in flight): an
 * operation is failing while any of them is failing it, and works again once none is. One request
 * whose row cannot be read is then one error line, not an error and a recovery for every other
 * request that reads fine meanwhile.
 */
import type { Logger } from '../ops/logger.js';

export type QueueOperation = 'read' | 'delete';

const FAILING: Readonly<Record<QueueOperation, string>> = {
  read: 'the forward queue cannot be read from the store; delivery waits until it can',
  delete: 'delivered requests cannot be taken off the forward queue in the store; delivery goes on, and they are sent again after a restart if they are still there',
};
const WORKING: Readonly<Record<QueueOperation, string>> = {
  read: 'the forward queue can be read again; delivery goes on',
  delete: 'delivered requests are taken off the forward queue again',
};

export class StoreHealth {
  readonly #logger: Logger;
  /** Who is failing each operation now: the listing, a request id. */
  readonly #failing = new Map<QueueOperation, Set<string | number>>();
  /** Requests a stopped delivery loop left failing: the next read that works, by anyone, clears them. */
  readonly #stale = new Set<number>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** `reader` failed `operation`: logged when it is the first one failing it. */
  failed(operation: QueueOperation, error: unknown, reader: string | number = operation): void {
    const failing = this.#failing.get(operation) ?? new Set();
    this.#failing.set(operation, failing);
    // Failing again in this loop: no longer a stale reader of the last one.
    if (typeof reader === 'number') this.#stale.delete(reader);
    if (failing.has(reader)) return;
    failing.add(reader);
    if (failing.size === 1) this.#logger.error(FAILING[operation], { error: error instanceof Error ? error.message : String(error) });
  }

  /** `reader` did `operation`: the recovery is logged when no reader fails it any more. */
  worked(operation: QueueOperation, reader: string | number = operation): void {
    const failing = this.#failing.get(operation);
    if (failing === undefined || failing.size === 0) return;
    failing.delete(reader);
    for (const stale of this.#stale) failing.delete(stale);
    if (operation === 'read') this.#stale.clear();
    if (failing.size === 0) this.#logger.info(WORKING[operation]);
  }

  /**
   * `reader` is given up (a request whose row cannot be read, dropped with its own error line): it no
   * longer counts as failing, and if it was the last, nothing more is said, as no read now works.
   */
  abandoned(operation: QueueOperation, reader: string | number): void {
    this.#failing.get(operation)?.delete(reader);
    if (typeof reader === 'number') this.#stale.delete(reader);
  }

  /**
   * A new delivery loop starts. The requests the last one left failing (cut by a stop; another
   * process may deliver them meanwhile, so they may never be read here again) would hold a recovery
   * back for ever: they now count as failing only until a read works. The listing and the deletes
   * keep their state, which the new loop carries on.
   */
  restart(): void {
    for (const reader of this.#failing.get('read') ?? []) if (typeof reader === 'number') this.#stale.add(reader);
  }
}
