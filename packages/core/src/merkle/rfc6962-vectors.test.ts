import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../bytes.js';
import { emptyRoot, hashChildren, hashLeaf } from './hash.js';
import { MemoryNodeStore } from './memory-node-store.js';
import { MerkleTree } from './merkle-tree.js';
import { consistencyProof, inclusionProof, rootAt } from './proofs.js';
import { consistencyProofFromLeafHashes, inclusionProofFromLeafHashes, rootFromLeafHashes } from './reference.js';
import vectors from './rfc6962-vectors.json' with { type: 'json' };
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';

const options = { hash: sha256 };
const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
const hexList = (list: readonly Uint8Array[]) => list.map(hex);
const leafHashes = vectors.leafInputs.map((input) => hashLeaf(fromHex(input), options));
const roots = vectors.roots.map((root) => fromHex(root));

const tree = new MerkleTree(options);
const store = new MemoryNodeStore();
store.put(tree.append(leafHashes).nodes);

/** A copy of `bytes` with one bit flipped. */
function flipped(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('RFC 6962 hasher (SHA-256)', () => {
  it('hashes the empty tree, leaves and nodes as published', () => {
    expect(hex(emptyRoot(options))).toBe(vectors.hasher.emptyRoot);
    for (const leaf of vectors.hasher.leaves) expect(hex(hashLeaf(utf8(leaf.input), options))).toBe(leaf.hash);
    for (const node of vectors.hasher.children) expect(hex(hashChildren(utf8(node.left), utf8(node.right), options))).toBe(node.hash);
  });
});

describe('RFC 6962 roots', () => {
  it.each(vectors.roots.map((root, position) => [position + 1, root] as const))('size %i has root %s', async (size, root) => {
    expect(hex(rootFromLeafHashes(leafHashes.slice(0, size), options))).toBe(root);
    expect(hex(await rootAt(store, size, options))).toBe(root);
    const partial = new MerkleTree(options);
    partial.append(leafHashes.slice(0, size));
    expect(hex(partial.root())).toBe(root);
  });
});

describe('RFC 6962 inclusion proofs', () => {
  it.each(vectors.inclusion)('index $index in size $treeSize', async ({ index, treeSize, proof: expectedHex }) => {
    const proof = expectedHex.map((node) => fromHex(node));
    const root = roots[treeSize - 1]!;
    const leafHash = leafHashes[index]!;
    expect(hexList(inclusionProofFromLeafHashes(index, leafHashes.slice(0, treeSize), options))).toEqual(expectedHex);
    expect(hexList(await inclusionProof(store, index, treeSize, options))).toEqual(expectedHex);
    expect(hex(rootFromInclusionProof({ leafHash, index, treeSize, proof }, options))).toBe(hex(root));
    expect(verifyInclusion({ leafHash, index, treeSize, proof, root }, options)).toBe(true);

    // The corruptions transparency-dev's verifierCheck applies to every vector.
    const someHash = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');
    const wrong = [
      { index: index - 1 }, { index: index + 1 }, { index: index ^ 2 },
      { treeSize: treeSize * 2 }, { treeSize: Math.floor(treeSize / 2) },
      { leafHash: utf8('WrongLeaf') }, { root: emptyRoot(options) }, { root: someHash },
      { proof: [...proof, new Uint8Array(0)] }, { proof: [...proof, root] },
      { proof: [new Uint8Array(0), ...proof] }, { proof: [root, ...proof] },
      ...proof.map((_, position) => ({ proof: proof.map((node, other) => (other === position ? flipped(node, 3) : node)) })),
      ...(proof.length > 0 ? [{ proof: proof.slice(0, -1) }] : []),
      ...(proof.length > 1 ? [{ proof: [proof[0]!, someHash, ...proof.slice(1)] }] : []),
    ];
    for (const change of wrong) {
      expect(verifyInclusion({ leafHash, index, treeSize, proof, root, ...change }, options), JSON.stringify(Object.keys(change))).toBe(false);
    }
  });
});

describe('RFC 6962 consistency proofs', () => {
  it.each(vectors.consistency)('size $size1 to size $size2', async ({ size1, size2, proof: expectedHex }) => {
    const proof = expectedHex.map((node) => fromHex(node));
    const root1 = roots[size1 - 1]!;
    const root2 = roots[size2 - 1]!;
    expect(hexList(consistencyProofFromLeafHashes(size1, leafHashes.slice(0, size2), options))).toEqual(expectedHex);
    expect(hexList(await consistencyProof(store, size1, size2, options))).toEqual(expectedHex);
    expect(verifyConsistency({ size1, size2, proof, root1, root2 }, options)).toBe(true);
    if (proof.length === 0) return;

    // The corruptions transparency-dev's verifierConsistencyCheck applies to every non-trivial vector.
    const wrongRoot = utf8('WrongRoot');
    const wrong = [
      { size1: size1 - 1 }, { size1: size1 + 1 }, { size1: size1 ^ 2 },
      { size2: size2 * 2 }, { size2: Math.floor(size2 / 2) },
      { root1: wrongRoot }, { root2: wrongRoot }, { root1: root2, root2: root1 },
      { proof: [] },
      { proof: [...proof, new Uint8Array(0)] }, { proof: [...proof, root1] }, { proof: [...proof, root2] },
      { proof: [new Uint8Array(0), ...proof] }, { proof: [root1, ...proof] }, { proof: [root2, ...proof] }, { proof: [proof[0]!, ...proof] },
      { proof: proof.slice(0, -1) },
      ...proof.map((_, position) => ({ proof: proof.map((node, other) => (other === position ? flipped(node, 4) : node)) })),
    ];
    for (const change of wrong) {
      expect(verifyConsistency({ size1, size2, proof, root1, root2, ...change }, options), JSON.stringify(change, (_, value) => (value instanceof Uint8Array ? hex(value) : value))).toBe(false);
    }
  });
});
