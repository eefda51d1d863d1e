/**
 * The append-only tree of a log, held as its compact range only: the roots of the perfect subtrees
 * that cover [0, size), at most one per level, so memory is O(log n) however long the log grows.
 * Appending is synchronous, needs no reads and costs amortised O(1) hashes per leaf; it returns every
 * node it completed so the caller can persist them in the same transaction as the entries themselves
 * (the collector does so inside a synchronous SQLite transaction). Proofs come from the stored nodes.
 */
import { assertBytes } from '../bytes.js';
import { FactoError } from '../errors.js';
import { childrenHashWith, type HashFunction, type MerkleOptions, resolveHash } from './hash.js';
import { type NodeReader, readNodes, type StoredNode } from './node-store.js';
import { isTreeSize, perfectNodes } from './tree-math.js';

export interface AppendResult {
  /** Every newly completed perfect node, leaves (level 0) included, in the order they completed. */
  readonly nodes: StoredNode[];
}

export class MerkleTree {
  readonly #hash: HashFunction;
  readonly #hashLength: number;
  // The compact range, left to right: levels strictly decrease, so a new leaf merges only at the end.
  readonly #rangeLevels: number[] = [];
  readonly #rangeHashes: Uint8Array[] = [];
  #size = 0;
  #cachedRoot: Uint8Array | undefined;

  /** An empty tree. Use MerkleTree.load to continue a stored one. */
  constructor(options?: MerkleOptions) {
    this.#hash = resolveHash(options);
    this.#hashLength = this.#hash(new Uint8Array(0)).length;
  }

  /** Restores the tree of `size` leaves from its stored nodes with one getNodes call of O(log size) ids. */
  static async load(reader: NodeReader, size: number, options?: MerkleOptions): Promise<MerkleTree> {
    if (!isTreeSize(size)) throw new FactoError('invalid_argument', `size must be an integer in [0, 2^53), got ${String(size)}`);
    const tree = new MerkleTree(options);
    const ids = perfectNodes({ start: 0, end: size });
    const hashes = await readNodes(reader, ids, tree.#hashLength);
    for (let position = 0; position < ids.length; position++) {
      tree.#rangeLevels.push(ids[position]!.level);
      tree.#rangeHashes.push(hashes[position]!.slice());
    }
    tree.#size = size;
    return tree;
  }

  /** The number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** MTH of the whole tree (H("") when empty). */
  root(): Uint8Array {
    if (this.#cachedRoot === undefined) {
      const count = this.#rangeHashes.length;
      let root = count === 0 ? this.#hash(new Uint8Array(0)) : this.#rangeHashes[count - 1]!;
      for (let position = count - 2; position >= 0; position--) {
        root = childrenHashWith(this.#hash, this.#rangeHashes[position]!, root);
      }
      this.#cachedRoot = root;
    }
    return this.#cachedRoot.slice();
  }

  /**
   * Appends leaf hashes (each as long as the tree's hash output) and returns the nodes to persist.
   * The whole batch is checked before any of it is applied, so a bad batch leaves the tree unchanged.
   */
  append(leafHashes: readonly Uint8Array[]): AppendResult {
    if (!Array.isArray(leafHashes)) throw new TypeError('leafHashes must be an array of Uint8Array');
    for (let position = 0; position < leafHashes.length; position++) {
      assertBytes(leafHashes[position], `leafHashes[${position}]`, this.#hashLength);
    }
    if (this.#size + leafHashes.length > Number.MAX_SAFE_INTEGER) {
      throw new FactoError('invalid_argument', 'the tree cannot grow beyond 2^53 - 1 leaves');
    }
    const nodes: StoredNode[] = [];
    for (const leafHash of leafHashes) {
      let level = 0;
      let index = this.#size;
      let hash = leafHash.slice();
      nodes.push({ level, index, hash });
      while (this.#rangeLevels.length > 0 && this.#rangeLevels[this.#rangeLevels.length - 1] === level) {
        this.#rangeLevels.pop();
        hash = childrenHashWith(this.#hash, this.#rangeHashes.pop()!, hash);
        level += 1;
        // A node that completes its parent is always a right child, so its index is odd.
        index = (index - 1) / 2;
        nodes.push({ level, index, hash });
      }
      this.#rangeLevels.push(level);
      // A copy, so a caller changing a returned node cannot change the tree.
      this.#rangeHashes.push(hash.slice());
      this.#size += 1;
    }
    if (leafHashes.length > 0) this.#cachedRoot = undefined;
    return { nodes };
  }
}
