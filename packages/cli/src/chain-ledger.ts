/**
 * The chain entries a live audit gathers (`facto verify --endpoint`), kept in columns rather than as
 * one object per event. Chains can only be judged once every event is read (a record may arrive
 * after its successor, a fork anywhere), so the audit keeps every entry to the end. As objects with
 * hex strings that came to about 350 bytes of heap per event, so a log of ten million events needed
 * several GB before the audit could say anything. Here each event costs about 90 bytes, outside the
 * JavaScript heap: its two hashes as 32 bytes each, its seq and dropped counter as doubles, its
 * chain's number. Chains are then judged one at a time by core's verifyChains, which judges each
 * chain on its own, so the reports are the ones it gives for all entries at once, in the same order
 * (each chain's first appearance).
 */
import { verifyChains, type ChainEntry, type ChainReport } from '@facto/core';

const HASH_BYTES = 32;
const HEX_64 = /^[0-9a-f]{64}$/;
const INITIAL_CAPACITY = 1024;

export class ChainLedger {
  #chains: { agentId: string; chainId: string }[] = [];
  readonly #chainIndex = new Map<string, number>();
  #size = 0;
  #capacity = INITIAL_CAPACITY;
  #chainOf = new Uint32Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #dropped = new Float64Array(INITIAL_CAPACITY);
  #hash = new Uint8Array(INITIAL_CAPACITY * HASH_BYTES);
  #prevHash = new Uint8Array(INITIAL_CAPACITY * HASH_BYTES);
  /** Hash texts that are not 64 lowercase hex digits (an altered record), kept as given, by position * 2 (+1 for prev_hash). */
  readonly #oddHashes = new Map<number, string>();

  get size(): number {
    return this.#size;
  }

  add(entry: ChainEntry): void {
    if (this.#size === this.#capacity) this.#grow();
    const position = this.#size++;
    const key = JSON.stringify([entry.agentId, entry.chainId]);
    let chain = this.#chainIndex.get(key);
    if (chain === undefined) {
      chain = this.#chains.length;
      this.#chains.push({ agentId: entry.agentId, chainId: entry.chainId });
      this.#chainIndex.set(key, chain);
    }
    this.#chainOf[position] = chain;
    this.#seq[position] = entry.seq;
    this.#dropped[position] = entry.dropped;
    this.#putHash(this.#hash, position, entry.hash, position * 2);
    this.#putHash(this.#prevHash, position, entry.prevHash, position * 2 + 1);
  }

  /** Every chain's report, as verifyChains gives them for all the entries added, chain by chain. */
  *reports(): Generator<ChainReport> {
    // The positions of each chain's entries, in the order added (a counting sort on the chain number).
    const starts = new Uint32Array(this.#chains.length + 1);
    for (let position = 0; position < this.#size; position++) starts[this.#chainOf[position]! + 1]!++;
    for (let chain = 0; chain < this.#chains.length; chain++) starts[chain + 1]! += starts[chain]!;
    const order = new Uint32Array(this.#size);
    const next = starts.slice(0, this.#chains.length);
    for (let position = 0; position < this.#size; position++) order[next[this.#chainOf[position]!]!++] = position;
    for (let chain = 0; chain < this.#chains.length; chain++) {
      const { agentId, chainId } = this.#chains[chain]!;
      const entries: ChainEntry[] = [];
      for (let index = starts[chain]!; index < starts[chain + 1]!; index++) {
        const position = order[index]!;
        entries.push({
          agentId,
          chainId,
          seq: this.#seq[position]!,
          prevHash: this.#hashAt(this.#prevHash, position, position * 2 + 1),
          hash: this.#hashAt(this.#hash, position, position * 2),
          dropped: this.#dropped[position]!,
        });
      }
      yield verifyChains(entries)[0]!;
    }
  }

  #putHash(column: Uint8Array, position: number, hex: string, oddKey: number): void {
    if (!HEX_64.test(hex)) {
      this.#oddHashes.set(oddKey, hex);
      return;
    }
    Buffer.from(column.buffer, column.byteOffset + position * HASH_BYTES, HASH_BYTES).write(hex, 'hex');
  }

  #hashAt(column: Uint8Array, position: number, oddKey: number): string {
    const odd = this.#oddHashes.get(oddKey);
    if (odd !== undefined) return odd;
    return Buffer.from(column.buffer, column.byteOffset + position * HASH_BYTES, HASH_BYTES).toString('hex');
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const grown = <T extends Uint32Array | Float64Array | Uint8Array>(from: T, make: (length: number) => T, width = 1): T => {
      const to = make(capacity * width);
      to.set(from);
      return to;
    };
    this.#chainOf = grown(this.#chainOf, (length) => new Uint32Array(length));
    this.#seq = grown(this.#seq, (length) => new Float64Array(length));
    this.#dropped = grown(this.#dropped, (length) => new Float64Array(length));
    this.#hash = grown(this.#hash, (length) => new Uint8Array(length), HASH_BYTES);
    this.#prevHash = grown(this.#prevHash, (length) => new Uint8Array(length), HASH_BYTES);
    this.#capacity = capacity;
  }
}
