/**
 * An in-memory NodeReader: the store for tests, tools and small logs, and the fake that enforces
 * the storage contract. Each level is one growable byte array (hash after hash), so two million
 * nodes take about 64 MB of hashes rather than two million objects. It also counts reads and can
 * fail the next one, so tests can prove one read per proof and exercise a failing database.
 */
import { assertBytes } from '../bytes.js';
import { FactoError } from '../errors.js';
import type { NodeId, NodeReader, StoredNode } from './node-store.js';

export interface MemoryNodeStoreOptions {
  /** The length of every stored hash; 32 (SHA3-256, SHA-256) unless given. */
  readonly hashLength?: number;
}

interface Level {
  bytes: Uint8Array;
  count: number;
}

const MAX_LEVEL = 63;
const INITIAL_CAPACITY = 64;

export class MemoryNodeStore implements NodeReader {
  readonly #hashLength: number;
  readonly #levels: Level[] = [];
  #pendingFailure: Error | undefined;
  #reads = 0;
  #nodesRead = 0;

  constructor(options?: MemoryNodeStoreOptions) {
    const hashLength = options?.hashLength ?? 32;
    if (!Number.isSafeInteger(hashLength) || hashLength < 1) throw new RangeError('hashLength must be a positive integer');
    this.#hashLength = hashLength;
  }

  /** How many getNodes calls were made, and how many ids they asked for in total. */
  get reads(): number {
    return this.#reads;
  }

  get nodesRead(): number {
    return this.#nodesRead;
  }

  /** The number of stored leaves (level-0 nodes). */
  get leafCount(): number {
    return this.#levels[0]?.count ?? 0;
  }

  /** Makes the next getNodes call throw `error`, as a failing database would. */
  failNextRead(error: Error = new Error('MemoryNodeStore: injected read failure')): void {
    this.#pendingFailure = error;
  }

  /**
   * Stores nodes as MerkleTree.append returns them. Each level grows left to right without gaps;
   * storing a node again is allowed only with the same hash, because the log is append-only. A batch
   * that fails part way leaves the store as it was.
   */
  put(nodes: readonly StoredNode[]): void {
    if (!Array.isArray(nodes)) throw new TypeError('nodes must be an array');
    // Levels only ever grow at the end, so restoring the counts undoes a partly written batch.
    const countsBefore = this.#levels.map((level) => level.count);
    try {
      for (const [position, node] of nodes.entries()) this.#putOne(node, position);
    } catch (error) {
      this.#levels.length = countsBefore.length;
      countsBefore.forEach((count, level) => (this.#levels[level]!.count = count));
      throw error;
    }
  }

  /** Returns copies of the hashes, one per id in order; throws if any id is not stored. */
  getNodes(ids: readonly NodeId[]): Uint8Array[] {
    if (this.#pendingFailure !== undefined) {
      const failure = this.#pendingFailure;
      this.#pendingFailure = undefined;
      throw failure;
    }
    if (!Array.isArray(ids)) throw new TypeError('ids must be an array');
    this.#reads += 1;
    this.#nodesRead += ids.length;
    return ids.map(({ level, index }) => {
      const stored = isLevel(level) ? this.#levels[level] : undefined;
      if (stored === undefined || !Number.isSafeInteger(index) || index < 0 || index >= stored.count) {
        throw new FactoError('invalid_argument', `node (level ${String(level)}, index ${String(index)}) is not stored`);
      }
      const offset = index * this.#hashLength;
      return stored.bytes.slice(offset, offset + this.#hashLength);
    });
  }

  #putOne(node: StoredNode, position: number): void {
    assertBytes(node?.hash, `nodes[${position}].hash`, this.#hashLength);
    const { level: levelNumber, index } = node;
    if (!isLevel(levelNumber) || !Number.isSafeInteger(index) || index < 0) {
      throw new FactoError('invalid_argument', `nodes[${position}] has no valid level and index`);
    }
    const level = this.#levelFor(levelNumber);
    if (index < level.count) {
      if (!this.#hashEquals(level, index, node.hash)) {
        throw new FactoError('invalid_argument', `node (level ${levelNumber}, index ${index}) is already stored with another hash`);
      }
    } else if (index === level.count) {
      this.#ensureCapacity(level, level.count + 1);
      level.bytes.set(node.hash, level.count * this.#hashLength);
      level.count += 1;
    } else {
      throw new FactoError('invalid_argument', `node (level ${levelNumber}, index ${index}) would leave a gap after index ${level.count - 1}`);
    }
  }

  #hashEquals(level: Level, index: number, hash: Uint8Array): boolean {
    const bytes = level.bytes;
    const offset = index * this.#hashLength;
    for (let position = 0; position < this.#hashLength; position++) {
      if (bytes[offset + position] !== hash[position]) return false;
    }
    return true;
  }

  #levelFor(level: number): Level {
    while (this.#levels.length <= level) this.#levels.push({ bytes: new Uint8Array(0), count: 0 });
    return this.#levels[level]!;
  }

  #ensureCapacity(level: Level, count: number): void {
    if (level.bytes.length >= count * this.#hashLength) return;
    const capacity = Math.max(INITIAL_CAPACITY, count * 2);
    const grown = new Uint8Array(capacity * this.#hashLength);
    grown.set(level.bytes.subarray(0, level.count * this.#hashLength));
    level.bytes = grown;
  }
}

function isLevel(level: unknown): level is number {
  return typeof level === 'number' && Number.isInteger(level) && level >= 0 && level <= MAX_LEVEL;
}
