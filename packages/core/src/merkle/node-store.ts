/**
 * The storage contract behind a log's Merkle tree. The log persists every perfect node (the level-0
 * leaf hashes and each completed interior node) as MerkleTree.append reports it, inside the caller's
 * own transaction; proofs and roots are then computed from O(log n) stored nodes fetched in a single
 * batched read, so a database answers a proof with one query and memory never holds the leaves.
 */
import { FactoError } from '../errors.js';
import type { NodeId } from './tree-math.js';

export type { NodeId } from './tree-math.js';

/** A perfect node and its hash, as MerkleTree.append produces it for the caller to persist. */
export interface StoredNode extends NodeId {
  readonly hash: Uint8Array;
}

/**
 * Reads stored node hashes.
 *
 * Contract: `getNodes(ids)` returns (or resolves to) exactly one hash per id, in the order of `ids`
 * (an id may repeat; each occurrence gets its hash). If any id is not stored it throws (or rejects)
 * rather than returning a partial or padded list. It must not keep or modify `ids`. The returned
 * arrays belong to the caller, who may hand them out (as proof hashes), so a store that caches must
 * return copies. Facto calls it at most once per proof, root or load, with O(log n) ids, so one
 * database query per call is the intended implementation.
 */
export interface NodeReader {
  getNodes(ids: readonly NodeId[]): Uint8Array[] | Promise<Uint8Array[]>;
}

/** One getNodes call, with the contract checked so a faulty store fails loudly instead of producing a wrong root. */
export async function readNodes(reader: NodeReader, ids: readonly NodeId[], hashLength?: number): Promise<Uint8Array[]> {
  if (typeof reader !== 'object' || reader === null || typeof reader.getNodes !== 'function') {
    throw new TypeError('reader must implement getNodes(ids)');
  }
  if (ids.length === 0) return [];
  const hashes = await reader.getNodes(ids);
  if (!Array.isArray(hashes) || hashes.length !== ids.length) {
    const got = Array.isArray(hashes) ? `${hashes.length} hashes` : typeof hashes;
    throw new FactoError('invalid_argument', `NodeReader.getNodes broke its contract: asked for ${ids.length} nodes, got ${got}`);
  }
  // Without a known hash length, every hash must at least be as long as the first.
  const expectedLength = hashLength ?? (hashes[0] instanceof Uint8Array ? hashes[0].length : undefined);
  for (let position = 0; position < hashes.length; position++) {
    const hash: unknown = hashes[position];
    if (!(hash instanceof Uint8Array) || hash.length !== expectedLength) {
      const id = ids[position]!;
      const expected = expectedLength === undefined ? 'a Uint8Array' : `a ${expectedLength}-byte hash`;
      throw new FactoError('invalid_argument', `NodeReader.getNodes broke its contract: node (level ${id.level}, index ${id.index}) is not ${expected}`);
    }
  }
  return hashes;
}
