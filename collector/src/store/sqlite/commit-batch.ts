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
import type { IncidentRow } from '../row-mapping.js';
import type { Batch, StoredNode } from '../types.js';
import { encodeEventBody } from './event-body.js';
import { createForwardWriter } from './forward-queue.js';
import { EVENT_COLUMNS, type EventParameters, eventToParameters, type KeyParameters, keyToParameters, storedBody, UPSERT_KEY_SQL } from './rows.js';

/** Distinct resource and scope texts whose row ids are remembered; a fleet has a handful, a flood of distinct ones is not kept. */
const MAX_CACHED_CONTEXTS = 10_000;

/** An incident row as inserted: the columns incidents are read from (row-mapping.ts), less those the insert fills. */
type IncidentParameters = Omit<IncidentRow, 'id' | 'count' | 'last_seen_at'> & { fingerprint: string };

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, position) => byte === right[position]);
}

export type BatchCommitter = (batch: Batch) => void;

/** Prepares the statements once and returns the function that commits a batch. */
export function createBatchCommitter(database: Database.Database): BatchCommitter {
  const readTreeSize = database.prepare<[], { tree_size: number }>('SELECT tree_size FROM log_head WHERE singleton = 0');
  const writeTreeSize = database.prepare<[number]>('UPDATE log_head SET tree_size = ? WHERE singleton = 0');
  const insertEvent = database.prepare<EventParameters>(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertContext = database.prepare<[string]>('INSERT INTO contexts (context_json) VALUES (?) ON CONFLICT (context_json) DO NOTHING');
  const readContextId = database.prepare<[string], { id: number }>('SELECT id FROM contexts WHERE context_json = ?');
  // Context ids known to be committed. One added by a transaction that then rolls back is not.
  const contextIds = new Map<string, number>();
  let pendingContexts: [string, number][] = [];
  const contextIdOf = (contextJson: string): number => {
    const known = contextIds.get(contextJson);
    if (known !== undefined) return known;
    insertContext.run(contextJson);
    const id = readContextId.get(contextJson)!.id;
    pendingContexts.push([contextJson, id]);
    return id;
  };
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
  // A span already stored is not stored again: an exporter that lost the 200 sends the request again.
  const insertUnverified = database.prepare<[{ trace_id: string; span_id: string; name: string; span_json: string; received_at: number }]>(
    `INSERT INTO unverified_spans (trace_id, span_id, name, span_json, received_at) SELECT @trace_id, @span_id, @name, @span_json, @received_at
      WHERE NOT EXISTS (SELECT 1 FROM unverified_spans WHERE trace_id = @trace_id AND span_id = @span_id AND span_json = @span_json)`,
  );
  const forwardQueue = createForwardWriter(database);
  const readBody = database.prepare<[string], { body: Buffer }>('SELECT body FROM events WHERE facto_id = ?');
  const erase = database.prepare<[Buffer, number, string]>('UPDATE events SET body = ?, erased_by = ? WHERE facto_id = ?');
  // Erasing rewrites the body without the content; secure_delete (open-database.ts) zeroes the old cell.
  const eraseContent = (factoId: string, erasedBy: number): boolean => {
    const row = readBody.get(factoId);
    if (row === undefined) return false;
    const body = storedBody(row.body, factoId);
    return erase.run(encodeEventBody({ ...body, disclosuresJson: '[]', salt: null }), erasedBy, factoId).changes > 0;
  };

  function insertNodeOnce(node: StoredNode): void {
    if (insertNode.run(node.level, node.index, node.hash).changes > 0) return;
    const existing = readNode.get(node.level, node.index);
    if (existing !== undefined && !sameBytes(existing.hash, node.hash)) {
      throw new StoreConflictError(`Merkle node (level ${node.level}, index ${node.index}) is already stored with a different hash; the log never rewrites a node`);
    }
  }

  const commit = database.transaction((batch: Batch, bodies: readonly Uint8Array[]) => {
    const stored = readTreeSize.get()?.tree_size;
    if (stored !== batch.expectedTreeSize) {
      throw new StoreConflictError(
        `Tree size is ${String(stored)}, but the batch was sequenced against ${batch.expectedTreeSize}: another sequencer moved the log head, or this batch was already committed`,
      );
    }
    batch.events.forEach((event, position) => insertEvent.run(...eventToParameters(event, contextIdOf(event.contextJson), bodies[position]!)));
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
    for (const span of batch.unverified) {
      insertUnverified.run({ trace_id: span.traceId, span_id: span.spanId, name: span.name, span_json: span.spanJson, received_at: span.receivedAt });
    }
    // After the log entries: erased_by references the erasure entry, which may arrive in this same batch.
    for (const erasure of batch.erasures) {
      if (!eraseContent(erasure.factoId, erasure.erasedBy)) throw invalidBatch(`erasure names facto_id ${erasure.factoId}, which is not stored`);
    }
    for (const forward of batch.forwards ?? []) forwardQueue.insert(forward);
    for (const edit of batch.forwardEdits ?? []) forwardQueue.edit(edit);
    writeTreeSize.run(batch.newTreeSize);
  });

  // Without waiting: the connection is the event loop's, and SQLite's busy handler would hold it for
  // the whole busy timeout while a reader (a backup, another process) keeps an old snapshot. A
  // checkpoint that cannot finish now is tried again each second for a minute, then left to the
  // next erasure.
  const checkpointWal = (triesLeft = 60) => {
    if (!database.open) return;
    const busyTimeout = database.pragma('busy_timeout', { simple: true }) as number;
    let busy = true;
    try {
      database.pragma('busy_timeout = 0');
      busy = (database.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy === 1;
    } catch {
      // Committed already; the checkpoint is housekeeping.
    } finally {
      database.pragma(`busy_timeout = ${busyTimeout}`);
    }
    if (busy && triesLeft > 1) setTimeout(() => checkpointWal(triesLeft - 1), 1_000).unref();
  };

  return (batch) => {
    checkBatchShape(batch);
    // Compressed before the write lock is taken (event-body.ts): the transaction holds it only to write.
    // Ingest has them compressed already, on its examination workers (NewEvent.preparedBody).
    const bodies = batch.events.map((event) => event.preparedBody ?? encodeEventBody(event));
    pendingContexts = [];
    try {
      commit.immediate(batch, bodies);
    } catch (error) {
      // Rolled back: the new context rows it added do not exist.
      pendingContexts = [];
      throw error;
    }
    // Erased content left the database pages (secure_delete zeroes them), but the write-ahead log still
    // holds the pages as they were until a checkpoint copies them back and the log is truncated: do
    // that now rather than whenever the log next fills. Best effort: a reader holding an old snapshot
    // (another process reading the file) keeps it from completing, and the next erasure tries again.
    if (batch.erasures.length > 0 || (batch.forwardEdits?.length ?? 0) > 0) checkpointWal();
    if (contextIds.size + pendingContexts.length > MAX_CACHED_CONTEXTS) contextIds.clear();
    for (const [json, id] of pendingContexts) contextIds.set(json, id);
    pendingContexts = [];
  };
}
