/**
 * The log's public face: GET /v1/log (origin, verifier key, hash, current size and root) and the signed
 * checkpoints as C2SP signed-note text. These are public because a checkpoint is meant to be gossiped:
 * its only secret is the signature, and that proves rather than reveals.
 */
import { toBase64, toHex } from '@facto/core';
import type { CollectorContext } from '../context.js';
import { json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import type { Checkpoint } from '../store/types.js';
import { notFound, parseInteger, readQuery } from './query-parameters.js';

export function logRoutes(context: CollectorContext): Route[] {
  return [
    { method: 'GET', path: '/v1/log', access: 'public', handler: (request) => describeLog(context, request) },
    { method: 'GET', path: '/v1/checkpoints/latest', access: 'public', handler: (request) => latestCheckpoint(context, request) },
    { method: 'GET', path: '/v1/checkpoints/{tree_size}', access: 'public', handler: (request) => checkpointAt(context, request) },
  ];
}

async function describeLog(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  // The durable size: leaves of a batch still being written are not part of the log yet.
  const treeSize = await context.store.treeSize();
  const root = await context.log.rootAt(treeSize);
  const key = context.log.key;
  return json(200, {
    origin: key.origin,
    verifier_key: key.verifierKey,
    hash: 'SHA3-256',
    tree_size: treeSize,
    // Hex, like every hash of this API; checkpoints carry the same 32 bytes in standard base64 (C2SP).
    root_hash: toHex(root),
    root_hash_base64: toBase64(root),
    leaf_hash: 'RFC 9162: H(0x00 || record_hash)',
  });
}

function noteResponse(checkpoint: Checkpoint): HttpResponse {
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: checkpoint.note };
}

/** The newest signed checkpoint; the first request on a fresh log signs one, so the answer is never empty. */
async function latestCheckpoint(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  return noteResponse((await context.store.latestCheckpoint()) ?? (await context.log.checkpoint()));
}

async function checkpointAt(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const treeSize = parseInteger('tree_size', request.params.tree_size ?? '', 0, Number.MAX_SAFE_INTEGER);
  const checkpoint = await context.store.getCheckpoint(treeSize);
  if (checkpoint === null) throw notFound(`no checkpoint was signed at tree size ${treeSize}; GET /v1/checkpoints/latest gives the newest`);
  return noteResponse(checkpoint);
}
