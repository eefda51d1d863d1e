/**
 * Re-verification of one stored event, now, from the stored bytes alone: the record is hashed again,
 * the signature checked against the registered key, each disclosure against its commitment, and the
 * record's leaf proven into the current tree. Nothing is taken from the verdicts ingest reached, so
 * an edit made to the database afterwards shows here.
 */
import { checkDisclosure, fromHex, hashLeaf, hashRecord, toHex, verifyInclusion, type ContentDisclosure, type FactoRecord } from '@facto/core';
import type { CollectorContext } from '../context.js';
import type { StoredEvent } from '../store/types.js';
import { checkSignature, type SignatureCheck } from './agent-keys.js';
import { toRfc3339 } from './query-parameters.js';

export interface EventVerification {
  /** Every check below passed. */
  readonly ok: boolean;
  readonly checked_at: string;
  readonly hash: { readonly ok: boolean; readonly computed: string | null; readonly error?: string };
  /** The indexed columns (id, agent, chain, seq, prev_hash, key_id, dropped) agree with the signed record. */
  readonly fields: { readonly ok: boolean; readonly mismatched: readonly string[] };
  readonly signature: SignatureCheck;
  readonly disclosures: readonly { readonly key: string; readonly ok: boolean }[];
  readonly merkle: { readonly leaf_index: number; readonly tree_size: number; readonly root_hash: string; readonly included: boolean };
}

const INDEXED_FIELDS = [
  ['facto_id', 'factoId'],
  ['agent_id', 'agentId'],
  ['chain_id', 'chainId'],
  ['seq', 'seq'],
  ['prev_hash', 'prevHash'],
  ['key_id', 'keyId'],
  ['dropped', 'dropped'],
] as const;

/** Whether `disclosure` opens the commitment the record holds for its key. */
export function disclosureMatches(record: FactoRecord, disclosure: ContentDisclosure): boolean {
  const committed: unknown = record.attributes?.[disclosure.key];
  return typeof committed === 'object' && committed !== null && 'c' in committed && typeof committed.c === 'string' && checkDisclosure(disclosure, committed.c);
}

async function checkInclusion(context: CollectorContext, leafIndex: number, hash: Uint8Array | undefined) {
  // The durable size, not the in-memory one: nodes of a batch still being written are not readable yet.
  const treeSize = await context.store.treeSize();
  const root = await context.log.rootAt(treeSize);
  let included = false;
  if (hash !== undefined && leafIndex < treeSize) {
    const proof = await context.log.inclusionProof(leafIndex, treeSize);
    included = verifyInclusion({ leafHash: hashLeaf(hash), index: leafIndex, treeSize, proof, root });
  }
  return { leaf_index: leafIndex, tree_size: treeSize, root_hash: toHex(root), included };
}

export async function verifyStoredEvent(context: CollectorContext, event: StoredEvent): Promise<EventVerification> {
  const record = JSON.parse(event.recordJson) as FactoRecord;
  let computed: Uint8Array | undefined;
  let hashError: string | undefined;
  try {
    computed = hashRecord(record);
  } catch (error) {
    hashError = `the stored record cannot be canonicalised: ${(error as Error).message}`;
  }
  const hashOk = computed !== undefined && toHex(computed) === event.hash;
  const hash = { ok: hashOk, computed: computed === undefined ? null : toHex(computed), ...(hashError === undefined ? {} : { error: hashError }) };

  const mismatched = INDEXED_FIELDS.filter(([recordField, column]) => record[recordField] !== event[column]).map(([recordField]) => recordField);
  const signature = await checkSignature(context, {
    agentId: record.agent_id,
    keyId: record.key_id,
    endTimeUnixNano: record.end_time_unix_nano,
    // Over the hash the record has now: a signature over the stored hash column proves nothing about an edited record.
    hash: computed ?? fromHex(event.hash, 'hash', 32),
    signature: fromHex(event.signature, 'signature', 64),
  });
  const disclosures = (JSON.parse(event.disclosuresJson) as ContentDisclosure[]).map((disclosure) => ({ key: disclosure.key, ok: disclosureMatches(record, disclosure) }));
  const merkle = await checkInclusion(context, event.leafIndex, computed);
  const ok = hashOk && mismatched.length === 0 && signature.ok && disclosures.every((disclosure) => disclosure.ok) && merkle.included;
  return { ok, checked_at: toRfc3339(Date.now()), hash, fields: { ok: mismatched.length === 0, mismatched }, signature, disclosures, merkle };
}
