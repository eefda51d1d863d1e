/**
 * RFC 9162 section 2.1 written out as the RFC defines it, over a full list of leaf hashes: MTH,
 * PATH and PROOF. They are O(n) per call and exist to check the store-backed proofs and to serve
 * small, in-memory trees; the log itself uses MerkleTree and the reader-backed proof functions.
 */
import { assertBytes } from '../bytes.js';
import { FactoError } from '../errors.js';
import { childrenHashWith, type HashFunction, type MerkleOptions, resolveHash } from './hash.js';
import { isTreeSize, largestPowerOfTwoBelow } from './tree-math.js';

/** MTH(D[n]) over leaf hashes; the empty tree's root is H(""). */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[], options?: MerkleOptions): Uint8Array {
  assertLeafHashes(leafHashes);
  const hash = resolveHash(options);
  if (leafHashes.length === 0) return hash(new Uint8Array(0));
  return subtreeRoot(hash, leafHashes, 0, leafHashes.length);
}

/** PATH(index, D[n]) (RFC 9162 section 2.1.3.1), the sibling nearest the leaf first. */
export function inclusionProofFromLeafHashes(index: number, leafHashes: readonly Uint8Array[], options?: MerkleOptions): Uint8Array[] {
  assertLeafHashes(leafHashes);
  if (!isTreeSize(index) || index >= leafHashes.length) {
    throw new FactoError('invalid_argument', `index must be an integer in [0, ${leafHashes.length}), got ${String(index)}`);
  }
  return path(resolveHash(options), index, leafHashes, 0, leafHashes.length);
}

/**
 * PROOF(size1, D[n]) (RFC 9162 section 2.1.4.1), where n = leafHashes.length. For size1 = 0 and
 * size1 = n the proof is empty: there is nothing to prove (see verifyConsistency).
 */
export function consistencyProofFromLeafHashes(size1: number, leafHashes: readonly Uint8Array[], options?: MerkleOptions): Uint8Array[] {
  assertLeafHashes(leafHashes);
  if (!isTreeSize(size1) || size1 > leafHashes.length) {
    throw new FactoError('invalid_argument', `size1 must be an integer in [0, ${leafHashes.length}], got ${String(size1)}`);
  }
  if (size1 === 0 || size1 === leafHashes.length) return [];
  return subproof(resolveHash(options), size1, leafHashes, 0, leafHashes.length, true);
}

function subtreeRoot(hash: HashFunction, leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  if (end - start === 1) return leaves[start]!;
  const split = start + largestPowerOfTwoBelow(end - start);
  return childrenHashWith(hash, subtreeRoot(hash, leaves, start, split), subtreeRoot(hash, leaves, split, end));
}

function path(hash: HashFunction, index: number, leaves: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
  if (end - start === 1) return [];
  const split = start + largestPowerOfTwoBelow(end - start);
  if (index < split) return [...path(hash, index, leaves, start, split), subtreeRoot(hash, leaves, split, end)];
  return [...path(hash, index, leaves, split, end), subtreeRoot(hash, leaves, start, split)];
}

/** SUBPROOF(m, D[start:end], b) with the old size m kept as the absolute boundary size1 = start + m. */
function subproof(hash: HashFunction, size1: number, leaves: readonly Uint8Array[], start: number, end: number, oldRootIsNode: boolean): Uint8Array[] {
  if (size1 === end) return oldRootIsNode ? [] : [subtreeRoot(hash, leaves, start, end)];
  const split = start + largestPowerOfTwoBelow(end - start);
  if (size1 <= split) return [...subproof(hash, size1, leaves, start, split, oldRootIsNode), subtreeRoot(hash, leaves, split, end)];
  return [...subproof(hash, size1, leaves, split, end, false), subtreeRoot(hash, leaves, start, split)];
}

function assertLeafHashes(leafHashes: readonly Uint8Array[]): void {
  if (!Array.isArray(leafHashes)) throw new TypeError('leafHashes must be an array of Uint8Array');
  for (let index = 0; index < leafHashes.length; index++) assertBytes(leafHashes[index], `leafHashes[${index}]`);
}
