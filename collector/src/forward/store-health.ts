/**
 * How the forwarder reports its store failing: each operation (reading the queue, deleting what was
 * delivered) is logged once when it starts failing and once when it works again, however often it is
 * tried meanwhile, and the two are reported apart (with a full disk, reads work and deletes fail).
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
  readonly #failing = new Set<QueueOperation>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  failed(operation: QueueOperation, error: unknown): void {
    if (this.#failing.has(operation)) return;
    this.#failing.add(operation);
    this.#logger.error(FAILING[operation], { error: error instanceof Error ? error.message : String(error) });
  }

  worked(operation: QueueOperation): void {
    if (this.#failing.delete(operation)) this.#logger.info(WORKING[operation]);
  }
}
