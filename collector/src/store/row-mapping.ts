/**
 * Rows both SQL drivers read the same way: the agent_keys and incidents tables have the same columns
 * in SQLite and PostgreSQL, so their conversions to the contract's types live once, here.
 */
import type { AgentKey, Incident, IncidentKind, QueuedForward } from './types.js';

export interface AgentKeyRow {
  agent_id: string;
  key_id: string;
  public_key: string;
  not_before: number | null;
  not_after: number | null;
  revoked_at: number | null;
  source: string;
  created_at: number;
}

/** A key's values in column order: agent_id, key_id, public_key, not_before, not_after, revoked_at, source, created_at. */
export type KeyParameters = [string, string, string, number | null, number | null, number | null, string, number];

export function keyToParameters(key: AgentKey): KeyParameters {
  return [key.agentId, key.keyId, key.publicKey, key.notBefore, key.notAfter, key.revokedAt, key.source, key.createdAt];
}

export function agentKeyFromRow(row: AgentKeyRow): AgentKey {
  return {
    agentId: row.agent_id,
    keyId: row.key_id,
    publicKey: row.public_key,
    notBefore: row.not_before,
    notAfter: row.not_after,
    revokedAt: row.revoked_at,
    source: row.source as AgentKey['source'],
    createdAt: row.created_at,
  };
}

export interface IncidentRow {
  id: number;
  kind: string;
  agent_id: string | null;
  chain_id: string | null;
  seq: number | null;
  facto_id: string | null;
  detail: string;
  evidence_json: string;
  created_at: number;
  count: number;
  /** Null in SQLite rows written before schema 3, which counted nothing: seen once, when created. */
  last_seen_at: number | null;
}

export function incidentFromRow(row: IncidentRow): Incident {
  return {
    id: row.id,
    kind: row.kind as IncidentKind,
    agentId: row.agent_id,
    chainId: row.chain_id,
    seq: row.seq,
    factoId: row.facto_id,
    detail: row.detail,
    evidenceJson: row.evidence_json,
    createdAt: row.created_at,
    count: row.count,
    lastSeenAt: row.last_seen_at ?? row.created_at,
  };
}

/** A forward_queue row; `facto_ids` as the driver returns it (SQLite: JSON text; PostgreSQL: jsonb, parsed). */
export interface ForwardRow<FactoIds> {
  id: number;
  encoding: 'protobuf' | 'json';
  body: Buffer;
  keep_json: string | null;
  queued_at: number;
  facto_ids: FactoIds;
}

export const FORWARD_COLUMNS = 'id, encoding, body, keep_json, queued_at, facto_ids';

export function forwardFromRow<FactoIds>(row: ForwardRow<FactoIds>, factoIds: (stored: FactoIds) => string[]): QueuedForward {
  return { id: row.id, encoding: row.encoding, body: row.body, keepJson: row.keep_json, queuedAt: row.queued_at, factoIds: factoIds(row.facto_ids) };
}
