/**
 * Rows as SQLite returns them, and their conversion to the contract's types. Column lists live here
 * beside the converters so a column added by a migration is added to the reads in one place.
 */
import type { AgentKey, Checkpoint, Incident, IncidentKind, LinkStatus, LogEntry, StoredEvent } from '../types.js';

export const EVENT_COLUMNS = `leaf_index, facto_id, agent_id, chain_id, seq, hash, prev_hash, key_id, signature, dropped,
  trace_id, span_id, name, action_type, start_time_unix_nano, end_time_unix_nano, received_at, record_json,
  context_json, disclosures_json, salt, link_status, erased_by`;

export interface EventRow {
  leaf_index: number;
  facto_id: string;
  agent_id: string;
  chain_id: string;
  seq: number;
  hash: string;
  prev_hash: string;
  key_id: string;
  signature: string;
  dropped: number;
  trace_id: string;
  span_id: string;
  name: string;
  action_type: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  received_at: number;
  record_json: string;
  context_json: string;
  disclosures_json: string;
  salt: string | null;
  link_status: string;
  erased_by: number | null;
}

export function eventFromRow(row: EventRow): StoredEvent {
  return {
    leafIndex: row.leaf_index,
    factoId: row.facto_id,
    agentId: row.agent_id,
    chainId: row.chain_id,
    seq: row.seq,
    hash: row.hash,
    prevHash: row.prev_hash,
    keyId: row.key_id,
    signature: row.signature,
    dropped: row.dropped,
    traceId: row.trace_id,
    spanId: row.span_id,
    name: row.name,
    actionType: row.action_type,
    startTimeUnixNano: row.start_time_unix_nano,
    endTimeUnixNano: row.end_time_unix_nano,
    receivedAt: row.received_at,
    recordJson: row.record_json,
    contextJson: row.context_json,
    disclosuresJson: row.disclosures_json,
    salt: row.salt,
    linkStatus: row.link_status as LinkStatus,
    erasedBy: row.erased_by,
  };
}

/** Named parameters for inserting an event (better-sqlite3 binds `@name`). */
export function eventToParameters(event: StoredEvent): EventRow {
  return {
    leaf_index: event.leafIndex,
    facto_id: event.factoId,
    agent_id: event.agentId,
    chain_id: event.chainId,
    seq: event.seq,
    hash: event.hash,
    prev_hash: event.prevHash,
    key_id: event.keyId,
    signature: event.signature,
    dropped: event.dropped,
    trace_id: event.traceId,
    span_id: event.spanId,
    name: event.name,
    action_type: event.actionType,
    start_time_unix_nano: event.startTimeUnixNano,
    end_time_unix_nano: event.endTimeUnixNano,
    received_at: event.receivedAt,
    record_json: event.recordJson,
    context_json: event.contextJson,
    disclosures_json: event.disclosuresJson,
    salt: event.salt,
    link_status: event.linkStatus,
    erased_by: event.erasedBy,
  };
}

export interface LogEntryRow {
  leaf_index: number;
  kind: string;
  hash: string;
  entry_json: string;
  signature: string;
  created_at: number;
}

export function logEntryFromRow(row: LogEntryRow): LogEntry {
  return {
    leafIndex: row.leaf_index,
    kind: row.kind as LogEntry['kind'],
    hash: row.hash,
    entryJson: row.entry_json,
    signature: row.signature,
    createdAt: row.created_at,
  };
}

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

/** Insert or replace a key; shared by commitBatch (keys learned with a span) and putKey. */
export const UPSERT_KEY_SQL = `INSERT INTO agent_keys
    (agent_id, key_id, public_key, not_before, not_after, revoked_at, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (agent_id, key_id) DO UPDATE SET public_key = excluded.public_key, not_before = excluded.not_before,
    not_after = excluded.not_after, revoked_at = excluded.revoked_at, source = excluded.source, created_at = excluded.created_at`;

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

export interface CheckpointRow {
  tree_size: number;
  root_hash: string;
  note: string;
  created_at: number;
}

export function checkpointFromRow(row: CheckpointRow): Checkpoint {
  return { treeSize: row.tree_size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at };
}
