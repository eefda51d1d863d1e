/**
 * The log's write path: one OTLP request's spans, leaves, nodes and side records in one IMMEDIATE
 * transaction. The shape of the batch (sizes, contiguous leaf indices, node hashes) is checked before
 * the transaction starts; the compare-and-swap on the tree size, and every rule that needs stored
 * state (no node rewritten, every updated event present), inside it. Any throw rolls the whole
 * transaction back, so a batch is stored completely or not at all.
 */
import type Database from 'better-sqlite3';
import { checkBatchShape, invalidBatch } from '../batch-shape.js';
import { StoreConflictError } from '../errors.js';
import type { Batch, StoredNode } from '../types.js';
import { eventToParameters, type KeyParameters, keyToParameters, UPSERT_KEY_SQL } from './rows.js';

interface IncidentParameters {
  kind: string;
  agent_id: string | null;
  chain_id: string | null;
  seq: number | null;
  facto_id: string | null;
  detail: string;
  evidence_json: string;
  created_at: number;
  fingerprint: string;
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, position) => byte === right[position]);
}

/** Prepares the statements once and returns the function that commits a batch. */
export function createBatchCommitter(database: Database.Database): (batch: Batch) => void {
  const readTreeSize = database.prepare<[], { tree_size: number }>('SELECT tree_size FROM log_head WHERE singleton = 0');
  const writeTreeSize = database.prepare<[number]>('UPDATE log_head SET tree_size = ? WHERE singleton = 0');
  const insertEvent = database.prepare(`INSERT INTO events (leaf_index, facto_id, agent_id, chain_id, seq, hash, prev_hash, key_id,
      signature, dropped, trace_id, span_id, name, action_type, start_time_unix_nano, end_time_unix_nano, received_at,
      record_json, context_json, disclosures_json, salt, link_status, erased_by)
    VALUES (@leaf_index, @facto_id, @agent_id, @chain_id, @seq, @hash, @prev_hash, @key_id, @signature, @dropped,
      @trace_id, @span_id, @name, @action_type, @start_time_unix_nano, @end_time_unix_nano, @received_at, @record_json,
      @context_json, @disclosures_json, @salt, @link_status, @erased_by)`);
  const insertLogEntry = database.prepare<[number, string, string, string, string, number]>(
    'INSERT INTO log_entries (leaf_index, kind, hash, entry_json, signature, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // DO NOTHING rather than failing on the primary key, so a node stored again with the same hash is
  // accepted and one with a different hash is reported with its coordinates.
  const insertNode = database.prepare<[number, number, Uint8Array]>('INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?) ON CONFLICT (level, idx) DO NOTHING');
  const readNode = database.prepare<[number, number], { hash: Uint8Array }>('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?');
  const updateLink = database.prepare<[string, string]>('UPDATE events SET link_status = ? WHERE facto_id = ?');
  // A finding already recorded (same fingerprint) is counted, not stored again: its evidence would
  // repeat, and anyone who can reach ingest could otherwise grow the database at will.
  const insertIncident = database.prepare<[IncidentParameters]>(
    `INSERT INTO incidents (kind, agent_id, chain_id, seq, facto_id, detail, evidence_json, created_at, fingerprint, count, last_seen_at)
      VALUES (@kind, @agent_id, @chain_id, @seq, @facto_id, @detail, @evidence_json, @created_at, @fingerprint, 1, @created_at)
      ON CONFLICT (fingerprint) WHERE fingerprint IS NOT NULL DO UPDATE SET count = count + 1, last_seen_at = max(last_seen_at, excluded.last_seen_at)`,
  );
  const upsertKey = database.prepare<KeyParameters>(UPSERT_KEY_SQL);
  const insertUnverified = database.prepare<[string, string, string, string, number]>(
    'INSERT INTO unverified_spans (trace_id, span_id, name, span_json, received_at) VALUES (?, ?, ?, ?, ?)',
  );
  const erase = database.prepare<[number, string]>("UPDATE events SET disclosures_json = '[]', salt = NULL, erased_by = ? WHERE facto_id = ?");

  function insertNodeOnce(node: StoredNode): void {
    if (insertNode.run(node.level, node.index, node.hash).changes > 0) return;
    const existing = readNode.get(node.level, node.index);
    if (existing !== undefined && !sameBytes(existing.hash, node.hash)) {
      throw new StoreConflictError(`Merkle node (level ${node.level}, index ${node.index}) is already stored with a different hash; the log never rewrites a node`);
    }
  }

  const commit = database.transaction((batch: Batch) => {
    const stored = readTreeSize.get()?.tree_size;
    if (stored !== batch.expectedTreeSize) {
      throw new StoreConflictError(
        `Tree size is ${String(stored)}, but the batch was sequenced against ${batch.expectedTreeSize}: another sequencer moved the log head, or this batch was already committed`,
      );
    }
    for (const event of batch.events) insertEvent.run(eventToParameters(event));
    for (const entry of batch.logEntries) insertLogEntry.run(entry.leafIndex, entry.kind, entry.hash, entry.entryJson, entry.signature, entry.createdAt);
    for (const node of batch.nodes) insertNodeOnce(node);
    for (const update of batch.linkUpdates) {
      if (updateLink.run(update.linkStatus, update.factoId).changes === 0) throw invalidBatch(`link update names facto_id ${update.factoId}, which is not stored`);
    }
    for (const incident of batch.incidents) {
      insertIncident.run({
        kind: incident.kind,
        agent_id: incident.agentId,
        chain_id: incident.chainId,
        seq: incident.seq,
        facto_id: incident.factoId,
        detail: incident.detail,
        evidence_json: incident.evidenceJson,
        created_at: incident.createdAt,
        fingerprint: incident.fingerprint,
      });
    }
    for (const key of batch.keys) upsertKey.run(...keyToParameters(key));
    for (const span of batch.unverified) insertUnverified.run(span.traceId, span.spanId, span.name, span.spanJson, span.receivedAt);
    // After the log entries: erased_by references the erasure entry, which may arrive in this same batch.
    for (const erasure of batch.erasures) {
      if (erase.run(erasure.erasedBy, erasure.factoId).changes === 0) throw invalidBatch(`erasure names facto_id ${erasure.factoId}, which is not stored`);
    }
    writeTreeSize.run(batch.newTreeSize);
  });

  return (batch) => {
    checkBatchShape(batch);
    commit.immediate(batch);
  };
}
