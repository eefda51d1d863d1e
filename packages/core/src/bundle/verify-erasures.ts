/**
 * The erasure entries an evidence bundle carries (docs/spec.md sections 12 and 13.1): each must be a
 * well-formed entry signed by the log key and included in the checkpointed tree. A verified entry
 * tells which events' content was erased (as opposed to never shown).
 */
import { fromHex, toHex } from '../bytes.js';
import { checkErasureEntry } from '../erasure/erasure-entry.js';
import { hashLeaf, verifyInclusion } from '../merkle/index.js';
import type { VerifierKey } from '../note/index.js';
import type { BundleErasure } from './types.js';

export interface ErasuresVerdict {
  /** facto_id -> leaf index of the verified erasure entry that names it. */
  readonly erasedBy: ReadonlyMap<string, number>;
  readonly errors: readonly string[];
}

export function verifyBundleErasures(erasures: unknown, logKeys: readonly VerifierKey[], treeSize: number, root: Uint8Array | undefined): ErasuresVerdict {
  const erasedBy = new Map<string, number>();
  const errors: string[] = [];
  if (erasures === undefined) return { erasedBy, errors };
  if (!Array.isArray(erasures)) return { erasedBy, errors: ['erasures must be an array'] };
  (erasures as unknown[]).forEach((item, index) => {
    const where = `erasure ${index}`;
    if (typeof item !== 'object' || item === null) return errors.push(`${where}: not an object`);
    const erasure = item as BundleErasure;
    const named = typeof erasure.entry === 'object' && erasure.entry !== null ? erasure.entry.log_key_id : undefined;
    const key = logKeys.find((candidate) => toHex(candidate.keyId) === named);
    if (key === undefined) return errors.push(`${where}: not signed by a trusted log key`);
    const verdict = checkErasureEntry(erasure.entry, erasure.hash, erasure.signature, key);
    if (!verdict.ok) return errors.push(...verdict.errors.map((error) => `${where}: ${error}`));
    let included = false;
    try {
      included =
        root !== undefined &&
        Number.isSafeInteger(erasure.leaf_index) &&
        Array.isArray(erasure.inclusion_proof) &&
        verifyInclusion({ leafHash: hashLeaf(fromHex(erasure.hash, 'hash', 32)), index: erasure.leaf_index, treeSize, proof: erasure.inclusion_proof.map((hash) => fromHex(hash, 'proof', 32)), root });
    } catch {
      included = false;
    }
    if (!included) return errors.push(`${where}: no valid proof that leaf ${String(erasure.leaf_index)} is in the checkpointed tree`);
    for (const factoId of verdict.entry!.facto_ids) erasedBy.set(factoId, erasure.leaf_index);
    return undefined;
  });
  return { erasedBy, errors };
}
