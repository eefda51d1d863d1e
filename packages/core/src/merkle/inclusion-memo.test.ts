import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { hashLeaf } from './hash.js';
import { inclusionProofFromLeafHashes, rootFromLeafHashes } from './reference.js';
import * as core from '../index.js';
import { InclusionMemo, verifyInclusion } from './verify.js';

const options = { hash: sha256 };

function tree(size: number) {
  const leaves = Array.from({ length: size }, (_, index) => hashLeaf(new Uint8Array([index & 0xff, index >> 8, 7]), options));
  return { leaves, root: rootFromLeafHashes(leaves, options), proof: (index: number) => inclusionProofFromLeafHashes(index, leaves, options) };
}

describe('InclusionMemo', () => {
  it('gives every proof of a tree the verdict it gets without the memo, tampered ones included', () => {
    // Sizes with ragged right edges, where the RFC walk skips levels.
    for (const size of [1, 2, 3, 5, 13, 64, 100]) {
      const { leaves, root, proof } = tree(size);
      const memo = new InclusionMemo();
      const cases: { index: number; leafHash: Uint8Array; proof: Uint8Array[] }[] = [];
      for (let index = 0; index < size; index++) {
        const honest = proof(index);
        cases.push({ index, leafHash: leaves[index]!, proof: honest });
        for (let position = 0; position < honest.length; position++) {
          const bent = honest.map((node) => node.slice());
          bent[position]![position % 32]! ^= 1;
          cases.push({ index, leafHash: leaves[index]!, proof: bent });
        }
        if (size > 1) cases.push({ index: (index + 1) % size, leafHash: leaves[index]!, proof: honest });
        cases.push({ index, leafHash: leaves[index]!, proof: honest.slice(0, -1) });
      }
      for (const check of cases) {
        const plain = verifyInclusion({ ...check, treeSize: size, root }, options);
        expect(verifyInclusion({ ...check, treeSize: size, root }, { ...options, memo }), `size ${size} index ${check.index}`).toBe(plain);
      }
    }
  });

  it('is part of the package API, as the README tells callers checking many proofs to use it', () => {
    expect(core.InclusionMemo).toBe(InclusionMemo);
    const { leaves, root, proof } = tree(5);
    const memo = new core.InclusionMemo();
    expect(leaves.every((leafHash, index) => core.verifyInclusion({ index, leafHash, proof: proof(index), treeSize: 5, root }, { ...options, memo }))).toBe(true);
  });

  it('does not let an honest neighbour vouch for a proof bent above the level where their paths meet', () => {
    const { leaves, root, proof } = tree(16);
    const memo = new InclusionMemo();
    expect(verifyInclusion({ leafHash: leaves[0]!, index: 0, treeSize: 16, proof: proof(0), root }, { ...options, memo })).toBe(true);
    const bent = proof(1).map((node) => node.slice());
    bent[3]![0]! ^= 0x80;
    expect(verifyInclusion({ leafHash: leaves[1]!, index: 1, treeSize: 16, proof: bent, root }, { ...options, memo })).toBe(false);
  });

  it('spares the hashes that neighbouring proofs share', () => {
    const size = 256;
    const { leaves, root, proof } = tree(size);
    let hashes = 0;
    const counting = { hash: (data: Uint8Array) => (hashes++, sha256(data)) };
    const memo = new InclusionMemo();
    for (let index = 0; index < size; index++) {
      expect(verifyInclusion({ leafHash: leaves[index]!, index, treeSize: size, proof: proof(index), root }, { ...counting, memo })).toBe(true);
    }
    // Without the memo: 8 per proof. With it, in leaf order: one per interior node of the tree.
    expect(hashes).toBe(size - 1);
  });
});
