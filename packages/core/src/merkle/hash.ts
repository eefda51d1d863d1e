/**
 * The two hashing rules of an RFC 9162 Merkle tree (section 2.1.1): a leaf is H(0x00 || data) and an
 * interior node is H(0x01 || left || right), the distinct prefixes keeping a leaf from ever passing
 * for a node. The hash function is a parameter so the same tree code runs the published SHA-256
 * vectors in tests and Facto's SHA3-256 (portable or node:crypto-backed) in production.
 */
import { assertBytes } from '../bytes.js';
import { sha3_256 } from '../crypto/index.js';

/**
 * A hash function over bytes, such as sha3_256 or sha256 from @noble/hashes. It must return a new
 * array and must not keep a reference to its input (the tree code reuses input buffers).
 */
export type HashFunction = (data: Uint8Array) => Uint8Array;

export interface MerkleOptions {
  /** Defaults to SHA3-256, the hash Facto's log uses, on the selected crypto backend (node:crypto when present). */
  readonly hash?: HashFunction;
}

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

export function resolveHash(options: MerkleOptions | undefined): HashFunction {
  const hash = options?.hash ?? sha3_256;
  if (typeof hash !== 'function') throw new TypeError('options.hash must be a function');
  return hash;
}

/** H(0x00 || data): the leaf hash of one log entry. */
export function hashLeaf(data: Uint8Array, options?: MerkleOptions): Uint8Array {
  assertBytes(data, 'data');
  return leafHashWith(resolveHash(options), data);
}

/** H(0x01 || left || right): the hash of an interior node. */
export function hashChildren(left: Uint8Array, right: Uint8Array, options?: MerkleOptions): Uint8Array {
  assertBytes(left, 'left');
  assertBytes(right, 'right');
  return childrenHashWith(resolveHash(options), left, right);
}

/** MTH({}) = H(""): the root of the empty tree (RFC 9162 section 2.1.1). */
export function emptyRoot(options?: MerkleOptions): Uint8Array {
  return resolveHash(options)(new Uint8Array(0));
}

/**
 * Unchecked forms for internal loops, whose inputs were validated once at the edge. The input is
 * built in a reused scratch buffer because allocating a typed array costs about as much as a fast
 * hash; this relies on the contract that a HashFunction reads its input and does not keep it.
 */
let scratch = new Uint8Array(1 + 2 * 32);

function scratchOf(length: number): Uint8Array {
  // Exactly `length` long, since a hash reads the whole array; all hashes of a tree share one length.
  if (scratch.length !== length) scratch = new Uint8Array(length);
  return scratch;
}

export function leafHashWith(hash: HashFunction, data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return hash(input);
}

export function childrenHashWith(hash: HashFunction, left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = scratchOf(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash(input);
}
