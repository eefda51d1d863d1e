import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { hashLeaf } from './hash.js';
import { MemoryNodeStore } from './memory-node-store.js';
import { MerkleTree } from './merkle-tree.js';
import { consistencyProof, inclusionProof } from './proofs.js';
import { rootFromLeafHashes } from './reference.js';
import { consistencyRanges, inclusionRanges } from './tree-math.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

const options = { hash: sha256 };
const MAX_SIZE = 700;
const leafHashes = Array.from({ length: MAX_SIZE }, (_, index) => hashLeaf(utf8(`leaf ${index}`), options));
const store = new MemoryNodeStore();
store.put(new MerkleTree(options).append(leafHashes).nodes);
const referenceRoot = (size: number) => rootFromLeafHashes(leafHashes.slice(0, size), options);

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}
/** Flips bit `bit` of a non-negative integer below 2^53 (the 32-bit ^ operator would truncate it). */
function flipNumberBit(value: number, bit: number): number {
  const weight = 2 ** bit;
  return Math.floor(value / weight) % 2 === 1 ? value - weight : value + weight;
}
const isPowerOfTwo = (value: number) => value > 0 && Number.isInteger(Math.log2(value));
/** Which side each proof hash joins on: the RFC verifiers do the same hashing for any two claims with equal shapes. */
const inclusionShape = (index: number, size: number) => inclusionRanges(index, size).map((range) => (range.start < index ? 'L' : 'R')).join('');
const consistencyShape = (size1: number, size2: number) =>
  (isPowerOfTwo(size1) ? 'P' : '-') + consistencyRanges(size1, size2).map((range) => (range.end <= size1 ? 'L' : 'R')).join('');

describe('every single-bit change is rejected', () => {
  it('in an inclusion proof, its root, its index or (unless the claim keeps its shape) its size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: MAX_SIZE }), fc.nat(), async (size, seed) => {
        const index = seed % size;
        const claim = { leafHash: leafHashes[index]!, index, treeSize: size, proof: await inclusionProof(store, index, size, options), root: referenceRoot(size) };
        for (let bit = 0; bit < 256; bit++) {
          expect(verifyInclusion({ ...claim, root: flipBit(claim.root, bit) }, options)).toBe(false);
          expect(verifyInclusion({ ...claim, leafHash: flipBit(claim.leafHash, bit) }, options)).toBe(false);
          for (let position = 0; position < claim.proof.length; position++) {
            const proof = claim.proof.map((hash, other) => (other === position ? flipBit(hash, bit) : hash));
            expect(verifyInclusion({ ...claim, proof }, options)).toBe(false);
          }
        }
        for (let bit = 0; bit < 53; bit++) {
          expect(verifyInclusion({ ...claim, index: flipNumberBit(index, bit) }, options)).toBe(false);
          // RFC 9162 inclusion proofs bind the size only through the signed tree head: a size whose
          // proof has the same shape hashes identically, so it must verify exactly then.
          const treeSize = flipNumberBit(size, bit);
          const sameShape = index < treeSize && inclusionShape(index, treeSize) === inclusionShape(index, size);
          expect(verifyInclusion({ ...claim, treeSize }, options)).toBe(sameShape);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('in a consistency proof, either root or (unless the claim keeps its shape) either size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: MAX_SIZE }), fc.nat(), async (size2, seed) => {
        const size1 = 1 + (seed % (size2 - 1));
        const claim = { size1, size2, proof: await consistencyProof(store, size1, size2, options), root1: referenceRoot(size1), root2: referenceRoot(size2) };
        for (let bit = 0; bit < 256; bit++) {
          expect(verifyConsistency({ ...claim, root1: flipBit(claim.root1, bit) }, options)).toBe(false);
          expect(verifyConsistency({ ...claim, root2: flipBit(claim.root2, bit) }, options)).toBe(false);
          for (let position = 0; position < claim.proof.length; position++) {
            const proof = claim.proof.map((hash, other) => (other === position ? flipBit(hash, bit) : hash));
            expect(verifyConsistency({ ...claim, proof }, options)).toBe(false);
          }
        }
        const keepsShape = (first: number, second: number) => 0 < first && first < second && consistencyShape(first, second) === consistencyShape(size1, size2);
        for (let bit = 0; bit < 53; bit++) {
          const flippedSize1 = flipNumberBit(size1, bit);
          const flippedSize2 = flipNumberBit(size2, bit);
          expect(verifyConsistency({ ...claim, size1: flippedSize1 }, options)).toBe(keepsShape(flippedSize1, size2));
          expect(verifyConsistency({ ...claim, size2: flippedSize2 }, options)).toBe(keepsShape(size1, flippedSize2));
        }
      }),
      { numRuns: 25 },
    );
  });
});
