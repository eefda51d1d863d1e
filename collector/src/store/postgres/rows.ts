/**
 * Rows as PostgreSQL returns them, and their conversion to and from the contract's types. Record
 * hashes, previous hashes and signatures travel through the API as lowercase hex but are stored as
 * bytea (half the size, and the hash is the key duplicate detection looks up on every ingest), so
 * this module is the one place that converts: strictly, refusing anything that is not lowercase hex
 * rather than letting Buffer.from(..., 'hex') truncate it silently.
 */
import type { Checkpoint, LinkStatus, LogEntry, StoredEvent } from '../types.js';
import { StoreRefusedError } from '../errors.js';

export { agentKeyFromRow, type AgentKeyRow, incidentFromRow, type IncidentRow, type KeyParameters, keyToParameters } from '../row-mapping.js';

export const EVENT_COLUMNS = `leaf_index, facto_id, agent_id, chain_id, seq, hash, prev_hash, key_id, signature, dropped,
  trace_id, span_id, name, action_type, start_time_unix_nano, end_time_unix_nano, received_at, record_json,
  context_json, disclosures_json, salt, link_status, erased_by`;

const LOWER_HEX = /^(?:[0-9a-f]{2})*$/;

/** Lowercase hex to bytes; anything else would not read back as the same string, so it is refused. */
export function hexToBytes(value: string, what: string): Buffer {
  if (typeof value !== 'string' || !LOWER_HEX.test(value)) {
    throw new StoreRefusedError(`PostgreSQL store: ${what} must be lowercase hex with an even number of digits, got ${JSON.stringify(String(value).slice(0, 80))}`);
  }
  return Buffer.from(value, 'hex');
}

/** Hex strings a lookup may name: those that are not lowercase hex cannot be stored, so they match nothing. */
export function lookupBytes(values: readonly string[]): Buffer[] {
  return values.filter((value) => typeof value === 'string' && LOWER_HEX.test(value)).map((value) => Buffer.from(value, 'hex'));
}

export interface EventRow {
  leaf_index: number;
  facto_id: string;
  agent_id: string;
  chain_id: string;
  seq: number;
  hash: Buffer;
  prev_hash: Buffer;
  key_id: string;
  signature: Buffer;
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
    hash: row.hash.toString('hex'),
    prevHash: row.prev_hash.toString('hex'),
    keyId: row.key_id,
    signature: row.signature.toString('hex'),
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

/**
 * A batch's events as one array per column, for a single INSERT ... SELECT FROM unnest(...): one
 * prepared statement and one round trip whatever the batch size.
 */
export function eventColumns(events: readonly StoredEvent[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 23 }, () => []);
  for (const event of events) {
    const values = [
      event.leafIndex, event.factoId, event.agentId, event.chainId, event.seq,
      hexToBytes(event.hash, `event ${event.factoId} hash`), hexToBytes(event.prevHash, `event ${event.factoId} prev_hash`),
      event.keyId, hexToBytes(event.signature, `event ${event.factoId} signature`), event.dropped, event.traceId, event.spanId,
      event.name, event.actionType, event.startTimeUnixNano, event.endTimeUnixNano, event.receivedAt, event.recordJson,
      event.contextJson, event.disclosuresJson, event.salt, event.linkStatus, event.erasedBy,
    ];
    values.forEach((value, column) => columns[column]!.push(value));
  }
  return columns;
}

/** The SQL types of eventColumns' arrays, in order. */
export const EVENT_COLUMN_TYPES = [
  'bigint', 'text', 'text', 'text', 'bigint', 'bytea', 'bytea', 'text', 'bytea', 'bigint', 'text', 'text',
  'text', 'text', 'text', 'text', 'bigint', 'text', 'text', 'text', 'text', 'text', 'bigint',
];

export interface LogEntryRow {
  leaf_index: number;
  kind: string;
  hash: Buffer;
  entry_json: string;
  signature: Buffer;
  created_at: number;
}

export function logEntryFromRow(row: LogEntryRow): LogEntry {
  return {
    leafIndex: row.leaf_index,
    kind: row.kind as LogEntry['kind'],
    hash: row.hash.toString('hex'),
    entryJson: row.entry_json,
    signature: row.signature.toString('hex'),
    createdAt: row.created_at,
  };
}

export const KEY_COLUMNS = 'agent_id, key_id, public_key, not_before, not_after, revoked_at, source, created_at';

/** Insert or replace a key; shared by commitBatch (keys learned with a span) and putKey. */
export const UPSERT_KEY_SQL = `INSERT INTO agent_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (agent_id, key_id) DO UPDATE SET public_key = excluded.public_key, not_before = excluded.not_before,
    not_after = excluded.not_after, revoked_at = excluded.revoked_at, source = excluded.source, created_at = excluded.created_at`;

export const INCIDENT_COLUMNS = 'id, kind, agent_id, chain_id, seq, facto_id, detail, evidence_json, created_at, count, last_seen_at';

export interface CheckpointRow {
  tree_size: number;
  root_hash: string;
  note: string;
  created_at: number;
}

export function checkpointFromRow(row: CheckpointRow): Checkpoint {
  return { treeSize: row.tree_size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at };
}
