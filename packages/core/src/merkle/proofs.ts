/**
 * Proofs and historical roots computed from stored nodes. Each function first plans which perfect
 * nodes it needs (tree-math), fetches them all with one getNodes call, then combines them: a
 * subtree on the right edge of a tree that is not perfect is hashed together from its perfect
 * parts. A proof therefore costs one read of O(log n) nodes and O(log n) hashes.
 */
import { FactoError } from '../errors.js';
import { childrenHashWith, type HashFunction, type MerkleOptions, resolveHash } from './hash.js';
import { type NodeReader, readNodes } from './node-store.js';
import { consistencyRanges, inclusionRanges, isTreeSize, type LeafRange, perfectNodes } from './tree-math.js';

/** PATH(index, D[0:treeSize]) (RFC 9162 section 2.1.3.1), read from the stored nodes. */
export async function inclusionProof(reader: NodeReader, index: number, treeSize: number, options?: MerkleOptions): Promise<Uint8Array[]> {
  assertSize(treeSize, 'treeSize');
  assertSize(index, 'index');
  if (index >= treeSize) throw new FactoError('invalid_argument', `index ${index} is not inside a tree of size ${treeSize}`);
  return subtreeHashes(reader, inclusionRanges(index, treeSize), resolveHash(options));
}

/**
 * PROOF(size1, D[0:size2]) (RFC 9162 section 2.1.4.1), read from the stored nodes. Empty, and read
 * nothing, when size1 is 0 or equal to size2: there is nothing to prove (see verifyConsistency).
 */
export async function consistencyProof(reader: NodeReader, size1: number, size2: number, options?: MerkleOptions): Promise<Uint8Array[]> {
  assertSize(size1, 'size1');
  assertSize(size2, 'size2');
  if (size1 > size2) throw new FactoError('invalid_argument', `size1 (${size1}) must not exceed size2 (${size2})`);
  if (size1 === 0 || size1 === size2) return [];
  return subtreeHashes(reader, consistencyRanges(size1, size2), resolveHash(options));
}

/** MTH(D[0:treeSize]), the root the tree had at that size, read from the stored nodes. */
export async function rootAt(reader: NodeReader, treeSize: number, options?: MerkleOptions): Promise<Uint8Array> {
  assertSize(treeSize, 'treeSize');
  const hash = resolveHash(options);
  if (treeSize === 0) return hash(new Uint8Array(0));
  const [root] = await subtreeHashes(reader, [{ start: 0, end: treeSize }], hash);
  return root!;
}

async function subtreeHashes(reader: NodeReader, ranges: readonly LeafRange[], hash: HashFunction): Promise<Uint8Array[]> {
  const groups = ranges.map(perfectNodes);
  const stored = await readNodes(reader, groups.flat());
  const result: Uint8Array[] = [];
  let offset = 0;
  for (const group of groups) {
    // MTH of a right-edge subtree = H(largest perfect part, MTH(the rest)): fold from the right.
    let combined = stored[offset + group.length - 1]!;
    for (let position = group.length - 2; position >= 0; position--) {
      combined = childrenHashWith(hash, stored[offset + position]!, combined);
    }
    result.push(combined);
    offset += group.length;
  }
  return result;
}

function assertSize(value: unknown, name: string): void {
  if (!isTreeSize(value)) throw new FactoError('invalid_argument', `${name} must be an integer in [0, 2^53), got ${String(value)}`);
}
