import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { FactoError } from '../errors.js';
import { emptyRoot, hashLeaf } from './hash.js';
import { inclusionProofFromLeafHashes, rootFromLeafHashes } from './reference.js';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';

const options = { hash: sha256 };
const leafHashes = Array.from({ length: 6 }, (_, index) => hashLeaf(utf8(`leaf ${index}`), options));
const root = rootFromLeafHashes(leafHashes, options);
const good = { leafHash: leafHashes[4]!, index: 4, treeSize: 6, proof: inclusionProofFromLeafHashes(4, leafHashes, options), root };

describe('verifyInclusion', () => {
  it('accepts the one-leaf tree, whose root is the leaf hash and whose proof is empty', () => {
    expect(verifyInclusion({ leafHash: leafHashes[0]!, index: 0, treeSize: 1, proof: [], root: leafHashes[0]! }, options)).toBe(true);
    expect(verifyInclusion({ leafHash: leafHashes[0]!, index: 0, treeSize: 1, proof: [], root: new Uint8Array(0) }, options)).toBe(false);
  });

  it.each([
    ['index equal to the size', { index: 6 }],
    ['an empty tree', { index: 0, treeSize: 0 }],
    ['a negative index', { index: -1 }],
    ['a fractional index', { index: 4.5 }],
    ['NaN as size', { treeSize: Number.NaN }],
    ['a size past 2^53', { treeSize: 2 ** 53 }],
    ['a proof hash of another length', { proof: [good.proof[0]!.subarray(1), ...good.proof.slice(1)] }],
    ['a root of another length', { root: root.subarray(1) }],
  ])('returns false for %s', (_name, change) => {
    expect(verifyInclusion({ ...good, ...change }, options)).toBe(false);
  });

  it('uses the given hash: the same proof fails under the default SHA3-256', () => {
    expect(verifyInclusion(good, options)).toBe(true);
    expect(verifyInclusion(good)).toBe(false);
  });

  it.each([
    ['a missing leaf hash', { leafHash: undefined }],
    ['a hex string as root', { root: 'ab' }],
    ['a proof that is not an array', { proof: 'ab' }],
    ['a proof holding a string', { proof: ['ab'] }],
    ['an index that is a string', { index: '4' }],
    ['a bigint size', { treeSize: 6n }],
  ])('throws TypeError for %s', (_name, change) => {
    expect(() => verifyInclusion({ ...good, ...change } as never, options)).toThrow(TypeError);
  });
});

describe('rootFromInclusionProof', () => {
  it('explains proofs of the wrong shape', () => {
    const attempt = (change: object) => () => rootFromInclusionProof({ ...good, ...change }, options);
    expect(attempt({ proof: [...good.proof, root] })).toThrow(/more hashes/);
    expect(attempt({ proof: good.proof.slice(1) })).toThrow(/fewer hashes/);
    expect(attempt({ index: 9 })).toThrow(/not inside a tree of size 6/);
    try {
      attempt({ index: 9 })();
    } catch (error) {
      expect(FactoError.isInstance(error) && error.code).toBe('proof');
    }
  });
});

describe('verifyConsistency edge cases', () => {
  const root3 = rootFromLeafHashes(leafHashes.slice(0, 3), options);
  const empty = emptyRoot(options);

  it('takes size1 = size2 as consistent only with an empty proof and equal roots', () => {
    expect(verifyConsistency({ size1: 6, size2: 6, proof: [], root1: root, root2: root }, options)).toBe(true);
    expect(verifyConsistency({ size1: 6, size2: 6, proof: [], root1: root, root2: root3 }, options)).toBe(false);
    expect(verifyConsistency({ size1: 6, size2: 6, proof: [root], root1: root, root2: root }, options)).toBe(false);
  });

  it('takes size1 = 0 as consistent only with an empty proof and the empty-tree root', () => {
    expect(verifyConsistency({ size1: 0, size2: 6, proof: [], root1: empty, root2: root }, options)).toBe(true);
    expect(verifyConsistency({ size1: 0, size2: 0, proof: [], root1: empty, root2: empty }, options)).toBe(true);
    expect(verifyConsistency({ size1: 0, size2: 6, proof: [], root1: root3, root2: root }, options)).toBe(false);
    expect(verifyConsistency({ size1: 0, size2: 6, proof: [empty], root1: empty, root2: root }, options)).toBe(false);
  });

  it('returns false for size1 > size2, bad sizes and a missing proof', () => {
    expect(verifyConsistency({ size1: 6, size2: 3, proof: [], root1: root, root2: root3 }, options)).toBe(false);
    expect(verifyConsistency({ size1: -1, size2: 3, proof: [], root1: root, root2: root3 }, options)).toBe(false);
    expect(verifyConsistency({ size1: 3, size2: 6.5, proof: [], root1: root3, root2: root }, options)).toBe(false);
    expect(verifyConsistency({ size1: 3, size2: 6, proof: [], root1: root3, root2: root }, options)).toBe(false);
  });

  it('throws TypeError for arguments of the wrong type', () => {
    const base = { size1: 3, size2: 6, proof: [], root1: root3, root2: root };
    expect(() => verifyConsistency({ ...base, root2: undefined } as never, options)).toThrow(TypeError);
    expect(() => verifyConsistency({ ...base, size1: '3' } as never, options)).toThrow(TypeError);
    expect(() => verifyConsistency({ ...base, proof: [1] } as never, options)).toThrow(TypeError);
    expect(() => verifyConsistency(null as never, options)).toThrow(TypeError);
  });
});
