/**
 * One event of an evidence bundle, checked on its own (docs/spec.md section 13.1, step 4): the event
 * has exactly its members, the record is a facto.v1 record (sections 3 and 4), it hashes to the stated hash, a trusted
 * key of its agent signed it, it is included in the checkpointed tree, and each disclosure opens its
 * commitment. Content that is committed but not disclosed is told apart: erased (an erasure entry in
 * the bundle names the event) or withheld; content shown that proves nothing is unverified.
 */
import { fromHex, toHex } from '../bytes.js';
import { keyId as computeKeyId } from '../crypto/index.js';
import { hashLeaf, type InclusionMemo, verifyInclusion } from '../merkle/index.js';
import { checkDisclosure } from '../record/content.js';
import { FORMAT } from '../record/constants.js';
import { verifyRecordSignature } from '../record/open.js';
import { recordProblem } from '../record/record-shape.js';
import { hashRecord, type FactoRecord } from '../record/record.js';
import { eventMemberErrors } from './bundle-members.js';
import { CHECKPOINT_NOT_OPENED, type BundleEvent } from './types.js';

export type KeyTrust = 'trusted' | 'bundle' | 'untrusted' | 'unknown';

/**
 * What became of a committed content value: disclosed (shown, opening the commitment of a record
 * that hashes, verifies under a trusted key and is proven in the checkpointed tree), unverified
 * (shown, but the disclosure does not open the commitment, or the record holding the commitment
 * fails one of those checks: the value proves nothing), erased by an erasure entry, or withheld
 * (never shown).
 */
export type ContentStatus = 'disclosed' | 'unverified' | 'erased' | 'withheld';

export interface EventVerdict {
  readonly factoId: string;
  readonly leafIndex: number;
  readonly agentId: string;
  readonly chainId: string;
  readonly seq: number;
  readonly hash: boolean;
  readonly signature: boolean;
  readonly key: KeyTrust;
  readonly inclusion: boolean;
  readonly disclosures: readonly { readonly key: string; readonly ok: boolean }[];
  /** Every committed content key of the record and what became of its value. */
  readonly content: readonly { readonly key: string; readonly status: ContentStatus }[];
  /** Leaf index of the erasure entry in the bundle that names this event, or null. */
  readonly erasedBy: number | null;
  readonly ok: boolean;
  readonly errors: readonly string[];
}

export interface EventContext {
  readonly trusted: ReadonlyMap<string, readonly Uint8Array[]>;
  readonly bundleKeys: ReadonlyMap<string, { readonly agentId: string; readonly publicKey: Uint8Array }>;
  readonly trustBundleKeys: boolean;
  readonly treeSize: number;
  readonly root: Uint8Array | undefined;
  /** facto_id -> leaf index of a verified erasure entry naming it. */
  readonly erasedBy: ReadonlyMap<string, number>;
  /** Node hashes shared by the proofs of the bundle's one tree (a memo: verdicts are the same without it). */
  readonly inclusionMemo?: InclusionMemo;
}

/**
 * Whether a record can be read far enough to be checked at all: the members that name its event,
 * key and chain, of their JSON types. Whether it is a facto.v1 record (sections 3 and 4) is
 * recordProblem's question; a record that is readable but not one is checked all the same (hash,
 * signature, proof) and fails for what it is not, so the rest of the bundle is judged as usual.
 */
export function isReadableRecord(value: unknown): value is FactoRecord {
  const record = value as FactoRecord;
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    record.format === FORMAT &&
    typeof record.facto_id === 'string' &&
    typeof record.agent_id === 'string' &&
    typeof record.chain_id === 'string' &&
    Number.isSafeInteger(record.seq) &&
    Number.isSafeInteger(record.dropped) &&
    typeof record.key_id === 'string' &&
    typeof record.prev_hash === 'string' &&
    typeof record.attributes === 'object' &&
    record.attributes !== null
  );
}

export function unreadableEvent(event: unknown, reason: string): EventVerdict {
  const leafIndex = typeof event === 'object' && event !== null && Number.isSafeInteger((event as BundleEvent).leaf_index) ? (event as BundleEvent).leaf_index : -1;
  // Where the event says it is, when its record can be read that far (its chain reports it there).
  const record = typeof event === 'object' && event !== null ? (event as BundleEvent).record : undefined;
  const place = isReadableRecord(record) ? { factoId: record.facto_id, agentId: record.agent_id, chainId: record.chain_id, seq: record.seq } : { factoId: '', agentId: '', chainId: '', seq: -1 };
  return { ...place, leafIndex, hash: false, signature: false, key: 'unknown', inclusion: false, disclosures: [], content: [], erasedBy: null, ok: false, errors: [reason] };
}

export function verifyEvent(event: BundleEvent, context: EventContext): EventVerdict {
  const errors: string[] = [];
  if (typeof event !== 'object' || event === null) return unreadableEvent(event, 'event is not an object');
  const record = event.record;
  const problem = recordProblem(record);
  if (!isReadableRecord(record)) return unreadableEvent(event, `record: ${problem ?? 'not a facto.v1 record (section 4)'}`);
  if (problem !== undefined) errors.push(`record: ${problem}`);
  // disclosures may be absent (a missing member, reported below), never null: it is [] when nothing is disclosed.
  if (!Array.isArray(event.inclusion_proof) || (event.disclosures !== undefined && !Array.isArray(event.disclosures))) return unreadableEvent(event, 'inclusion_proof and disclosures must be arrays');
  for (const error of eventMemberErrors(event)) errors.push(error);
  let hash: Uint8Array | undefined;
  try {
    hash = hashRecord(record);
  } catch (error) {
    errors.push(`record cannot be canonicalised: ${(error as Error).message}`);
  }
  const hashOk = hash !== undefined && hash.length === 32 && event.hash === toHex(hash);
  if (hash && !hashOk) errors.push('hash: the record does not hash to the stated hash (the record or the stated hash was altered)');

  const { key, candidates } = keysFor(record, context);
  let signatureOk = false;
  if (hash) {
    let signature: Uint8Array | undefined;
    try {
      signature = fromHex(event.signature, 'signature', 64);
    } catch {
      errors.push('signature: malformed');
    }
    signatureOk = signature !== undefined && candidates.some((publicKey) => verifyRecordSignature(hash!, signature!, publicKey));
    if (signature && candidates.length > 0 && !signatureOk) errors.push('signature: does not verify under the agent key');
  }
  if (candidates.length === 0) errors.push(`key: no trusted key ${record.key_id} for agent "${record.agent_id}"`);

  let inclusion = false;
  if (context.root && hash) {
    try {
      inclusion =
        Number.isSafeInteger(event.leaf_index) &&
        verifyInclusion({ leafHash: hashLeaf(hash), index: event.leaf_index, treeSize: context.treeSize, proof: event.inclusion_proof.map((item) => fromHex(item, 'proof', 32)), root: context.root }, { memo: context.inclusionMemo });
    } catch {
      inclusion = false;
    }
    if (!inclusion) errors.push(`inclusion: no valid proof that leaf ${event.leaf_index} is in the checkpointed tree`);
  } else if (hash) errors.push(`inclusion: not checked: ${CHECKPOINT_NOT_OPENED}`);

  const disclosures = (event.disclosures ?? []).map((disclosure) => {
    const committed: unknown = typeof disclosure?.key === 'string' ? record.attributes[disclosure.key] : undefined;
    const isCommitment = typeof committed === 'object' && committed !== null && 'c' in committed && typeof committed.c === 'string';
    const ok = isCommitment && checkDisclosure(disclosure, committed.c as string);
    if (!ok) errors.push(`disclosure "${disclosure?.key}": ${isCommitment ? 'does not match its commitment' : 'the record holds no commitment under this key'}`);
    return { key: disclosure?.key, ok };
  });
  const erasedBy = context.erasedBy.get(record.facto_id) ?? null;
  const content = Object.keys(record.attributes)
    .filter((name) => {
      const value: unknown = record.attributes[name];
      return typeof value === 'object' && value !== null && 'c' in value;
    })
    .sort()
    .map((name) => {
      const shown = disclosures.filter((disclosure) => disclosure.key === name);
      // A value checked against a commitment is evidence only if the record holding it is authentic
      // and in the checkpointed log.
      const proven = hashOk && signatureOk && inclusion && shown.every((disclosure) => disclosure.ok);
      const status: ContentStatus = shown.length === 0 ? (erasedBy !== null ? 'erased' : 'withheld') : proven ? 'disclosed' : 'unverified';
      return { key: name, status };
    });
  if (erasedBy !== null && disclosures.length > 0) errors.push(`content: disclosed, yet named by the erasure entry at leaf ${erasedBy}`);

  const ok = hashOk && signatureOk && inclusion && errors.length === 0;
  return { factoId: record.facto_id, leafIndex: event.leaf_index, agentId: record.agent_id, chainId: record.chain_id, seq: record.seq, hash: hashOk, signature: signatureOk, key, inclusion, disclosures, content, erasedBy, ok, errors };
}

/** The keys a record may be checked against: the caller's, or (only when told to) the bundle's own. */
function keysFor(record: FactoRecord, context: EventContext): { key: KeyTrust; candidates: Uint8Array[] } {
  const candidates = (context.trusted.get(record.agent_id) ?? []).filter((publicKey) => computeKeyId(publicKey) === record.key_id);
  if (candidates.length > 0) return { key: 'trusted', candidates };
  const carried = context.bundleKeys.get(record.key_id);
  if (context.trustBundleKeys && carried && carried.agentId === record.agent_id && computeKeyId(carried.publicKey) === record.key_id) return { key: 'bundle', candidates: [carried.publicKey] };
  return { key: context.trusted.has(record.agent_id) ? 'untrusted' : 'unknown', candidates: [] };
}
