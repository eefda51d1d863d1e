/**
 * The NodeReader contract as executable checks, one suite for every store (the memory store here,
 * the collector's SQLite and PostgreSQL stores there). It is framework-neutral: each case is a name
 * and an async function that throws on failure, so a vitest file runs it with
 * `for (const { name, run } of nodeStoreConformanceCases(create)) it(name, run)`.
 */
import { equalBytes, utf8 } from '../bytes.js';
import { hashLeaf } from './hash.js';
import { MerkleTree } from './merkle-tree.js';
import type { NodeReader, StoredNode } from './node-store.js';
import { consistencyProof, inclusionProof, rootAt } from './proofs.js';
import { consistencyProofFromLeafHashes, inclusionProofFromLeafHashes } from './reference.js';

export interface NodeStoreUnderTest {
  readonly reader: NodeReader;
  /** Persists nodes exactly as MerkleTree.append returned them. */
  put(nodes: readonly StoredNode[]): void | Promise<void>;
}

export interface NodeStoreConformanceCase {
  readonly name: string;
  run(): Promise<void>;
}

const LEAF_COUNT = 37;

export function nodeStoreConformanceCases(create: () => NodeStoreUnderTest | Promise<NodeStoreUnderTest>): NodeStoreConformanceCase[] {
  const leafHashes = Array.from({ length: LEAF_COUNT }, (_, index) => hashLeaf(utf8(`conformance leaf ${index}`)));

  /** A store holding the first LEAF_COUNT leaves, appended in uneven batches, and the root after each size. */
  async function filledStore(): Promise<{ store: NodeStoreUnderTest; roots: Uint8Array[] }> {
    const store = await create();
    const tree = new MerkleTree();
    const roots = [tree.root()];
    for (let index = 0; index < LEAF_COUNT; index++) {
      await store.put(tree.append([leafHashes[index]!]).nodes);
      roots.push(tree.root());
    }
    return { store, roots };
  }

  return [
    {
      name: 'getNodes returns one hash per id, in the order asked, repeats included',
      async run() {
        const { store } = await filledStore();
        const ids = [{ level: 0, index: 36 }, { level: 5, index: 0 }, { level: 0, index: 0 }, { level: 0, index: 36 }];
        const hashes = await store.reader.getNodes(ids);
        check(hashes.length === 4, `expected 4 hashes, got ${hashes.length}`);
        check(equalBytes(hashes[0]!, leafHashes[36]!) && equalBytes(hashes[3]!, leafHashes[36]!), 'leaf 36 came back wrong');
        check(equalBytes(hashes[2]!, leafHashes[0]!), 'leaf 0 came back wrong');
        check(equalBytes(hashes[1]!, await rootAt(store.reader, 32)), 'node (5, 0) is not the root of the first 32 leaves');
      },
    },
    {
      name: 'getNodes throws when any id is not stored',
      async run() {
        const { store } = await filledStore();
        for (const missing of [{ level: 0, index: LEAF_COUNT }, { level: 1, index: 18 }, { level: 6, index: 0 }]) {
          const outcome = await Promise.resolve()
            .then(() => store.reader.getNodes([{ level: 0, index: 0 }, missing]))
            .then(() => 'returned', () => 'threw');
          check(outcome === 'threw', `getNodes returned for the missing node (${missing.level}, ${missing.index})`);
        }
      },
    },
    {
      name: 'roots and proofs read from the store match the reference definitions',
      async run() {
        const { store, roots } = await filledStore();
        for (let size = 0; size <= LEAF_COUNT; size++) {
          check(equalBytes(await rootAt(store.reader, size), roots[size]!), `rootAt(${size}) differs from the tree's root at that size`);
        }
        for (const [index, size] of [[0, 1], [4, 5], [12, 37], [36, 37], [31, 33]] as const) {
          const expected = inclusionProofFromLeafHashes(index, leafHashes.slice(0, size));
          check(sameHashes(await inclusionProof(store.reader, index, size), expected), `inclusion proof (${index}, ${size}) differs`);
        }
        for (const [size1, size2] of [[1, 37], [16, 37], [17, 33], [36, 37], [5, 8]] as const) {
          const expected = consistencyProofFromLeafHashes(size1, leafHashes.slice(0, size2));
          check(sameHashes(await consistencyProof(store.reader, size1, size2), expected), `consistency proof (${size1}, ${size2}) differs`);
        }
      },
    },
    {
      name: 'a tree loaded from the store continues exactly like the original',
      async run() {
        const { store, roots } = await filledStore();
        const loaded = await MerkleTree.load(store.reader, LEAF_COUNT);
        check(equalBytes(loaded.root(), roots[LEAF_COUNT]!), 'the loaded root differs');
        const next = hashLeaf(utf8('conformance leaf 37'));
        const { nodes } = loaded.append([next]);
        check(nodes.length === 2 && nodes[1]!.level === 1 && nodes[1]!.index === 18, 'appending leaf 37 did not complete node (1, 18)');
        await store.put(nodes);
        check(equalBytes(await rootAt(store.reader, LEAF_COUNT + 1), loaded.root()), 'the stored root after one more leaf differs');
      },
    },
  ];
}

function sameHashes(left: readonly Uint8Array[], right: readonly Uint8Array[]): boolean {
  return left.length === right.length && left.every((hash, position) => equalBytes(hash, right[position]!));
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`NodeReader conformance: ${message}`);
}
