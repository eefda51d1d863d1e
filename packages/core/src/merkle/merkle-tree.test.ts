import { sha256 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, utf8 } from '../bytes.js';
import { hashLeaf } from './hash.js';
import { MemoryNodeStore } from './memory-node-store.js';
import { MerkleTree } from './merkle-tree.js';
import type { NodeReader, StoredNode } from './node-store.js';
import { rootAt } from './proofs.js';
import { rootFromLeafHashes } from './reference.js';

const options = { hash: sha256 };
const leafHashes = Array.from({ length: 400 }, (_, index) => hashLeaf(utf8(`entry ${index}`), options));
const idsOf = (nodes: readonly StoredNode[]) => nodes.map(({ level, index }) => `${level}/${index}`).sort();

/** The perfect nodes inside [0, newSize) that were not inside [0, oldSize): what one append must report. */
function completedNodes(oldSize: number, newSize: number): string[] {
  const ids: string[] = [];
  for (let level = 0; 2 ** level <= newSize; level++) {
    for (let index = Math.floor(oldSize / 2 ** level); index < Math.floor(newSize / 2 ** level); index++) ids.push(`${level}/${index}`);
  }
  return ids.sort();
}

/** Cuts `total` leaves into batches of the given sizes (the last batch takes what is left). */
function batchesOf(sizes: readonly number[], total: number): Uint8Array[][] {
  const batches: Uint8Array[][] = [];
  let start = 0;
  for (const size of sizes) {
    if (start >= total) break;
    batches.push(leafHashes.slice(start, Math.min(total, start + size)));
    start += size;
  }
  if (start < total) batches.push(leafHashes.slice(start, total));
  return batches;
}

describe('MerkleTree.append', () => {
  it('has the empty root H("") before any append', () => {
    expect(new MerkleTree(options).root()).toEqual(sha256(new Uint8Array(0)));
    expect(new MerkleTree().root()).toEqual(sha3_256(new Uint8Array(0)));
  });

  it('matches MTH after every batch and reports exactly the newly completed perfect nodes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 20 }), fc.integer({ min: 0, max: 400 }), (sizes, total) => {
        const tree = new MerkleTree(options);
        const store = new MemoryNodeStore();
        for (const batch of batchesOf(sizes, total)) {
          const sizeBefore = tree.size;
          const { nodes } = tree.append(batch);
          expect(tree.size).toBe(sizeBefore + batch.length);
          expect(idsOf(nodes)).toEqual(completedNodes(sizeBefore, tree.size));
          expect(equalBytes(tree.root(), rootFromLeafHashes(leafHashes.slice(0, tree.size), options))).toBe(true);
          store.put(nodes);
        }
        expect(store.leafCount).toBe(total);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves the tree unchanged when any hash of a batch is malformed', () => {
    const tree = new MerkleTree(options);
    tree.append(leafHashes.slice(0, 5));
    const root = tree.root();
    expect(() => tree.append([leafHashes[5]!, new Uint8Array(31)])).toThrow(RangeError);
    expect(() => tree.append([leafHashes[5]!, 'ab' as never])).toThrow(TypeError);
    expect(() => tree.append('ab' as never)).toThrow(TypeError);
    expect(tree.size).toBe(5);
    expect(tree.root()).toEqual(root);
  });

  it('does not let callers change it through the arrays it was given or returned', () => {
    const tree = new MerkleTree(options);
    const input = leafHashes[0]!.slice();
    const { nodes } = tree.append([input]);
    const root = tree.root();
    input.fill(0);
    nodes[0]!.hash.fill(0);
    tree.root().fill(0);
    expect(tree.root()).toEqual(root);
    tree.append([leafHashes[1]!]);
    expect(tree.root()).toEqual(rootFromLeafHashes(leafHashes.slice(0, 2), options));
  });
});

describe('MerkleTree.load', () => {
  it('continues exactly like the tree it was stored from', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 99 }), async (storedSize, moreSize) => {
        const store = new MemoryNodeStore();
        const original = new MerkleTree(options);
        store.put(original.append(leafHashes.slice(0, storedSize)).nodes);
        const readsBefore = store.reads;
        const loaded = await MerkleTree.load(store, storedSize, options);
        expect(store.reads - readsBefore).toBe(storedSize === 0 ? 0 : 1);
        expect(loaded.size).toBe(storedSize);
        expect(loaded.root()).toEqual(original.root());
        const more = leafHashes.slice(storedSize, storedSize + moreSize);
        const fromLoaded = loaded.append(more).nodes;
        const fromOriginal = original.append(more).nodes;
        expect(idsOf(fromLoaded)).toEqual(idsOf(fromOriginal));
        expect(fromLoaded.every((node, position) => equalBytes(node.hash, fromOriginal[position]!.hash))).toBe(true);
        expect(loaded.root()).toEqual(original.root());
        store.put(fromLoaded);
        expect(await rootAt(store, loaded.size, options)).toEqual(loaded.root());
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a bad size, passes read failures through and refuses a reader that breaks its contract', async () => {
    const store = new MemoryNodeStore();
    store.put(new MerkleTree(options).append(leafHashes.slice(0, 10)).nodes);
    await expect(MerkleTree.load(store, -1, options)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(MerkleTree.load(store, 11, options)).rejects.toMatchObject({ code: 'invalid_argument' });
    const failure = new Error('disk I/O error');
    store.failNextRead(failure);
    await expect(MerkleTree.load(store, 10, options)).rejects.toBe(failure);
    const short: NodeReader = { getNodes: (ids) => store.getNodes(ids).slice(1) };
    await expect(MerkleTree.load(short, 10, options)).rejects.toThrow(/broke its contract/);
    const truncated: NodeReader = { getNodes: async (ids) => store.getNodes(ids).map((hash) => hash.subarray(1)) };
    await expect(MerkleTree.load(truncated, 10, options)).rejects.toThrow(/32-byte hash/);
  });
});
