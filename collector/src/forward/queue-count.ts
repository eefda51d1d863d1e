/**
 * The forward queue's size as this process knows it, for the bound (--forward-queue-size and
 * --forward-queue-bytes) and the facto_forward_queue_depth gauge: what is stored, plus what is
 * admitted into commits still under way. It is kept beside the store, so it can drift on races (a
 * commit and a recount crossing, an erasure and a delete) and, on a shared database, with what other
 * processes add; recount() reads the store again, and a reading that crossed a change is not applied.
 */
import type { ForwardBacklog, Store } from '../store/types.js';

const NONE: ForwardBacklog = { requests: 0, bytes: 0 };

/** Never below zero: a count kept beside the store must not go negative on a race; the next recount corrects it. */
function add(backlog: ForwardBacklog, requests: number, bytes: number): ForwardBacklog {
  return { requests: Math.max(0, backlog.requests + requests), bytes: Math.max(0, backlog.bytes + bytes) };
}

export class QueueCount {
  readonly #store: Store;
  readonly #onChange: () => void;
  /** Committed to the store and not yet deleted from it, as far as this process knows. */
  #stored: ForwardBacklog = NONE;
  /** Admitted into a batch whose commit has not finished. */
  #reserved: ForwardBacklog = NONE;
  /** Bumped by every change, so a recount read before one is not applied over it. */
  #epoch = 0;

  /** `onChange` runs after every change (the gauge). */
  constructor(store: Store, onChange: () => void) {
    this.#store = store;
    this.#onChange = onChange;
  }

  /** Requests stored or being committed. */
  get requests(): number {
    return this.#stored.requests + this.#reserved.requests;
  }

  get bytes(): number {
    return this.#stored.bytes + this.#reserved.bytes;
  }

  /** What the store holds, as last counted. */
  get stored(): ForwardBacklog {
    return this.#stored;
  }

  reserve(bytes: number): void {
    this.#change(() => (this.#reserved = add(this.#reserved, 1, bytes)));
  }

  /** Reserved requests whose commit stands: now stored. */
  commit(requests: number, bytes: number): void {
    this.#change(() => {
      this.#reserved = add(this.#reserved, -requests, -bytes);
      this.#stored = add(this.#stored, requests, bytes);
    });
  }

  /** Reserved requests whose commit failed. */
  release(requests: number, bytes: number): void {
    this.#change(() => (this.#reserved = add(this.#reserved, -requests, -bytes)));
  }

  /** What a delete took off the store. */
  remove(removed: ForwardBacklog): void {
    this.#change(() => (this.#stored = add(this.#stored, -removed.requests, -removed.bytes)));
  }

  /** What the store holds as read where nothing else adds to it (a shared store's section). */
  set(stored: ForwardBacklog): void {
    this.#change(() => (this.#stored = stored));
  }

  /** Forgets what is stored (a queue in memory dropped at shutdown). */
  clear(): void {
    this.#change(() => (this.#stored = NONE));
  }

  /** Reads the store's count (throws when it cannot). Skipped while a commit is under way, or when the counts changed meanwhile. */
  async recount(): Promise<void> {
    const epoch = this.#epoch;
    // With a commit under way, its requests may or may not be in the store's count yet.
    if (this.#reserved.requests > 0) return;
    const counted = await this.#store.forwardBacklog();
    if (epoch !== this.#epoch || this.#reserved.requests > 0) return;
    this.#stored = counted;
    this.#onChange();
  }

  #change(apply: () => void): void {
    apply();
    this.#epoch++;
    this.#onChange();
  }
}
