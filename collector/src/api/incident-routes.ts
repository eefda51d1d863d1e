/**
 * GET /v1/incidents: the security incidents ingest recorded (forged or altered spans, unknown or
 * revoked keys, forks, replays, broken links), newest first, paginated, with their evidence.
 */
import type { CollectorContext } from '../context.js';
import { json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import type { Incident, IncidentKind } from '../store/types.js';
import { decodeIncidentCursor, encodeIncidentCursor } from './cursor.js';
import { badRequest, parseIdentifier, parseLimit, quote, readQuery, toRfc3339 } from './query-parameters.js';

/** Every kind the store records; kept as a record so a new kind in the store type fails to compile here. */
const KINDS: Record<IncidentKind, true> = {
  bad_signature: true,
  hash_mismatch: true,
  content_mismatch: true,
  unknown_key: true,
  revoked_key: true,
  key_not_valid: true,
  agent_mismatch: true,
  fork: true,
  replay: true,
  bad_link: true,
  undeclared_gap: true,
  malformed_record: true,
  duplicate_id: true,
};

export function incidentRoutes(context: CollectorContext): Route[] {
  return [{ method: 'GET', path: '/v1/incidents', access: 'query', handler: (request) => listIncidents(context, request) }];
}

function parseKind(text: string): IncidentKind {
  if (Object.hasOwn(KINDS, text)) return text as IncidentKind;
  throw badRequest(`kind must be one of ${Object.keys(KINDS).join(', ')}, got ${quote(text)}`);
}

function parseEvidence(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Evidence is stored as written; should a row ever hold something else, show it rather than fail the page.
    return text;
  }
}

/** An incident as the API shows it (also on the event stream). */
export function incidentToJson(incident: Incident) {
  return {
    id: incident.id,
    kind: incident.kind,
    agent_id: incident.agentId,
    chain_id: incident.chainId,
    seq: incident.seq,
    facto_id: incident.factoId,
    detail: incident.detail,
    evidence: parseEvidence(incident.evidenceJson),
    detected_at: toRfc3339(incident.createdAt),
    // A repeat of the same finding is counted here rather than listed again.
    count: incident.count,
    last_seen_at: toRfc3339(incident.lastSeenAt),
  };
}

async function listIncidents(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, ['kind', 'agent_id', 'limit', 'cursor']);
  const kind = query.has('kind') ? parseKind(query.get('kind')!) : undefined;
  const agentId = query.has('agent_id') ? parseIdentifier('agent_id', query.get('agent_id')!) : undefined;
  const limit = parseLimit(query.get('limit'));
  const cursor = query.get('cursor');
  const afterId = cursor === undefined ? undefined : decodeIncidentCursor(cursor);
  const found = await context.store.listIncidents({ kind, agentId, limit: limit + 1, afterId });
  const page = found.slice(0, limit);
  const nextCursor = found.length > limit ? encodeIncidentCursor(page[page.length - 1]!.id) : null;
  return json(200, { incidents: page.map(incidentToJson), next_cursor: nextCursor });
}
