/**
 * Chain status. GET /v1/chains/{agent_id}/{chain_id} runs core's verifyChains over every stored event
 * of the chain and adds what the stored events cannot show: ingest refuses forks and stores one copy
 * of a replayed record, so both are known only from the security incidents recorded at the time.
 * GET /v1/chains lists the chains (one summary each) for the CLI and dashboards.
 */
import { verifyChains } from '@facto/core';
import type { CollectorContext } from '../context.js';
import { json, type HttpRequest, type HttpResponse, type Route } from '../http/types.js';
import type { Incident, IncidentKind } from '../store/types.js';
import { notFound, parseIdentifier, readQuery, toRfc3339 } from './query-parameters.js';

/** How many of an agent's newest incidents of one kind are scanned for a chain's forks and replays. */
export const CHAIN_INCIDENT_SCAN = 1000;

export function chainRoutes(context: CollectorContext): Route[] {
  return [
    { method: 'GET', path: '/v1/chains', access: 'query', handler: (request) => listChains(context, request) },
    { method: 'GET', path: '/v1/chains/{agent_id}', access: 'query', handler: (request) => listAgentChains(context, request) },
    { method: 'GET', path: '/v1/chains/{agent_id}/{chain_id}', access: 'query', handler: (request) => chainStatus(context, request) },
  ];
}

async function listChains(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  const query = readQuery(request.url, ['agent_id']);
  const agentId = query.has('agent_id') ? parseIdentifier('agent_id', query.get('agent_id')!) : undefined;
  return chainList(context, agentId);
}

/** GET /v1/chains/{agent_id}: the same list as ?agent_id=, at the path a user tries first. */
async function listAgentChains(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const agentId = parseIdentifier('agent_id', request.params.agent_id ?? '');
  const response = await chainList(context, agentId);
  if ((response.body as { chains: unknown[] }).chains.length === 0) throw notFound(`no chains stored for agent ${JSON.stringify(agentId)}`);
  return response;
}

async function chainList(context: CollectorContext, agentId: string | undefined): Promise<HttpResponse> {
  const chains = await context.store.listChains(agentId);
  return json(200, {
    chains: chains.map((chain) => ({ agent_id: chain.agentId, chain_id: chain.chainId, count: chain.count, head: { seq: chain.headSeq, hash: chain.headHash } })),
  });
}

/** Incidents of `kind` for one chain, from the agent's newest CHAIN_INCIDENT_SCAN of that kind. */
async function chainIncidents(context: CollectorContext, kind: IncidentKind, agentId: string, chainId: string) {
  const scanned = await context.store.listIncidents({ kind, agentId, limit: CHAIN_INCIDENT_SCAN });
  const toJson = (incident: Incident) => ({ incident_id: incident.id, seq: incident.seq, facto_id: incident.factoId, detected_at: toRfc3339(incident.createdAt), detail: incident.detail });
  return { list: scanned.filter((incident) => incident.chainId === chainId).map(toJson), complete: scanned.length < CHAIN_INCIDENT_SCAN };
}

async function chainStatus(context: CollectorContext, request: HttpRequest): Promise<HttpResponse> {
  readQuery(request.url, []);
  const agentId = parseIdentifier('agent_id', request.params.agent_id ?? '');
  const chainId = parseIdentifier('chain_id', request.params.chain_id ?? '');
  const events = await context.store.listChainLinks(agentId, chainId);
  if (events.length === 0) throw notFound(`no events stored for agent ${JSON.stringify(agentId)}, chain ${JSON.stringify(chainId)}`);
  const [report] = verifyChains(events.map((event) => ({ agentId, chainId, seq: event.seq, hash: event.hash, prevHash: event.prevHash, dropped: event.dropped })));
  const replays = await chainIncidents(context, 'replay', agentId, chainId);
  const rejectedForks = await chainIncidents(context, 'fork', agentId, chainId);
  return json(200, {
    agent_id: agentId,
    chain_id: chainId,
    length: report!.length,
    events: events.length,
    head: report!.head,
    valid_links: report!.validLinks,
    bad_links: report!.badLinks,
    gaps: report!.gaps.map((gap) => ({ from_seq: gap.fromSeq, to_seq: gap.toSeq, declared: gap.declared })),
    declared_gaps: report!.gaps.filter((gap) => gap.declared).length,
    undeclared_gaps: report!.gaps.filter((gap) => !gap.declared).length,
    forks: report!.forks,
    rejected_forks: rejectedForks.list,
    replays: replays.list,
    incidents_complete: replays.complete && rejectedForks.complete,
    erased: events.filter((event) => event.erased).length,
    intact: report!.intact,
  });
}
