import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, utf8 } from '../bytes.js';
import { type HashFunction, hashLeaf } from './hash.js';
import { MemoryNodeStore } from './memory-node-store.js';
import { MerkleTree } from './merkle-tree.js';
import { consistencyProof, inclusionProof, rootAt } from './proofs.js';
import { consistencyProofFromLeafHashes, inclusionProofFromLeafHashes, rootFromLeafHashes } from './reference.js';
import { consistencyRanges, inclusionRanges } from './tree-math.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

const options = { hash: sha256 };
const LEAF_COUNT = 20_000;

/**
 * An exact stand-in for a hash in the comparisons with the O(n)-per-proof reference definitions:
 * every distinct input gets the next serial number as its 32-byte digest. It is injective by
 * construction (so equal proofs mean equal computations, with no collision caveat) and several
 * times faster than SHA-256, which the vector and tampering tests use.
 */
function serialNumberHash(): HashFunction {
  const digests = new Map<number | string, Uint8Array>();
  const serialAt = (data: Uint8Array, offset: number) => (data[offset]! * 2 ** 24) + (data[offset + 1]! << 16) + (data[offset + 2]! << 8) + data[offset + 3]!;
  return (data) => {
    // An interior node's input is 0x01 || left || right, both earlier digests: key it by their serials.
    const key = data.length === 65 && data[0] === 1 ? serialAt(data, 1) * 2 ** 26 + serialAt(data, 33) : String.fromCharCode(...data);
    let digest = digests.get(key);
    if (digest === undefined) {
      digest = new Uint8Array(32);
      const serial = digests.size;
      digest.set([serial >>> 24, (serial >>> 16) & 0xff, (serial >>> 8) & 0xff, serial & 0xff]);
      digests.set(key, digest);
    }
    return digest;
  };
}

/** Leaf hashes, and a store holding the whole tree over them, for one hash function. */
function fixture(hash: HashFunction) {
  const leaves = Array.from({ length: LEAF_COUNT }, (_, index) => hashLeaf(utf8(`leaf ${index}`), { hash }));
  const nodes = new MemoryNodeStore();
  nodes.put(new MerkleTree({ hash }).append(leaves).nodes);
  return { leaves, nodes, root: (size: number) => rootFromLeafHashes(leaves.slice(0, size), { hash }) };
}

const { leaves: leafHashes, nodes: store, root: referenceRoot } = fixture(sha256);
const fastOptions = { hash: serialNumberHash() };
const fast = fixture(fastOptions.hash);
const sameHashes = (left: readonly Uint8Array[], right: readonly Uint8Array[]) =>
  left.length === right.length && left.every((hash, position) => equalBytes(hash, right[position]!));

describe('store-backed proofs against the RFC 9162 definitions', () => {
  it('match PATH and verify for every index of every tree size up to 300', async () => {
    const failures: string[] = [];
    for (let size = 1; size <= 300; size++) {
      const root = fast.root(size);
      if (!equalBytes(await rootAt(fast.nodes, size, fastOptions), root)) failures.push(`rootAt(${size})`);
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(fast.nodes, index, size, fastOptions);
        if (!sameHashes(proof, inclusionProofFromLeafHashes(index, fast.leaves.slice(0, size), fastOptions))) failures.push(`path(${index}, ${size})`);
        if (!verifyInclusion({ leafHash: fast.leaves[index]!, index, treeSize: size, proof, root }, fastOptions)) failures.push(`verify(${index}, ${size})`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('match PATH and verify for random indices of larger trees', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 301, max: LEAF_COUNT }), fc.nat(), async (size, seed) => {
        const index = seed % size;
        const proof = await inclusionProof(fast.nodes, index, size, fastOptions);
        expect(sameHashes(proof, inclusionProofFromLeafHashes(index, fast.leaves.slice(0, size), fastOptions))).toBe(true);
        expect(verifyInclusion({ leafHash: fast.leaves[index]!, index, treeSize: size, proof, root: fast.root(size) }, fastOptions)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('match PROOF and verify for every pair of sizes up to 64', async () => {
    const failures: string[] = [];
    for (let size2 = 0; size2 <= 64; size2++) {
      const root2 = fast.root(size2);
      for (let size1 = 0; size1 <= size2; size1++) {
        const proof = await consistencyProof(fast.nodes, size1, size2, fastOptions);
        if (!sameHashes(proof, consistencyProofFromLeafHashes(size1, fast.leaves.slice(0, size2), fastOptions))) failures.push(`proof(${size1}, ${size2})`);
        if (!verifyConsistency({ size1, size2, proof, root1: fast.root(size1), root2 }, fastOptions)) failures.push(`verify(${size1}, ${size2})`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('match PROOF and verify for random pairs of larger sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: LEAF_COUNT }), fc.integer({ min: 1, max: LEAF_COUNT }), async (first, second) => {
        const [size1, size2] = first <= second ? [first, second] : [second, first];
        const proof = await consistencyProof(fast.nodes, size1, size2, fastOptions);
        expect(sameHashes(proof, consistencyProofFromLeafHashes(size1, fast.leaves.slice(0, size2), fastOptions))).toBe(true);
        expect(verifyConsistency({ size1, size2, proof, root1: fast.root(size1), root2: fast.root(size2) }, fastOptions)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('reads', () => {
  const bitLength = (value: number) => Math.ceil(Math.log2(value + 1));

  it('make one getNodes call of O(log n) ids per proof or root', async () => {
    let largest = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: LEAF_COUNT }), fc.nat(), fc.nat(), async (size, first, second) => {
        const index = first % size;
        const size1 = 1 + (second % size);
        for (const read of [() => inclusionProof(store, index, size, options), () => consistencyProof(store, size1, size, options), () => rootAt(store, size, options)]) {
          const [readsBefore, nodesBefore] = [store.reads, store.nodesRead];
          await read();
          expect(store.reads - readsBefore).toBeLessThanOrEqual(1);
          const ids = store.nodesRead - nodesBefore;
          expect(ids).toBeLessThanOrEqual(2 * bitLength(size));
          largest = Math.max(largest, ids);
        }
      }),
      { numRuns: 300 },
    );
    expect(largest).toBeGreaterThan(bitLength(LEAF_COUNT) / 2);
  });

  it('make no call when there is nothing to read', async () => {
    const readsBefore = store.reads;
    expect(await consistencyProof(store, 0, 10, options)).toEqual([]);
    expect(await consistencyProof(store, 10, 10, options)).toEqual([]);
    expect(await rootAt(store, 0, options)).toEqual(sha256(new Uint8Array(0)));
    expect(await inclusionProof(store, 0, 1, options)).toEqual([]);
    expect(store.reads).toBe(readsBefore);
  });

  it('reject impossible requests with invalid_argument and pass store failures through', async () => {
    await expect(inclusionProof(store, 5, 5, options)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(consistencyProof(store, 6, 5, options)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(rootAt(store, -1, options)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(rootAt(store, LEAF_COUNT + 1, options)).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/not stored/) });
    const failure = new Error('database is locked');
    store.failNextRead(failure);
    await expect(inclusionProof(store, 3, 9, options)).rejects.toBe(failure);
  });
});
