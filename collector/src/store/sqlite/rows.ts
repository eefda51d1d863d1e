/**
 * Rows as SQLite returns them, and their conversion to the contract's types. Column lists live here
 * beside the converters so a column added by a migration is added to the reads in one place.
 */
import type { Checkpoint, LinkStatus, LogEntry, StoredEvent } from '../types.js';
import { StoreUnavailableError } from '../errors.js';
import { decodeEventBody, type EventBody, hexToBytes } from './event-body.js';

export { agentKeyFromRow, type AgentKeyRow, incidentFromRow, type IncidentRow, type KeyParameters, keyToParameters } from '../row-mapping.js';

export const EVENT_COLUMNS = `leaf_index, facto_id, agent_id, chain_id, seq, hash, prev_hash, key_id, signature, dropped,
  action_type, received_at, link_status, erased_by, context_id, body`;

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
  action_type: string;
  received_at: number;
  link_status: string;
  erased_by: number | null;
  context_id: number;
  body: Buffer;
}

/** The body's fields, read from the compressed body on first use. */
const BODY_FIELDS = ['traceId', 'spanId', 'name', 'startTimeUnixNano', 'endTimeUnixNano', 'recordJson', 'disclosuresJson', 'salt'] as const;

/**
 * The body of the stored event `factoId`. One that does not decode is damage to the database, not a
 * client's mistake: it is reported as SQLITE_CORRUPT is (503, the detail in the operator's log), never
 * as a 400 carrying the store's internals to whoever asked.
 */
export function storedBody(body: Uint8Array, factoId: string): EventBody {
  try {
    return decodeEventBody(body);
  } catch (error) {
    throw new StoreUnavailableError(`SQLite store is damaged: the body of event ${factoId} does not decode (${(error as Error).message}); restore the database from a backup`, { cause: error, damaged: true });
  }
}

/**
 * A stored event from its row. The columns are read at once; the body is inflated only when one of
 * its fields is first read, so the ingest lanes, which read links and hashes, never pay for it. The
 * body's fields are own enumerable getters, so spreading or comparing the event sees every field.
 */
export function eventFromRow(row: EventRow, contextJson: (id: number) => string): StoredEvent {
  let body: EventBody | undefined;
  const event = {
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
    actionType: row.action_type,
    receivedAt: row.received_at,
    contextJson: contextJson(row.context_id),
    linkStatus: row.link_status as LinkStatus,
    erasedBy: row.erased_by,
  };
  for (const field of BODY_FIELDS) {
    Object.defineProperty(event, field, { enumerable: true, get: () => (body ??= storedBody(row.body, row.facto_id))[field] });
  }
  return event as unknown as StoredEvent;
}

/** Positional parameters for inserting an event, in EVENT_COLUMNS order. */
export type EventParameters = [number, string, string, string, number, Buffer, Buffer, string, Buffer, number, string, number, string, number | null, number, Uint8Array];

export function eventToParameters(event: StoredEvent, contextId: number, body: Uint8Array): EventParameters {
  return [
    event.leafIndex, event.factoId, event.agentId, event.chainId, event.seq,
    hexToBytes(event.hash, 'hash'), hexToBytes(event.prevHash, 'prev_hash'), event.keyId, hexToBytes(event.signature, 'signature'),
    event.dropped, event.actionType, event.receivedAt, event.linkStatus, event.erasedBy, contextId, body,
  ];
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

/** Insert or replace a key; shared by commitBatch (keys learned with a span) and putKey. */
export const UPSERT_KEY_SQL = `INSERT INTO agent_keys
    (agent_id, key_id, public_key, not_before, not_after, revoked_at, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (agent_id, key_id) DO UPDATE SET public_key = excluded.public_key, not_before = excluded.not_before,
    not_after = excluded.not_after, revoked_at = excluded.revoked_at, source = excluded.source, created_at = excluded.created_at`;

export interface CheckpointRow {
  tree_size: number;
  root_hash: string;
  note: string;
  created_at: number;
}

export function checkpointFromRow(row: CheckpointRow): Checkpoint {
  return { treeSize: row.tree_size, rootHash: row.root_hash, note: row.note, createdAt: row.created_at };
}
