/**
 * Re-verification of one stored event, now, from the stored bytes alone: the record is checked to be a
 * facto.v1 record (spec sections 3 and 4) and hashed again, the columns served beside it compared with
 * it, the signature checked against the registered key, each disclosure against its commitment, and
 * the record's leaf proven into the current tree. Nothing is taken from the verdicts ingest reached,
 * so an edit made to the database afterwards shows here, as it does in `facto verify --endpoint`.
 */
import { actionTypeOf, checkDisclosure, clipActionType, fromHex, hashLeaf, hashRecord, recordProblem, toHex, verifyInclusion, type ContentDisclosure, type FactoRecord } from '@facto/core';
import type { CollectorContext } from '../context.js';
import type { StoredEvent } from '../store/types.js';
import { checkSignature, type SignatureCheck } from './agent-keys.js';
import { toRfc3339 } from './query-parameters.js';

export interface EventVerification {
  /** Every check below passed. */
  readonly ok: boolean;
  readonly checked_at: string;
  /** The stored record is a facto.v1 record (spec sections 3 and 4); `problem` says why not. */
  readonly record: { readonly ok: boolean; readonly problem?: string };
  readonly hash: { readonly ok: boolean; readonly computed: string | null; readonly error?: string };
  /** The columns served beside the record (ids, agent, chain, seq, prev_hash, key_id, dropped, trace and span id, name, action_type) agree with it. */
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
  ['trace_id', 'traceId'],
  ['span_id', 'spanId'],
  ['name', 'name'],
] as const;

/** Whether `disclosure` opens the commitment the record holds for its key. */
export function disclosureMatches(record: FactoRecord, disclosure: ContentDisclosure): boolean {
  const committed: unknown = record.attributes?.[disclosure.key];
  try {
    return typeof committed === 'object' && committed !== null && 'c' in committed && typeof committed.c === 'string' && checkDisclosure(disclosure, committed.c);
  } catch {
    return false; // a disclosure that is not one (an edited row) opens nothing
  }
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
  let record: FactoRecord | undefined;
  let problem: string | undefined;
  try {
    record = JSON.parse(event.recordJson) as FactoRecord;
    problem = recordProblem(record);
  } catch {
    problem = 'the stored record is not JSON';
  }
  let computed: Uint8Array | undefined;
  let hashError: string | undefined;
  try {
    if (record !== undefined) computed = hashRecord(record);
  } catch (error) {
    hashError = `the stored record cannot be canonicalised: ${(error as Error).message}`;
  }
  const hashOk = computed !== undefined && toHex(computed) === event.hash;
  const hash = { ok: hashOk, computed: computed === undefined ? null : toHex(computed), ...(hashError === undefined ? {} : { error: hashError }) };

  const mismatched: string[] = INDEXED_FIELDS.filter(([recordField, column]) => record?.[recordField] !== event[column]).map(([recordField]) => recordField);
  // action_type is derived from the signed attributes; a collector before the clip stored a long one whole.
  const attributes = record?.attributes;
  if ((typeof attributes === 'object' && attributes !== null ? actionTypeOf(attributes) : undefined) !== clipActionType(event.actionType)) mismatched.push('action_type');
  const signature = await checkSignature(context, {
    agentId: record?.agent_id ?? event.agentId,
    keyId: record?.key_id ?? event.keyId,
    endTimeUnixNano: record?.end_time_unix_nano ?? event.endTimeUnixNano,
    // Over the hash the record has now: a signature over the stored hash column proves nothing about an edited record.
    hash: computed ?? fromHex(event.hash, 'hash', 32),
    signature: fromHex(event.signature, 'signature', 64),
  });
  const disclosures = parseDisclosures(event.disclosuresJson).map((disclosure) => ({ key: disclosure.key, ok: record !== undefined && disclosureMatches(record, disclosure) }));
  const merkle = await checkInclusion(context, event.leafIndex, computed);
  const ok = problem === undefined && hashOk && mismatched.length === 0 && signature.ok && disclosures.every((disclosure) => disclosure.ok) && merkle.included;
  return {
    ok,
    checked_at: toRfc3339(Date.now()),
    record: problem === undefined ? { ok: true } : { ok: false, problem },
    hash,
    fields: { ok: mismatched.length === 0, mismatched },
    signature,
    disclosures,
    merkle,
  };
}

/** The stored disclosures; an unreadable list is one disclosure that fails, so the verdict cannot pass. */
function parseDisclosures(json: string): ContentDisclosure[] {
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'object' && item !== null && typeof (item as ContentDisclosure).key === 'string')) return parsed as ContentDisclosure[];
  } catch {
    // below
  }
  return [{ key: '(unreadable disclosures)', salt: '', value: null } as unknown as ContentDisclosure];
}
