/**
 * Proof verification, step by step as RFC 9162 sections 2.1.3.2 and 2.1.4.2 write it (with
 * division in place of the RFC's bit shifts, so sizes up to 2^53 work). A verifier answers a yes/no
 * question about untrusted input, so every bad proof is `false`; only arguments of the wrong type
 * throw, since those are the caller's bug rather than an attacker's move. rootFromInclusionProof
 * exists for diagnostics: it says why a proof does not even have the right shape.
 */
import { assertBytes, equalBytes } from '../bytes.js';
import { FactoError } from '../errors.js';
import { childrenHashWith, type HashFunction, type MerkleOptions, resolveHash } from './hash.js';
import { isTreeSize } from './tree-math.js';

export interface InclusionProofInput {
  readonly leafHash: Uint8Array;
  readonly index: number;
  readonly treeSize: number;
  readonly proof: readonly Uint8Array[];
}

export interface InclusionCheck extends InclusionProofInput {
  readonly root: Uint8Array;
}

export interface ConsistencyCheck {
  readonly size1: number;
  readonly size2: number;
  readonly proof: readonly Uint8Array[];
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
}

type Outcome = { readonly root: Uint8Array } | { readonly problem: string };

/**
 * A memo of interior node hashes for checking many inclusion proofs of one tree, as a bundle verifier
 * does: proofs of neighbouring leaves share every node above the level where their paths meet, so
 * with the memo most steps of a proof are a comparison instead of a hash. It is a pure memo of
 * H(0x01 || left || right), keyed by both inputs in full, so a proof judged with it gets the verdict
 * it gets without; it keeps one entry per level (the last one computed there), which is all that
 * proofs taken in leaf order need.
 */
export class InclusionMemo {
  readonly #levels: { left: Uint8Array; right: Uint8Array; node: Uint8Array }[] = [];

  childrenHash(hash: HashFunction, level: number, left: Uint8Array, right: Uint8Array): Uint8Array {
    const known = this.#levels[level];
    if (known !== undefined && equalBytes(known.left, left) && equalBytes(known.right, right)) return known.node;
    const node = childrenHashWith(hash, left, right);
    // Copies: the caller's arrays may be reused or changed after this call.
    this.#levels[level] = { left: left.slice(), right: right.slice(), node };
    return node;
  }
}

export interface InclusionOptions extends MerkleOptions {
  /** Shared across the proofs of one tree; see InclusionMemo. */
  readonly memo?: InclusionMemo;
}

/** The root an inclusion proof leads to; throws FactoError('proof') when the proof cannot apply to this index and size. */
export function rootFromInclusionProof(input: InclusionProofInput, options?: MerkleOptions): Uint8Array {
  assertInclusionInput(input);
  const outcome = inclusionRoot(resolveHash(options), input);
  if ('problem' in outcome) throw new FactoError('proof', outcome.problem);
  return outcome.root;
}

/** RFC 9162 section 2.1.3.2: does `proof` show the leaf `leafHash` at `index` in the tree of `treeSize` with `root`? */
export function verifyInclusion(check: InclusionCheck, options?: InclusionOptions): boolean {
  assertInclusionInput(check);
  assertBytes(check.root, 'root');
  const outcome = inclusionRoot(resolveHash(options), check, options?.memo);
  return 'root' in outcome && equalBytes(outcome.root, check.root);
}

/**
 * RFC 9162 section 2.1.4.2: is the tree of size1 with root1 a prefix of the tree of size2 with root2?
 * The RFC algorithm covers 0 < size1 < size2. For size1 = size2 the proof must be empty and the roots
 * equal; for size1 = 0 the proof must be empty and root1 must be the empty tree's root H(""), so a
 * wrong root1 is never vouched for.
 */
export function verifyConsistency(check: ConsistencyCheck, options?: MerkleOptions): boolean {
  assertConsistencyInput(check);
  const { size1, size2, proof, root1, root2 } = check;
  const hash = resolveHash(options);
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 > size2) return false;
  if (size1 === 0) return proof.length === 0 && equalBytes(root1, hash(new Uint8Array(0)));
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);
  // Step 1.
  if (proof.length === 0) return false;
  if (root2.length !== root1.length || proof.some((node) => node.length !== root1.length)) return false;
  // Step 2.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  // Steps 3 and 4.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // Step 6.
  for (let position = 1; position < path.length; position++) {
    const node = path[position]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = childrenHashWith(hash, node, fr);
      sr = childrenHashWith(hash, node, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = childrenHashWith(hash, sr, node);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 7.
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}

function inclusionRoot(hash: HashFunction, input: InclusionProofInput, memo?: InclusionMemo): Outcome {
  const { leafHash, index, treeSize, proof } = input;
  if (!isTreeSize(index) || !isTreeSize(treeSize)) return { problem: 'index and treeSize must be integers in [0, 2^53)' };
  // Step 1.
  if (index >= treeSize) return { problem: `index ${index} is not inside a tree of size ${treeSize}` };
  for (let position = 0; position < proof.length; position++) {
    const length = proof[position]!.length;
    if (length !== leafHash.length) return { problem: `proof[${position}] is ${length} bytes, the leaf hash ${leafHash.length}` };
  }
  // Steps 2 and 3.
  let fn = index;
  let sn = treeSize - 1;
  let root = leafHash;
  // The memo's slot: the proof's step, the same for every proof of the tree at this height.
  let level = 0;
  const combine = memo === undefined ? (left: Uint8Array, right: Uint8Array) => childrenHashWith(hash, left, right) : (left: Uint8Array, right: Uint8Array) => memo.childrenHash(hash, level, left, right);
  // Step 4.
  for (const node of proof) {
    if (sn === 0) return { problem: `the proof has more hashes than index ${index} in a tree of size ${treeSize} needs` };
    if (fn % 2 === 1 || fn === sn) {
      root = combine(node, root);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      root = combine(root, node);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
    level++;
  }
  // Step 5.
  if (sn !== 0) return { problem: `the proof has fewer hashes than index ${index} in a tree of size ${treeSize} needs` };
  return { root };
}

function isPowerOfTwo(value: number): boolean {
  let remaining = value;
  while (remaining % 2 === 0) remaining /= 2;
  return remaining === 1;
}

function assertInclusionInput(input: InclusionProofInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('the proof input must be an object');
  assertBytes(input.leafHash, 'leafHash');
  assertNumber(input.index, 'index');
  assertNumber(input.treeSize, 'treeSize');
  assertProof(input.proof);
}

function assertConsistencyInput(input: ConsistencyCheck): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('the proof input must be an object');
  assertNumber(input.size1, 'size1');
  assertNumber(input.size2, 'size2');
  assertProof(input.proof);
  assertBytes(input.root1, 'root1');
  assertBytes(input.root2, 'root2');
}

function assertNumber(value: unknown, name: string): void {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
}

function assertProof(proof: unknown): asserts proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) throw new TypeError('proof must be an array of Uint8Array');
  for (let position = 0; position < proof.length; position++) assertBytes(proof[position], `proof[${position}]`);
}
