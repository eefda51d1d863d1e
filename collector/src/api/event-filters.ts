/**
 * The event filters shared by the query, export and erasure selections: agent, chain, action type
 * and a window on the time the collector received the event.
 */
import { parseIdentifier, parseTimeRange } from './query-parameters.js';

export interface EventFilters {
  readonly agentId?: string;
  readonly chainId?: string;
  readonly actionType?: string;
  readonly since?: number;
  readonly until?: number;
}

export function parseEventFilters(query: ReadonlyMap<string, string>): EventFilters {
  const identifier = (name: string) => (query.has(name) ? parseIdentifier(name, query.get(name)!) : undefined);
  return { agentId: identifier('agent_id'), chainId: identifier('chain_id'), actionType: identifier('action_type'), ...parseTimeRange(query) };
}

/** The filters as the query strings they came from, for a bundle's `query` field. */
export function filtersToQuery(filters: EventFilters): Record<string, string> {
  const query: Record<string, string> = {};
  if (filters.agentId !== undefined) query.agent_id = filters.agentId;
  if (filters.chainId !== undefined) query.chain_id = filters.chainId;
  if (filters.actionType !== undefined) query.action_type = filters.actionType;
  if (filters.since !== undefined) query.since = new Date(filters.since).toISOString();
  if (filters.until !== undefined) query.until = new Date(filters.until).toISOString();
  return query;
}
