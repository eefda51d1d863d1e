/**
 * One agent key as an administrator writes it, read by the same code from a POST /v1/admin/keys
 * body and from the --keys file: the public key, the validity window, and the rule that one key
 * signs for one agent. A wrong value is an HttpError 400 naming the field (a key taken by another
 * agent, 409); the key file reader turns these into start-up errors naming the file and the agent.
 */
import { keyId as computeKeyId, parsePublicKey, toHex } from '@facto/core';
import { HttpError } from '../http/types.js';
import type { AgentKey } from '../store/types.js';
import { badRequest } from './query-parameters.js';
import { requiredString, type JsonObject } from './request-body.js';

/** How a time field is read: the API takes RFC 3339 or epoch milliseconds, the file RFC 3339 only. */
export type TimeFieldReader = (object: JsonObject, field: string, what: string) => number | undefined;

export interface KeyWindowFields {
  readonly notBefore: string;
  readonly notAfter: string;
}

/** The Ed25519 public key in `object[field]`, as its key id and lowercase hex. */
export function readPublicKeyField(object: JsonObject, field: string, what: string): { keyId: string; publicKey: string } {
  let publicKey: Uint8Array;
  try {
    publicKey = parsePublicKey(requiredString(object, field, what));
  } catch (error) {
    if (HttpError.isInstance(error)) throw error;
    throw badRequest(`${what}.${field} is not an Ed25519 public key (SPKI PEM, base64 or hex of 32 bytes): ${(error as Error).message}`);
  }
  return { keyId: computeKeyId(publicKey), publicKey: toHex(publicKey) };
}

/** The validity window (either bound may be absent), refused when it ends before it starts. */
export function readKeyWindow(object: JsonObject, fields: KeyWindowFields, what: string, readTime: TimeFieldReader): { notBefore: number | null; notAfter: number | null } {
  const notBefore = readTime(object, fields.notBefore, what) ?? null;
  const notAfter = readTime(object, fields.notAfter, what) ?? null;
  if (notBefore !== null && notAfter !== null && notBefore > notAfter) throw badRequest(`${fields.notBefore} must not be later than ${fields.notAfter}`);
  return { notBefore, notAfter };
}

/** Why `keyId` cannot be registered to `agentId`, if a key the registry holds says it belongs to another agent. */
export function keyTakenBy(owner: Pick<AgentKey, 'agentId'> | undefined, keyId: string, agentId: string): string | undefined {
  if (owner === undefined || owner.agentId === agentId) return undefined;
  return `key ${keyId} is already registered to agent ${JSON.stringify(owner.agentId)}; one key signs for one agent`;
}
