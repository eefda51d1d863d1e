/**
 * GET /v1/stream: committed events as server-sent events, for `facto tail` and dashboards. Each
 * message's id is the event's leaf index; a client that reconnects with `Last-Event-ID` (or
 * `after=`) continues right after it, so nothing is lost across a reconnect. The stream is pulled
 * from the store, never pushed into a buffer: a slow reader only falls behind and catches up from
 * the store, and what it costs the collector is one page and the socket's buffer.
 *
 * With `incidents=true` the security incidents ingest records (spans it rejected, broken links,
 * replays) come on the same stream, and the id becomes `<leaf index>:<incident id>`, both positions,
 * so one Last-Event-ID resumes both.
 */
import type { CollectorContext } from '../context.js';
import type { HttpRequest, HttpResponse, Route } from '../http/types.js';
import type { Incident, IncidentKind, StoredEvent } from '../store/types.js';
import { eventToJson } from './event-json.js';
import { parseEventFilters, type EventFilters } from './event-filters.js';
import { incidentToJson } from './incident-routes.js';
import { badRequest, quote, readQuery } from './query-parameters.js';
import { newestIncidentId, StreamWatch } from './stream-watch.js';

export interface StreamTiming {
  /** How often caught-up streams look for new commits (one store read for all of them). */
  readonly pollMillis: number;
  /** How often an idle stream sends a comment line, so proxies keep it and clients see it is alive. */
  readonly heartbeatMillis: number;
}

const DEFAULT_TIMING: StreamTiming = { pollMillis: 200, heartbeatMillis: 15_000 };
// Held while a reader is slow: 50 events (about 250 KB of record text) is what a stalled client costs.
const PAGE_SIZE = 50;
/** Sent first: how long an EventSource should wait before reconnecting. */
const RETRY_MILLIS = 2_000;
const CURSOR = /^(-1|0|[1-9][0-9]{0,15})(?::(0|[1-9][0-9]{0,15}))?$/;

/** Incidents about events the log holds; every other kind is a span the collector refused. */
const ABOUT_STORED_EVENTS: ReadonlySet<IncidentKind> = new Set(['bad_link', 'undeclared_gap', 'content_mismatch', 'replay']);

export type Verdict = 'verified' | 'rejected' | 'incident';

export function streamRoutes(context: CollectorContext, timing: StreamTiming = DEFAULT_TIMING, watch = new StreamWatch(context, timing.pollMillis)): Route[] {
  return [{ method: 'GET', path: '/v1/stream', access: 'query', streams: true, handler: (request) => openStream(context, request, timing, watch) }];
}

interface Position {
  afterLeaf: number;
  afterIncident: number;
}

function parseCursor(text: string, source: string): { leaf: number; incident?: number } {
  const match = CURSOR.exec(text.trim());
  if (match === null) throw badRequest(`${source} must be a leaf index, or "<leaf index>:<incident id>" with incidents=true, got ${quote(text)}`);
  return { leaf: Number(match[1]), incident: match[2] === undefined ? undefined : Number(match[2]) };
}

function parseFlag(name: string, text: string | undefined): boolean {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  throw badRequest(`${name} must be true or false, got ${quote(text)}`);
}

async function openStream(context: CollectorContext, request: HttpRequest, timing: StreamTiming, watch: StreamWatch): Promise<HttpResponse> {
  const query = readQuery(request.url, ['agent_id', 'chain_id', 'action_type', 'since', 'after', 'incidents']);
  const filters = parseEventFilters(query);
  const withIncidents = parseFlag('incidents', query.get('incidents'));
  const lastEventId = request.headers['last-event-id'];
  const resume = lastEventId !== undefined ? parseCursor(lastEventId, 'Last-Event-ID') : query.has('after') ? parseCursor(query.get('after')!, 'after') : undefined;
  // Where to start: after the position the client names; from the first event received at `since`; else from now on.
  const position: Position = {
    afterLeaf: resume?.leaf ?? (filters.since !== undefined ? -1 : (await context.store.treeSize()) - 1),
    afterIncident: !withIncidents ? 0 : (resume?.incident ?? (filters.since !== undefined && resume === undefined ? 0 : await newestIncidentId(context))),
  };
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', connection: 'close' },
    stream: encode(messages(context, { filters, withIncidents, position, timing, watch, signal: request.signal })),
  };
}

async function* encode(parts: AsyncIterable<string>): AsyncIterable<Uint8Array> {
  for await (const part of parts) yield Buffer.from(part, 'utf8');
}

export function eventVerdict(event: StoredEvent): Verdict {
  return event.linkStatus === 'bad_link' || event.linkStatus === 'gap_undeclared' ? 'incident' : 'verified';
}

export function incidentVerdict(incident: Incident): Verdict {
  return ABOUT_STORED_EVENTS.has(incident.kind) ? 'incident' : 'rejected';
}

/** An event as the stream carries it: the event object without content (disclosures) or transport context. */
function streamedEvent(event: StoredEvent) {
  const { disclosures: _disclosures, context: _context, ...rest } = eventToJson(event);
  return { ...rest, verdict: eventVerdict(event) };
}

interface StreamState {
  readonly filters: EventFilters;
  readonly withIncidents: boolean;
  readonly position: Position;
  readonly timing: StreamTiming;
  readonly watch: StreamWatch;
  readonly signal: AbortSignal | undefined;
}

function message(type: string, id: string, data: unknown): string {
  // JSON.stringify escapes line breaks, so the data is always one line.
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

async function* messages(context: CollectorContext, state: StreamState): AsyncIterable<string> {
  const { filters, withIncidents, position, timing, watch, signal } = state;
  const id = () => (withIncidents ? `${position.afterLeaf}:${position.afterIncident}` : String(position.afterLeaf));
  // The client left, or the collector is shutting down (its close waits for open answers to end).
  const stopped = () => signal?.aborted === true || !context.ready;
  let lastSent = Date.now();
  // The position the stream starts from, as an id without an event: a client that reconnects before
  // any event came resumes from here (an EventSource sets its Last-Event-ID from it), rather than
  // "from now" again, which would skip what was committed while it was away.
  yield `retry: ${RETRY_MILLIS}\nid: ${id()}\n\n`;
  while (!stopped()) {
    // Everything below the durable size is visible to the queries that follow.
    const durableSize = await context.store.treeSize();
    for (;;) {
      const page = await context.store.queryEvents({ ...filters, order: 'asc', limit: PAGE_SIZE, afterLeafIndex: position.afterLeaf });
      for (const event of page) {
        position.afterLeaf = event.leafIndex;
        yield message('event', id(), streamedEvent(event));
        lastSent = Date.now();
      }
      if (page.length < PAGE_SIZE || stopped()) break;
    }
    const incidentsSeen = withIncidents ? await newestIncidentId(context) : 0;
    if (withIncidents) {
      for await (const incident of incidentsAfter(context, position.afterIncident, incidentsSeen, filters)) {
        position.afterIncident = incident.id;
        yield message('incident', id(), { ...incidentToJson(incident), verdict: incidentVerdict(incident) });
        lastSent = Date.now();
      }
      position.afterIncident = Math.max(position.afterIncident, incidentsSeen);
    }
    // Caught up: wait for the log (or the incidents) to grow, saying now and then that the stream is alive.
    const seen = { treeSize: durableSize, incidentId: withIncidents ? incidentsSeen : undefined };
    while (!stopped()) {
      if ((await watch.wait(seen, lastSent + timing.heartbeatMillis, signal)) === 'grown') break;
      if (!stopped() && Date.now() - lastSent >= timing.heartbeatMillis) {
        yield ': keep-alive\n\n';
        lastSent = Date.now();
      }
    }
  }
}

/**
 * Incidents with ids in (afterId, upToId], oldest first, matching the filters. The store pages newest
 * first, so the page boundaries are found going down and the pages read again going up: memory is a
 * number per page, however many incidents a long disconnect let pile up.
 */
async function* incidentsAfter(context: CollectorContext, afterId: number, upToId: number, filters: EventFilters): AsyncIterable<Incident> {
  if (upToId <= afterId) return;
  const boundaries: number[] = [];
  let cursor = upToId + 1;
  for (;;) {
    boundaries.push(cursor);
    const page = await context.store.listIncidents({ agentId: filters.agentId, limit: PAGE_SIZE, afterId: cursor });
    const oldest = page[page.length - 1];
    if (page.length < PAGE_SIZE || oldest === undefined || oldest.id <= afterId + 1) break;
    cursor = oldest.id;
  }
  for (const boundary of boundaries.reverse()) {
    const page = await context.store.listIncidents({ agentId: filters.agentId, limit: PAGE_SIZE, afterId: boundary });
    for (const incident of page.reverse()) {
      if (incident.id <= afterId) continue;
      if (filters.chainId !== undefined && incident.chainId !== filters.chainId) continue;
      if (filters.since !== undefined && incident.createdAt < filters.since) continue;
      yield incident;
    }
  }
}
