/**
 * Deferred sealing. When a span ends, the processor only snapshots its fields (they are final then),
 * reserves its seq and notes the drop total it will declare; this lane builds, hashes, links and
 * signs the records later, on the export worker, strictly in seq order, because each record names
 * the hash of the one before. A span dropped from the export queue is still hashed (not signed) so the
 * next record's prev_hash is exactly what inline signing would have written.
 */
import type { SpanFields } from '@facto/core';
import type { ChainHead } from './chain-head.js';

export interface PendingSeal {
  readonly span: object;
  readonly fields: SpanFields;
  readonly factoId: string;
  readonly seq: number;
  readonly dropped: number;
}

/** Seals one record after `prevHash`; signs it unless it will never be delivered. Returns the hash, hex. */
export type SealFunction = (job: PendingSeal, prevHash: string, sign: boolean) => string;

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
    try {
      const hash = this.#seal(job, this.#head.prevHash, !this.#undeliverable.has(job.span));
      this.#head.link(job.seq, hash);
    } catch (error) {
      // Its seq is spent without a record: count it as dropped so later records declare the gap.
      this.#head.recordDropped(1);
      this.#onFailure(job, error);
    }
  }
}
