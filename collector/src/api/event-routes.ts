/**
 * GET /v1/events (filtered, paginated by leaf index in either order) and GET /v1/events/{facto_id}
 * (one event with a verification made at the time of the request).
 */
import type { CollectorContext } from '../context.js';
import { json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import { decodeEventCursor, encodeEventCursor } from './cursor.js';
import { eventToJson } from './event-json.js';
import { parseEventFilters } from './event-filters.js';
import { verifyStoredEvent } from './event-verification.js';
import { notFound, parseFactoId, parseLimit, parseOrder, readQuery } from './query-parameters.js';

const LIST_PARAMETERS = ['agent_id', 'chain_id', 'action_type', 'since', 'until', 'limit', 'cursor', 'order'];

export function eventRoutes(context: CollectorContext): Route[] {
  return [
    { method: 'GET', path: '/v1/events', access: 'query', handler: (request) => listEvents(context, request) },
    { method: 'GET', path: '/v1/events/{facto_id}', access: 'query', handler: (request) => getEvent(context, request) },
  ];
}

async function listEvents(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, LIST_PARAMETERS);
  const order = parseOrder(query.get('order'));
  const limit = parseLimit(query.get('limit'));
  const filters = parseEventFilters(query);
  const cursor = query.get('cursor');
  const afterLeafIndex = cursor === undefined ? undefined : decodeEventCursor(cursor, order);
  // One more than asked tells whether another page exists, so the last page says next_cursor: null.
  const found = await context.store.queryEvents({ ...filters, order, limit: limit + 1, afterLeafIndex });
  const page = found.slice(0, limit);
  const nextCursor = found.length > limit ? encodeEventCursor(page[page.length - 1]!.leafIndex, order) : null;
  return json(200, { events: page.map(eventToJson), next_cursor: nextCursor });
}

async function getEvent(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const factoId = parseFactoId('facto_id', request.params.facto_id ?? '');
  const event = await context.store.getEvent(factoId);
  if (event === null) throw notFound(`no event with facto_id ${factoId}`);
  return json(200, { ...eventToJson(event), verification: await verifyStoredEvent(context, event) });
}
