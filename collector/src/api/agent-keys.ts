/**
 * The agent keys as the API uses them: which key to check a signature against and whether that key
 * is still to be trusted, the trusted set handed to verifyBundle, and a key's JSON form. A revoked key
 * is not trusted for any verification the API does, matching what ingest does after revocation: a
 * revocation says "stop believing what this key signs", whenever it signed it.
 */
import { fromHex, verifyRecordSignature } from '@facto/core';
import type { CollectorContext } from '../context.js';
import type { AgentKey } from '../store/types.js';
import { optionalTime, toRfc3339 } from './query-parameters.js';

/**
 * `active` registered to this agent and usable; `revoked`; `not_valid_at_signing` the record's end
 * time lies outside the key's validity window; `other_agent` the key belongs to another agent;
 * `unknown` not registered.
 */
export type KeyStatus = 'active' | 'revoked' | 'not_valid_at_signing' | 'other_agent' | 'unknown';

export interface SignatureCheck {
  readonly ok: boolean;
  readonly key_id: string;
  readonly key_status: KeyStatus;
  /** The signature is mathematically valid under the registered key, whatever the key's status. */
  readonly valid: boolean;
}

export function keyStatus(key: AgentKey | undefined, agentId: string, signedAtMillis: number | undefined, now = Date.now()): KeyStatus {
  if (key === undefined) return 'unknown';
  if (key.agentId !== agentId) return 'other_agent';
  if (key.revokedAt !== null && key.revokedAt <= now) return 'revoked';
  if (signedAtMillis !== undefined && ((key.notBefore !== null && signedAtMillis < key.notBefore) || (key.notAfter !== null && signedAtMillis > key.notAfter))) {
    return 'not_valid_at_signing';
  }
  return 'active';
}

/** The record's end time in milliseconds (when the signer sealed it), if it is a usable number. */
export function signedAtMillis(endTimeUnixNano: unknown): number | undefined {
  if (typeof endTimeUnixNano !== 'string' || !/^[0-9]{1,20}$/.test(endTimeUnixNano)) return undefined;
  return Number(BigInt(endTimeUnixNano) / 1_000_000n);
}

/** Checks an Ed25519 signature over `hash` with the registered key `keyId`, and that key's standing for `agentId`. */
export async function checkSignature(context: CollectorContext, input: { agentId: string; keyId: string; endTimeUnixNano: unknown; hash: Uint8Array; signature: Uint8Array }): Promise<SignatureCheck> {
  const key = (await context.store.listKeys(input.agentId)).find((candidate) => candidate.keyId === input.keyId);
  if (key === undefined) {
    // Held by the registry but not under this agent: another agent's key, which must not vouch here.
    const status: KeyStatus = context.registry.publicKeyFor(input.keyId) === undefined ? 'unknown' : 'other_agent';
    return { ok: false, key_id: input.keyId, key_status: status, valid: false };
  }
  const status = keyStatus(key, input.agentId, signedAtMillis(input.endTimeUnixNano));
  let valid = false;
  try {
    valid = verifyRecordSignature(input.hash, input.signature, fromHex(key.publicKey, 'public key', 32));
  } catch {
    valid = false;
  }
  return { ok: valid && status === 'active', key_id: input.keyId, key_status: status, valid };
}

/** Every non-revoked registered key, by agent: the agent half of verifyBundle's trusted keys. */
export async function trustedAgentKeys(context: CollectorContext, now = Date.now()): Promise<Record<string, string[]>> {
  const trusted: Record<string, string[]> = {};
  for (const key of await context.store.listKeys()) {
    if (key.revokedAt !== null && key.revokedAt <= now) continue;
    (trusted[key.agentId] ??= []).push(key.publicKey);
  }
  return trusted;
}

export function keyToJson(key: AgentKey) {
  return {
    agent_id: key.agentId,
    key_id: key.keyId,
    public_key: key.publicKey,
    not_before: optionalTime(key.notBefore),
    not_after: optionalTime(key.notAfter),
    revoked_at: optionalTime(key.revokedAt),
    source: key.source,
    created_at: toRfc3339(key.createdAt),
  };
}
