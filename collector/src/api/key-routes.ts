/**
 * The agent key registry's admin door: list, register and revoke keys. Writes run in the sequencer's
 * lane and refresh the registry there, so an ingest batch is never decided against a registry that a
 * key change has half replaced (a TOFU pin in flight would otherwise be forgotten and re-pinned).
 */
import { keyId as computeKeyId, parsePublicKey, toHex } from '@facto/core';
import type { CollectorContext } from '../context.js';
import { HttpError, json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import type { AgentKey } from '../store/types.js';
import { keyToJson } from './agent-keys.js';
import { badRequest, notFound, parseIdentifier, readQuery } from './query-parameters.js';
import { expectObject, optionalTimeField, readJsonBody, rejectUnknownFields, requiredIdentifier, requiredString } from './request-body.js';

const KEY_ID = /^[0-9a-f]{32}$/;

export function keyRoutes(context: CollectorContext): Route[] {
  return [
    { method: 'GET', path: '/v1/admin/keys', access: 'admin', handler: (request) => listKeys(context, request) },
    { method: 'POST', path: '/v1/admin/keys', access: 'admin', handler: (request) => registerKey(context, request) },
    { method: 'POST', path: '/v1/admin/keys/{agent_id}/{key_id}/revoke', access: 'admin', handler: (request) => revokeKey(context, request) },
  ];
}

async function listKeys(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, ['agent_id']);
  const agentId = query.has('agent_id') ? parseIdentifier('agent_id', query.get('agent_id')!) : undefined;
  return json(200, { keys: (await context.store.listKeys(agentId)).map(keyToJson) });
}

async function registerKey(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const body = expectObject(readJsonBody(request), 'body');
  rejectUnknownFields(body, ['agent_id', 'public_key', 'not_before', 'not_after'], 'body');
  const agentId = requiredIdentifier(body, 'agent_id', 'body');
  let publicKey: Uint8Array;
  try {
    publicKey = parsePublicKey(requiredString(body, 'public_key', 'body'));
  } catch (error) {
    if (HttpError.isInstance(error)) throw error;
    throw badRequest(`body.public_key is not an Ed25519 public key (SPKI PEM, base64 or hex of 32 bytes): ${(error as Error).message}`);
  }
  const notBefore = optionalTimeField(body, 'not_before', 'body') ?? null;
  const notAfter = optionalTimeField(body, 'not_after', 'body') ?? null;
  if (notBefore !== null && notAfter !== null && notBefore > notAfter) throw badRequest('not_before must not be later than not_after');
  const keyId = computeKeyId(publicKey);

  const { key, created } = await context.log.serialize(async () => {
    const existing = (await context.store.listKeys()).find((candidate) => candidate.keyId === keyId);
    if (existing !== undefined && existing.agentId !== agentId) {
      throw new HttpError(409, `key ${keyId} is already registered to agent ${JSON.stringify(existing.agentId)}; one key signs for one agent`);
    }
    // Re-registering updates the validity window; it never lifts a revocation.
    const key: AgentKey = { agentId, keyId, publicKey: toHex(publicKey), notBefore, notAfter, revokedAt: existing?.revokedAt ?? null, source: 'admin', createdAt: existing?.createdAt ?? Date.now() };
    await context.store.putKey(key);
    await context.registry.refresh();
    return { key, created: existing === undefined };
  });
  context.logger.info(created ? 'registered an agent key' : 'updated an agent key', { agentId, keyId });
  return json(created ? 201 : 200, keyToJson(key));
}

async function revokeKey(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const agentId = parseIdentifier('agent_id', request.params.agent_id ?? '');
  const keyId = request.params.key_id ?? '';
  if (!KEY_ID.test(keyId)) throw badRequest('key_id must be 32 lowercase hex digits');
  const body = readJsonBody(request, { optional: true });
  let revokedAt = Date.now();
  if (body !== undefined) {
    const object = expectObject(body, 'body');
    rejectUnknownFields(object, ['revoked_at'], 'body');
    revokedAt = optionalTimeField(object, 'revoked_at', 'body') ?? revokedAt;
  }
  const key = await context.log.serialize(async () => {
    if (!(await context.store.revokeKey(agentId, keyId, revokedAt))) return undefined;
    await context.registry.refresh();
    return (await context.store.listKeys(agentId)).find((candidate) => candidate.keyId === keyId);
  });
  if (key === undefined) throw notFound(`agent ${JSON.stringify(agentId)} has no key ${keyId}`);
  context.logger.warn('revoked an agent key', { agentId, keyId });
  return json(200, keyToJson(key));
}
