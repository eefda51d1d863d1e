/**
 * What an export must know about each chain it has written events of, kept while the events stream
 * past: the lowest and highest seq, which seqs are present (for the distinct count the chain
 * statement and the manifest sign, and for finding the holes a time window cut), without holding the
 * events. Presence is a bitmap in blocks of 1024 seqs made on demand, so a dense chain of a million
 * events costs about 128 KB and a sparse one a block per run of seqs.
 */
import { chainKey } from '@facto/core';
import type { StoredEvent } from '../store/types.js';

const BLOCK_SEQS = 1024;

export class SeqPresence {
  readonly #blocks = new Map<number, Uint8Array>();
  #count = 0;

  /** Marks `seq` present; false when it already was (a second event at one seq: a fork). */
  add(seq: number): boolean {
    const blockIndex = Math.floor(seq / BLOCK_SEQS);
    const offset = seq - blockIndex * BLOCK_SEQS;
    let block = this.#blocks.get(blockIndex);
    if (block === undefined) {
      block = new Uint8Array(BLOCK_SEQS / 8);
      this.#blocks.set(blockIndex, block);
    }
    const mask = 1 << (offset & 7);
    const byte = offset >> 3;
    if ((block[byte]! & mask) !== 0) return false;
    block[byte] = block[byte]! | mask;
    this.#count++;
    return true;
  }

  has(seq: number): boolean {
    const blockIndex = Math.floor(seq / BLOCK_SEQS);
    const offset = seq - blockIndex * BLOCK_SEQS;
    const block = this.#blocks.get(blockIndex);
    return block !== undefined && (block[offset >> 3]! & (1 << (offset & 7))) !== 0;
  }

  /** Distinct seqs present. */
  get count(): number {
    return this.#count;
  }
}

export interface ChainTally {
  readonly agentId: string;
  readonly chainId: string;
  firstSeq: number;
  lastSeq: number;
  readonly seqs: SeqPresence;
}

/** The chains an export has written so far, in the order their first event was written. */
export class ChainTallies {
  readonly #chains = new Map<string, ChainTally>();

  add(event: StoredEvent): void {
    const key = chainKey(event.agentId, event.chainId);
    let tally = this.#chains.get(key);
    if (tally === undefined) {
      tally = { agentId: event.agentId, chainId: event.chainId, firstSeq: event.seq, lastSeq: event.seq, seqs: new SeqPresence() };
      this.#chains.set(key, tally);
    }
    tally.firstSeq = Math.min(tally.firstSeq, event.seq);
    tally.lastSeq = Math.max(tally.lastSeq, event.seq);
    tally.seqs.add(event.seq);
  }

  values(): IterableIterator<ChainTally> {
    return this.#chains.values();
  }
}
