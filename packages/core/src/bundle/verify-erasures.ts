/**
 * The erasure entries an evidence bundle carries (docs/spec.md sections 12 and 13.1): each must be a
 * well-formed entry signed by the log key and included in the checkpointed tree. A verified entry
 * tells which events' content was erased (as opposed to never shown).
 *
 * The bundle carries exactly the entries that name its events, and the manifest signs only their
 * number; so that the set cannot be changed at that number, an entry must appear once, must not name
 * an event another entry names (a log names an event in one entry only), and must name an event the
 * bundle holds (erasuresNamingNoEvent, once the events are read). Without these, a copy of one entry,
 * or an entry from another export of the same checkpoint, could stand in for a removed one and turn
 * an erased event into a withheld one (or, with its old disclosures put back, a disclosed one).
 */
import { fromHex, toHex } from '../bytes.js';
import { checkErasureEntry } from '../erasure/erasure-entry.js';
import { hashLeaf, verifyInclusion } from '../merkle/index.js';
import type { VerifierKey } from '../note/index.js';
import { ERASURE_MEMBERS, memberErrors } from './bundle-members.js';
import { CHECKPOINT_NOT_OPENED, type BundleErasure } from './types.js';

export interface ErasuresVerdict {
  /** facto_id -> leaf index of the verified erasure entry that names it. */
  readonly erasedBy: ReadonlyMap<string, number>;
  /** Leaf index -> position in `erasures` of each verified entry. */
  readonly verified: ReadonlyMap<number, number>;
  /** Leaf indices of entries refused already for naming an event another entry names. */
  readonly namingTaken: ReadonlySet<number>;
  readonly errors: readonly string[];
}

export function verifyBundleErasures(erasures: unknown, logKeys: readonly VerifierKey[], treeSize: number, root: Uint8Array | undefined): ErasuresVerdict {
  const erasedBy = new Map<string, number>();
  const verified = new Map<number, number>();
  const namingTaken = new Set<number>();
  const errors: string[] = [];
  if (erasures === undefined) return { erasedBy, verified, namingTaken, errors };
  if (!Array.isArray(erasures)) return { erasedBy, verified, namingTaken, errors: ['erasures must be an array'] };
  (erasures as unknown[]).forEach((item, index) => {
    const where = `erasure ${index}`;
    if (typeof item !== 'object' || item === null) return errors.push(`${where}: not an object`);
    const erasure = item as BundleErasure;
    errors.push(...memberErrors(Object.keys(item), ERASURE_MEMBERS, where, 'an erasures entry'));
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
    if (root === undefined) return errors.push(`${where}: inclusion not checked: ${CHECKPOINT_NOT_OPENED}`);
    if (!included) return errors.push(`${where}: no valid proof that leaf ${String(erasure.leaf_index)} is in the checkpointed tree`);
    const first = verified.get(erasure.leaf_index);
    if (first !== undefined) return errors.push(`${where}: the same entry as erasure ${first} (leaf ${erasure.leaf_index}): a bundle carries each entry once`);
    verified.set(erasure.leaf_index, index);
    for (const factoId of verdict.entry!.facto_ids) {
      const other = erasedBy.get(factoId);
      if (other !== undefined) {
        errors.push(`${where}: names ${factoId}, which the entry at leaf ${other} names too: a log names an event in one erasure entry only`);
        namingTaken.add(erasure.leaf_index);
      } else erasedBy.set(factoId, erasure.leaf_index);
    }
    return undefined;
  });
  return { erasedBy, verified, namingTaken, errors };
}

/** The verified entries that name none of the bundle's events (`named`: the leaf indices of the entries its events were found in). */
export function erasuresNamingNoEvent(erasures: ErasuresVerdict, named: ReadonlySet<number>): string[] {
  const errors: string[] = [];
  for (const [leafIndex, index] of erasures.verified) {
    // An entry refused for naming a taken event may name bundle events too: its events were credited to the other entry.
    if (!named.has(leafIndex) && !erasures.namingTaken.has(leafIndex)) errors.push(`erasure ${index}: names no event of the bundle (leaf ${leafIndex}): either the events it names were removed from the bundle, or the entry was added to it; a bundle carries the entries of its own events only`);
  }
  return errors;
}
