/**
 * Deferred sealing. When a span ends, the processor only snapshots its fields (they are final then)
 * and reserves its seq; this lane builds, hashes, links and signs the records later, on the export
 * worker, strictly in seq order, because each record names the hash of the one before. Each record
 * declares the drop total as it stands when it is sealed, so a loss found on the way (a span dropped
 * from the queue, a record that could not be sealed) is declared by the very next record. A span
 * dropped from the export queue is still hashed (not signed), so the next record links to it exactly
 * as inline signing would have.
 */
import type { SpanFields } from '@facto/core';
import type { ChainHead } from './chain-head.js';

/** A reserved seq and what its record is built from: the span's snapshot, or why none could be taken. */
export type PendingSeal = { readonly span: object; readonly factoId: string; readonly seq: number } & (
  | { readonly fields: SpanFields }
  | { readonly failure: unknown }
);

/** Seals one record after `prevHash`, declaring `dropped`; signs it unless it will never be delivered. Returns the hash, hex. */
export type SealFunction = (job: PendingSeal & { readonly fields: SpanFields }, prevHash: string, dropped: number, sign: boolean) => string;

export class SealingLane {
  readonly #head: ChainHead;
  readonly #seal: SealFunction;
  readonly #onFailure: (job: PendingSeal, error: unknown) => void;
  readonly #jobs: PendingSeal[] = [];
  readonly #bySpan = new WeakMap<object, PendingSeal>();
  readonly #undeliverable = new WeakSet<object>();

  constructor(head: ChainHead, seal: SealFunction, onFailure: (job: PendingSeal, error: unknown) => void) {
    this.#head = head;
    this.#seal = seal;
    this.#onFailure = onFailure;
  }

  get pending(): number {
    return this.#jobs.length;
  }

  add(job: PendingSeal): void {
    this.#jobs.push(job);
    this.#bySpan.set(job.span, job);
  }

  /** The span will not be exported: hash it in turn, do not spend a signature on it. */
  markUndeliverable(span: object): void {
    this.#undeliverable.add(span);
  }

  /** Seals, in seq order, every pending record up to the last one in `spans` (a batch about to go out). */
  drainThrough(spans: readonly object[]): void {
    let last = -1;
    for (const span of spans) {
      const job = this.#bySpan.get(span);
      if (job && job.seq > last) last = job.seq;
    }
    while (this.#jobs.length > 0 && this.#jobs[0]!.seq <= last) this.#sealNext();
  }

  /** Seals everything still pending (at shutdown), so the persisted head is exact. */
  drainAll(): void {
    while (this.#jobs.length > 0) this.#sealNext();
  }

  #sealNext(): void {
    const job = this.#jobs.shift()!;
    this.#bySpan.delete(job.span);
    const undeliverable = this.#undeliverable.has(job.span);
    try {
      if ('failure' in job) throw job.failure;
      const hash = this.#seal(job, this.#head.prevHash, this.#head.droppedBefore(job.seq), !undeliverable);
      this.#head.link(job.seq, hash);
    } catch (error) {
      // Its seq is spent without a record: counted as dropped, so the next record declares the gap.
      this.#head.skip(job.seq, undeliverable);
      this.#onFailure(job, error);
    }
  }
}
