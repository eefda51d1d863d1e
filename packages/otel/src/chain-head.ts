/**
 * The signer's side of a chain: the next seq, the hash it must link to, and the running count of
 * signed spans dropped before delivery. Taking a seq is synchronous and strictly sequential, so spans
 * that end concurrently still get consecutive seq values in the order they ended.
 *
 * A seq is reserved when a span ends and linked when its record hash is known: at once when signing
 * inline, later (in seq order) when sealing is deferred to the export path. A seq whose record
 * could not be sealed is skipped and counted as dropped, so the chain declares the loss in both
 * modes. What is persisted is the last linked record, so a restart never reuses a seq whose record
 * may have left the process.
 */
import { ZERO_HASH_HEX } from '@facto/core';

export interface ChainHeadState {
  readonly agentId: string;
  readonly chainId: string;
  /** The seq the next span gets. */
  readonly nextSeq: number;
  /** The hash of the last linked record (64 zeros before the first). */
  readonly prevHash: string;
  /** Signed spans of this chain dropped so far, in total. */
  readonly dropped: number;
}

/** Where a chain head survives a restart (Node: a file; see file-head-store.ts). */
export interface ChainHeadStore {
  load(agentId: string, chainId: string): ChainHeadState | undefined;
  /** Called after every link; must be cheap and must not throw into the caller. */
  save(state: ChainHeadState): void;
  close(): void;
}

export class ChainHead {
  readonly #agentId: string;
  readonly #chainId: string;
  readonly #store: ChainHeadStore | undefined;
  #nextSeq: number;
  #linkedNext: number;
  #prevHash: string;
  /** Signed records of this chain dropped so far, in total. */
  #dropped: number;
  /** Dropped seqs not yet passed by linking (deferred mode drops a span before sealing it), ascending. */
  #droppedAhead: number[] = [];

  constructor(agentId: string, chainId: string, store?: ChainHeadStore) {
    this.#agentId = agentId;
    this.#chainId = chainId;
    this.#store = store;
    const loaded = store?.load(agentId, chainId);
    this.#nextSeq = this.#linkedNext = loaded?.nextSeq ?? 0;
    this.#prevHash = loaded?.prevHash ?? ZERO_HASH_HEX;
    this.#dropped = loaded?.dropped ?? 0;
  }

  get state(): ChainHeadState {
    return { agentId: this.#agentId, chainId: this.#chainId, nextSeq: this.#nextSeq, prevHash: this.#prevHash, dropped: this.#dropped };
  }

  /** The hash the next record to be linked must name. */
  get prevHash(): string {
    return this.#prevHash;
  }

  /**
   * What the record at `seq` declares: the drops of records with a lower seq known so far (section 10
   * of the spec: a record's counter belongs to the seqs before it). Called in seq order.
   */
  droppedBefore(seq: number): number {
    while (this.#droppedAhead.length > 0 && this.#droppedAhead[0]! < seq) this.#droppedAhead.shift();
    return this.#dropped - this.#droppedAhead.length;
  }

  /** Takes the next seq. */
  reserve(): number {
    return this.#nextSeq++;
  }

  /** Records that the record at `seq` (the oldest reserved and not yet linked) hashes to `hash`. */
  link(seq: number, hash: string): void {
    this.#prevHash = hash;
    this.#linkedNext = seq + 1;
    this.#persist();
  }

  /**
   * The record at `seq` (the oldest reserved and not yet linked) will never exist: sealing it failed.
   * Its seq is spent, so it counts as dropped and the next record declares the gap. `counted` says
   * the drop was already recorded (the span had been dropped from the export queue before).
   */
  skip(seq: number, counted = false): void {
    this.#linkedNext = seq + 1;
    if (!counted) this.#dropped += 1;
    this.#persist();
  }

  /** Records that the signed spans holding these seqs will never be delivered; later records declare them. */
  recordDropped(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.#dropped += seqs.length;
    for (const seq of seqs) {
      if (seq < this.#linkedNext) continue;
      // Usually the newest: a binary search keeps the rare out-of-order insert cheap too.
      let low = 0;
      let high = this.#droppedAhead.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (this.#droppedAhead[middle]! < seq) low = middle + 1;
        else high = middle;
      }
      this.#droppedAhead.splice(low, 0, seq);
    }
    this.#persist();
  }

  close(): void {
    this.#store?.close();
  }

  #persist(): void {
    this.#store?.save({ agentId: this.#agentId, chainId: this.#chainId, nextSeq: this.#linkedNext, prevHash: this.#prevHash, dropped: this.#dropped });
  }
}
