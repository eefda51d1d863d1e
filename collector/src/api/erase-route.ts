/**
 * POST /v1/admin/erase: erases the content (disclosed values and salts) of chosen events, for a
 * GDPR Article 17 request, say. Records, signatures, chain links and Merkle leaves stay as they are,
 * so every proof still verifies; what changes is one signed erasure entry appended to the log, in the
 * same durable commit that deletes the content, so content never disappears without a trace. The
 * same commit rewrites the requests still waiting in the forward queue that carry an erased span
 * (forward/erase-forwards.ts), so the content is not delivered downstream afterwards either.
 */
import { createErasureEntry, isFactoId, toHex } from '@facto/core';
import type { CollectorContext } from '../context.js';
import { HttpError, json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import { forwardEditFor } from '../forward/erase-forwards.js';
import type { ForwardRevision } from '../forward/forwarder.js';
import type { ForwardEdit, StoredEvent } from '../store/types.js';
import { badRequest, notFound, readQuery } from './query-parameters.js';
import { expectObject, optionalTimeField, readJsonBody, rejectUnknownFields, requiredIdentifier, requiredString, type JsonObject } from './request-body.js';

/** The most events one erasure entry names; larger erasures are split by the caller. */
export const MAX_ERASE_EVENTS = 10_000;
const MAX_REASON_LENGTH = 1000;

export function eraseRoutes(context: CollectorContext): Route[] {
  return [{ method: 'POST', path: '/v1/admin/erase', access: 'admin', handler: (request) => erase(context, request) }];
}

async function eventsById(context: CollectorContext, body: JsonObject): Promise<StoredEvent[]> {
  rejectUnknownFields(body, ['facto_ids', 'reason'], 'body');
  const ids = body.facto_ids;
  if (!Array.isArray(ids) || ids.length === 0) throw badRequest('facto_ids must be a non-empty array of facto_ids');
  if (ids.length > MAX_ERASE_EVENTS) throw badRequest(`facto_ids holds more than ${MAX_ERASE_EVENTS} ids; split the erasure`);
  const malformed = ids.findIndex((id) => !isFactoId(id));
  if (malformed >= 0) throw badRequest(`facto_ids[${malformed}] is not a facto_id ("ft-" and a lowercase UUID)`);
  const unique = [...new Set(ids as string[])];
  const found = await Promise.all(unique.map((id) => context.store.getEvent(id)));
  const unknown = unique.filter((_, index) => found[index] === null);
  if (unknown.length > 0) throw notFound(`no event with facto_id ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; nothing was erased`);
  return found as StoredEvent[];
}

async function eventsOfAgent(context: CollectorContext, body: JsonObject): Promise<StoredEvent[]> {
  rejectUnknownFields(body, ['agent_id', 'since', 'until', 'reason'], 'body');
  const agentId = requiredIdentifier(body, 'agent_id', 'body');
  const since = optionalTimeField(body, 'since', 'body');
  const until = optionalTimeField(body, 'until', 'body');
  if (since !== undefined && until !== undefined && since > until) throw badRequest('since must not be later than until');
  const events = await context.store.queryEvents({ agentId, since, until, order: 'asc', limit: MAX_ERASE_EVENTS + 1 });
  if (events.length > MAX_ERASE_EVENTS) throw badRequest(`more than ${MAX_ERASE_EVENTS} events match; narrow the erasure with since and until`);
  return events;
}

async function erase(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const body = expectObject(readJsonBody(request), 'body');
  const reason = requiredString(body, 'reason', 'body');
  if (reason.trim() === '' || reason.length > MAX_REASON_LENGTH) throw badRequest(`reason must be a non-empty string of at most ${MAX_REASON_LENGTH} characters`);
  if (body.facto_ids !== undefined && body.agent_id !== undefined) throw badRequest('give facto_ids or agent_id (with since/until), not both');
  if (body.facto_ids === undefined && body.agent_id === undefined) {
    throw badRequest('say what to erase: { "facto_ids": [...], "reason" } or { "agent_id", "since"?, "until"?, "reason" }');
  }
  const select = () => (body.facto_ids !== undefined ? eventsById(context, body) : eventsOfAgent(context, body));

  // A log names an event in one erasure entry only (docs/spec.md section 13): a second entry would
  // delete nothing, and a bundle holding both would not verify. Two erasures racing (a retention job
  // and a request, on one process or two sharing a store) are settled inside the sequencer's lane:
  // the commit re-reads its events there and, when one was erased meanwhile, selects again.
  for (let attempt = 1; ; attempt++) {
    const selected = await select();
    const pending = selected.filter((event) => event.erasedBy === null);
    const alreadyErased = selected.length - pending.length;
    if (pending.length === 0) return json(200, { erased: 0, already_erased: alreadyErased, leaf_index: null, hash: null });

    const erasedAt = Date.now();
    const entry = createErasureEntry({ factoIds: pending.map((event) => event.factoId), reason, erasedAt, logKeyId: context.log.key.keyHash });
    const signed = context.log.signErasureEntry(entry);
    const hash = toHex(signed.hash);
    const signature = toHex(signed.signature);
    let erasedMeanwhile = false;
    let revisions: ForwardRevision[] = [];
    const committed = await context.log
      .commit(async (first) => {
        if ((await context.store.getEventsByFactoId(entry.facto_ids)).some((event) => event.erasedBy !== null)) {
          erasedMeanwhile = true;
          throw new Error('an event of this erasure was erased meanwhile');
        }
        // Read in the lane, so no commit adds a request between this reading and the erasure's own.
        const erasedIds = new Set(entry.facto_ids);
        const queued = await context.store.listForwardsHolding(entry.facto_ids);
        const forwardEdits: ForwardEdit[] = queued.map((request) => forwardEditFor(request, erasedIds));
        revisions = forwardEdits.map((edit) => ({ id: edit.id }));
        return {
          events: [],
          logEntries: [{ leafIndex: first, kind: 'erasure', hash, entryJson: signed.entryJson, signature, createdAt: erasedAt }],
          leaves: [signed.hash],
          erasures: entry.facto_ids.map((factoId) => ({ factoId, erasedBy: first })),
          linkUpdates: [],
          incidents: [],
          keys: [],
          unverified: [],
          forwardEdits,
        };
      })
      .catch((error: unknown) => {
        if (!erasedMeanwhile) throw error;
        if (attempt < 5) return undefined;
        // Other processes kept erasing these events meanwhile: nothing was written; the caller may retry.
        throw new HttpError(503, 'other erasures of these events are being committed; retry', { 'retry-after': '1' });
      });
    if (committed === undefined) continue;
    context.forwarder?.revised(revisions);
    context.metrics.treeSize.set(context.log.treeSize);
    context.logger.info('erased event content', { events: entry.facto_ids.length, leafIndex: committed.firstLeafIndex, forwardQueueRewritten: revisions.length });
    return json(200, { erased: entry.facto_ids.length, already_erased: alreadyErased, leaf_index: committed.firstLeafIndex, hash, signature, entry });
  }
}
