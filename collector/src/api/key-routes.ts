/**
 * The agent key registry's admin door: list, register and revoke keys. Writes run in the sequencer's
 * lane and refresh the registry there, so an ingest batch is never decided against a registry that a
 * key change has half replaced (a TOFU pin in flight would otherwise be forgotten and re-pinned).
 */
import type { CollectorContext } from '../context.js';
import { HttpError, json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import type { AgentKey } from '../store/types.js';
import { keyToJson } from './agent-keys.js';
import { keyTakenBy, readKeyWindow, readPublicKeyField } from './key-entry.js';
import { badRequest, notFound, parseIdentifier, readQuery } from './query-parameters.js';
import { expectObject, optionalTimeField, readJsonBody, rejectUnknownFields, requiredIdentifier } from './request-body.js';

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
  const { keyId, publicKey } = readPublicKeyField(body, 'public_key', 'body');
  const { notBefore, notAfter } = readKeyWindow(body, { notBefore: 'not_before', notAfter: 'not_after' }, 'body', optionalTimeField);

  const { key, created } = await context.log.serialize(async () => {
    const existing = (await context.store.listKeys()).find((candidate) => candidate.keyId === keyId);
    const taken = keyTakenBy(existing, keyId, agentId);
    if (taken !== undefined) throw new HttpError(409, taken);
    // Re-registering updates the validity window; it never lifts a revocation.
    const key: AgentKey = { agentId, keyId, publicKey, notBefore, notAfter, revokedAt: existing?.revokedAt ?? null, source: 'admin', createdAt: existing?.createdAt ?? Date.now() };
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
