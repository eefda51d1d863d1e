/**
 * The signer's side of a chain: the next seq, the hash it must link to, and the running count of
 * signed spans dropped before delivery. Advancing is synchronous and strictly sequential, so spans
 * that end concurrently still get consecutive seq values in signing order.
 */
import { ZERO_HASH_HEX } from '@facto/core';

export interface ChainHeadState {
  readonly agentId: string;
  readonly chainId: string;
  /** The seq the next signed span gets. */
  readonly nextSeq: number;
  /** The hash of the last signed span (64 zeros before the first). */
  readonly prevHash: string;
  /** Signed spans of this chain dropped so far, in total. */
  readonly dropped: number;
}

/** Where a chain head survives a restart (Node: a file; see file-head-store.ts). */
export interface ChainHeadStore {
  load(agentId: string, chainId: string): ChainHeadState | undefined;
  /** Called after every signature; must be cheap and must not throw into the caller. */
  save(state: ChainHeadState): void;
  close(): void;
}

export class ChainHead {
  #state: ChainHeadState;
  readonly #store: ChainHeadStore | undefined;

  constructor(agentId: string, chainId: string, store?: ChainHeadStore) {
    this.#store = store;
    this.#state = store?.load(agentId, chainId) ?? { agentId, chainId, nextSeq: 0, prevHash: ZERO_HASH_HEX, dropped: 0 };
  }

  get state(): ChainHeadState {
    return this.#state;
  }

  /** Records that the span at the current head was signed with hash `hash`. */
  advance(hash: string): void {
    this.#state = { ...this.#state, nextSeq: this.#state.nextSeq + 1, prevHash: hash };
    this.#store?.save(this.#state);
  }

  /** Records signed spans that will never be delivered; the next span declares them. */
  recordDropped(count: number): void {
    if (count <= 0) return;
    this.#state = { ...this.#state, dropped: this.#state.dropped + count };
    this.#store?.save(this.#state);
  }

  close(): void {
    this.#store?.close();
  }
}
