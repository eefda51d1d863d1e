/**
 * RFC 9162 proofs. Inclusion: that a leaf (an event by facto_id, or any leaf by index) is in the tree
 * of a given size; by default the size of the newest signed checkpoint, signing a new one when the
 * leaf is newer than it, so the proof always meets a root the log has signed. Consistency: that the
 * tree of size `from` is a prefix of the tree of size `to`. Sizes are bounded by the durable tree
 * size (what the store holds), never the in-memory one, whose newest nodes may not be written yet.
 */
import { hashLeaf, fromHex, toHex } from '@facto/core';
import type { CollectorContext } from '../context.js';
import { json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import { badRequest, notFound, parseFactoId, parseInteger, readQuery } from './query-parameters.js';

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

export function proofRoutes(context: CollectorContext): Route[] {
  return [
    { method: 'GET', path: '/v1/proofs/inclusion', access: 'query', handler: (request) => inclusion(context, request) },
    { method: 'GET', path: '/v1/proofs/consistency', access: 'query', handler: (request) => consistency(context, request) },
  ];
}

interface Leaf {
  readonly leafIndex: number;
  readonly kind: 'event' | 'erasure';
  readonly factoId?: string;
  /** The leaf data (an entry hash), hex. */
  readonly entryHash: string;
}

async function leafByIndex(context: CollectorContext, leafIndex: number, treeSize: number): Promise<Leaf> {
  if (leafIndex >= treeSize) throw badRequest(`leaf_index ${leafIndex} is not in the log (its size is ${treeSize})`);
  // The event with the highest leaf index not above leafIndex: the one at leafIndex, if it is an event.
  const [event] = await context.store.queryEvents({ order: 'desc', limit: 1, afterLeafIndex: leafIndex + 1 });
  if (event !== undefined && event.leafIndex === leafIndex) return { leafIndex, kind: 'event', factoId: event.factoId, entryHash: event.hash };
  const entry = await context.store.getLogEntry(leafIndex);
  if (entry === null) throw notFound(`leaf ${leafIndex} holds neither an event nor a log entry`);
  return { leafIndex, kind: entry.kind, entryHash: entry.hash };
}

async function findLeaf(context: CollectorContext, query: ReadonlyMap<string, string>, currentSize: number): Promise<Leaf> {
  const factoIdText = query.get('facto_id');
  const leafIndexText = query.get('leaf_index');
  if ((factoIdText === undefined) === (leafIndexText === undefined)) throw badRequest('give exactly one of facto_id and leaf_index');
  if (leafIndexText !== undefined) return leafByIndex(context, parseInteger('leaf_index', leafIndexText, 0, MAX_SIZE), currentSize);
  const factoId = parseFactoId('facto_id', factoIdText!);
  const event = await context.store.getEvent(factoId);
  if (event === null) throw notFound(`no event with facto_id ${factoId}`);
  return { leafIndex: event.leafIndex, kind: 'event', factoId, entryHash: event.hash };
}

/** The size of the newest checkpoint that covers the leaf, signing one if none does yet. */
async function checkpointSizeCovering(context: CollectorContext, leafIndex: number): Promise<number> {
  const latest = await context.store.latestCheckpoint();
  if (latest !== null && latest.treeSize > leafIndex) return latest.treeSize;
  return (await context.log.checkpoint()).treeSize;
}

async function inclusion(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, ['facto_id', 'leaf_index', 'tree_size']);
  const currentSize = await context.store.treeSize();
  const requestedSize = query.has('tree_size') ? parseInteger('tree_size', query.get('tree_size')!, 1, MAX_SIZE) : undefined;
  const leaf = await findLeaf(context, query, currentSize);
  if (requestedSize !== undefined && requestedSize <= leaf.leafIndex) throw badRequest(`tree_size must be greater than the leaf index ${leaf.leafIndex}, got ${requestedSize}`);
  if (requestedSize !== undefined && requestedSize > currentSize) throw badRequest(`tree_size ${requestedSize} is larger than the log (${currentSize})`);
  const treeSize = requestedSize ?? (await checkpointSizeCovering(context, leaf.leafIndex));
  const proof = await context.log.inclusionProof(leaf.leafIndex, treeSize);
  return json(200, {
    leaf_index: leaf.leafIndex,
    tree_size: treeSize,
    kind: leaf.kind,
    ...(leaf.factoId === undefined ? {} : { facto_id: leaf.factoId }),
    entry_hash: leaf.entryHash,
    leaf_hash: toHex(hashLeaf(fromHex(leaf.entryHash, 'entry hash', 32))),
    hashes: proof.map(toHex),
  });
}

async function consistency(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, ['from', 'to']);
  if (!query.has('from') || !query.has('to')) throw badRequest('from and to (tree sizes) are both required');
  const from = parseInteger('from', query.get('from')!, 0, MAX_SIZE);
  const to = parseInteger('to', query.get('to')!, 0, MAX_SIZE);
  if (from > to) throw badRequest(`from (${from}) must not be larger than to (${to})`);
  const currentSize = await context.store.treeSize();
  if (to > currentSize) throw badRequest(`to (${to}) is larger than the log (${currentSize})`);
  const proof = await context.log.consistencyProof(from, to);
  return json(200, { from, to, hashes: proof.map(toHex) });
}
