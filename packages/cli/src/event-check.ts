/**
 * One stored event, checked here rather than taken on the collector's word: its record hashed again
 * and compared with the stored hash, the indexed columns compared with the signed record, the
 * signature verified under a key the user trusts, and each disclosed value opened against its
 * commitment. `facto explain` shows the result for one event; `facto verify --endpoint` for all.
 */
import { actionTypeOf, checkDisclosure, clipActionType, fromHex, hashRecord, keyId as computeKeyId, recordProblem, toHex, verifyRecordSignature, type ContentDisclosure, type FactoRecord } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_DENIED } from './cli-io.js';
import type { CollectorClient } from './collector-client.js';
import { agentKeysByAgent, type AgentKeyArgument } from './key-input.js';

/** An event as the collector's API gives it (docs/api.md, "Event object"). */
export interface EventJson {
  readonly facto_id: string;
  readonly leaf_index: number;
  readonly agent_id: string;
  readonly chain_id: string;
  readonly seq: number;
  readonly hash: string;
  readonly prev_hash: string;
  readonly key_id: string;
  readonly signature: string;
  readonly dropped: number;
  readonly trace_id: string;
  readonly span_id: string;
  readonly name: string;
  readonly action_type: string;
  readonly received_at: string;
  readonly link_status: string;
  readonly erased: boolean;
  readonly erased_by: number | null;
  readonly record: FactoRecord;
  readonly disclosures?: readonly ContentDisclosure[];
}

interface TrustedKey {
  readonly publicKey: Uint8Array;
  readonly notBefore: number | null;
  readonly notAfter: number | null;
  readonly revokedAt: number | null;
}

interface RegistryKey {
  readonly agent_id: string;
  readonly key_id: string;
  readonly public_key: string;
  readonly not_before: string | null;
  readonly not_after: string | null;
  readonly revoked_at: string | null;
}

const time = (text: string | null) => (text === null ? null : Date.parse(text));

/** The agent keys a check trusts: the user's own (pinned), or, failing those, the collector's registry. */
export class KeyRing {
  readonly #keys = new Map<string, TrustedKey[]>();

  private constructor(readonly source: 'pinned' | 'registry') {}

  static pinned(keys: readonly AgentKeyArgument[], agent: string | undefined, why: string): KeyRing {
    const ring = new KeyRing('pinned');
    for (const [agentId, publicKeys] of Object.entries(agentKeysByAgent(keys, agent, why))) {
      for (const publicKey of publicKeys) ring.#add(agentId, { publicKey, notBefore: null, notAfter: null, revokedAt: null });
    }
    return ring;
  }

  /** The collector's registry, with validity windows and revocations; needs a token the admin API accepts. */
  static async registry(client: CollectorClient, agent: string | undefined): Promise<KeyRing> {
    let keys: RegistryKey[];
    try {
      ({ keys } = await client.json<{ keys: RegistryKey[] }>(`/v1/admin/keys${agent === undefined ? '' : `?agent_id=${encodeURIComponent(agent)}`}`));
    } catch (error) {
      if (CliError.isInstance(error) && error.exitCode === EXIT_DENIED) {
        throw new CliError(`no agent keys to check signatures with: give them with --key AGENT=KEY, or a token the collector accepts for its admin API (GET /v1/admin/keys) (${error.message})`, EXIT_DENIED);
      }
      throw error;
    }
    const ring = new KeyRing('registry');
    for (const key of keys) ring.#add(key.agent_id, { publicKey: fromHex(key.public_key, 'public key', 32), notBefore: time(key.not_before), notAfter: time(key.not_after), revokedAt: time(key.revoked_at) });
    return ring;
  }

  /** Pinned keys when given; else the registry, saying on stderr that the collector's word is taken. */
  static async choose(client: CollectorClient, keys: readonly AgentKeyArgument[], agent: string | undefined, warn: (text: string) => void): Promise<KeyRing> {
    if (keys.length > 0) return KeyRing.pinned(keys, agent, 'this check covers every agent');
    const ring = await KeyRing.registry(client, agent);
    warn("agent keys come from the collector's own registry; pass --key to trust only keys you hold");
    return ring;
  }

  #add(agentId: string, key: TrustedKey): void {
    const slot = `${agentId}\n${computeKeyId(key.publicKey)}`;
    this.#keys.set(slot, [...(this.#keys.get(slot) ?? []), key]);
  }

  find(agentId: string, keyId: string): readonly TrustedKey[] {
    return this.#keys.get(`${agentId}\n${keyId}`) ?? [];
  }
}

export interface EventCheck {
  readonly ok: boolean;
  /** The record's hash as computed here, when it could be. */
  readonly computedHash: string | undefined;
  readonly hash: boolean;
  readonly signature: boolean;
  readonly disclosures: readonly { readonly key: string; readonly ok: boolean }[];
  readonly errors: readonly string[];
}

/** What the collector serves beside the record, each a copy of the record's own member. */
const INDEXED_FIELDS = ['facto_id', 'agent_id', 'chain_id', 'seq', 'prev_hash', 'key_id', 'dropped', 'trace_id', 'span_id', 'name'] as const;

function actionTypeOfRecord(record: FactoRecord | undefined): string | undefined {
  const attributes = record?.attributes;
  return typeof attributes === 'object' && attributes !== null ? actionTypeOf(attributes) : undefined;
}

function signedAtMillis(record: FactoRecord): number | undefined {
  return /^[0-9]{1,20}$/.test(record.end_time_unix_nano) ? Number(BigInt(record.end_time_unix_nano) / 1_000_000n) : undefined;
}

export function checkEvent(event: EventJson, keys: KeyRing, now = Date.now()): EventCheck {
  const errors: string[] = [];
  const record = event.record;
  // The collector's word is not taken for the record's shape either: one that is not a facto.v1
  // record (sections 3 and 4) fails however well it is signed, as it does in a bundle.
  const problem = recordProblem(record);
  if (problem !== undefined) errors.push(`record: ${problem}`);
  let computed: Uint8Array | undefined;
  try {
    computed = hashRecord(record);
  } catch (error) {
    errors.push(`hash: the record cannot be canonicalised (${(error as Error).message})`);
  }
  const computedHash = computed === undefined ? undefined : toHex(computed);
  const hash = computedHash !== undefined && computedHash === event.hash;
  if (computedHash !== undefined && !hash) errors.push('hash: the record does not hash to the stored hash (record altered)');
  // action_type is derived from the attributes (the API filters on it, explain and tail show it).
  const mismatched: string[] = INDEXED_FIELDS.filter((field) => record?.[field] !== event[field]);
  // Compared clipped: collectors before the clip stored a long one whole (it is the same signed attribute).
  const stored = typeof event.action_type === 'string' ? clipActionType(event.action_type) : event.action_type;
  if (actionTypeOfRecord(record) !== stored) mismatched.push('action_type');
  if (mismatched.length > 0) errors.push(`fields: the stored ${mismatched.join(', ')} differ from the signed record`);

  let signature = false;
  if (computed !== undefined) {
    const candidates = keys.find(record.agent_id, record.key_id);
    const signedAt = signedAtMillis(record);
    const usable = candidates.filter((key) => {
      if (key.revokedAt !== null && key.revokedAt <= now) return false;
      return signedAt === undefined || ((key.notBefore === null || signedAt >= key.notBefore) && (key.notAfter === null || signedAt <= key.notAfter));
    });
    let bytes: Uint8Array | undefined;
    try {
      bytes = fromHex(event.signature, 'signature', 64);
    } catch {
      errors.push('signature: malformed');
    }
    signature = bytes !== undefined && usable.some((key) => verifyRecordSignature(computed!, bytes!, key.publicKey));
    if (candidates.length === 0) errors.push(`key: no ${keys.source === 'pinned' ? 'given' : 'registered'} key ${record.key_id} for agent "${record.agent_id}"`);
    else if (usable.length === 0) {
      const revoked = candidates.find((key) => key.revokedAt !== null && key.revokedAt <= now);
      errors.push(revoked ? `key: ${record.key_id} was revoked at ${new Date(revoked.revokedAt!).toISOString()}` : `key: ${record.key_id} was not valid when the event was signed`);
    } else if (bytes !== undefined && !signature) errors.push('signature: does not verify under the agent key');
  }

  const disclosures = (event.disclosures ?? []).map((disclosure) => {
    const committed: unknown = record?.attributes?.[disclosure.key];
    const ok = typeof committed === 'object' && committed !== null && 'c' in committed && typeof committed.c === 'string' && checkDisclosure(disclosure, committed.c);
    if (!ok) errors.push(`disclosure "${disclosure.key}": does not match its commitment`);
    return { key: disclosure.key, ok };
  });
  if (event.erased && disclosures.length > 0) errors.push(`content: disclosed, yet erased by the erasure entry at leaf ${event.erased_by}`);
  return { ok: errors.length === 0, computedHash, hash, signature, disclosures, errors };
}
