/**
 * The log's write path on PostgreSQL: one batch's spans, leaves, nodes and side records written by
 * statements of a transaction the caller opened (commitBatch opens its own; the sequencer's locked
 * section runs it inside the transaction that holds the sequencer lock). The compare-and-swap reads
 * the head with FOR UPDATE, so two writers that somehow got past the advisory lock still serialise on
 * the head row and the second one sees the size move. Events, nodes, link updates, erasures and
 * unverified spans each go in one statement over unnest() arrays: a handful of round trips per
 * batch, however large. Any throw leaves the caller to roll back, so a batch lands whole or not at all.
 */
import type { PoolClient } from 'pg';
import { invalidBatch } from '../batch-shape.js';
import { StoreConflictError } from '../errors.js';
import type { Batch } from '../types.js';
import { editForwards, insertForwards } from './forward-queue.js';
import { refuseNewerSchema, SCHEMA_VERSION } from './migrations.js';
import { EVENT_COLUMN_TYPES, EVENT_COLUMNS, eventColumns, hexToBytes, keyToParameters, UPSERT_KEY_SQL } from './rows.js';

const INSERT_EVENTS = `INSERT INTO events (${EVENT_COLUMNS})
  SELECT * FROM unnest(${EVENT_COLUMN_TYPES.map((type, position) => `$${position + 1}::${type}[]`).join(', ')})`;

// DO NOTHING rather than failing on the primary key: a node stored again with the same hash is a
// retry and accepted; the nodes not inserted are then compared with what is stored.
const INSERT_NODES = `INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])
  ON CONFLICT (level, idx) DO NOTHING RETURNING level, idx`;

/** Last wins when a batch names the same event twice, as applying the updates one by one would. */
function lastPerFactoId<T extends { factoId: string }>(updates: readonly T[]): T[] {
  return [...new Map(updates.map((update) => [update.factoId, update])).values()];
}

async function run(client: PoolClient, name: string, text: string, values: unknown[] = []) {
  return client.query({ name: `facto_${name}`, text, values });
}

/** Writes the batch inside the caller's open transaction; returns the key registry version after it. */
export async function writeBatch(client: PoolClient, batch: Batch): Promise<number> {
  const head = (await run(client, 'head_for_update', `SELECT tree_size, keys_version, ${SCHEMA_VERSION} AS schema_version FROM log_head WHERE singleton = 0 FOR UPDATE`)).rows[0] as
    | { tree_size: number; keys_version: number; schema_version: number | null }
    | undefined;
  refuseNewerSchema(head?.schema_version);
  if (head?.tree_size !== batch.expectedTreeSize) {
    throw new StoreConflictError(
      `Tree size is ${String(head?.tree_size)}, but the batch was sequenced against ${batch.expectedTreeSize}: another sequencer moved the log head, or this batch was already committed`,
    );
  }
  if (batch.logEntries.length > 0) {
    await run(client, 'insert_log_entries', `INSERT INTO log_entries (leaf_index, kind, hash, entry_json, signature, created_at)
      SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::text[], $5::bytea[], $6::bigint[])`, [
      batch.logEntries.map((entry) => entry.leafIndex), batch.logEntries.map((entry) => entry.kind),
      batch.logEntries.map((entry) => hexToBytes(entry.hash, `log entry ${entry.leafIndex} hash`)), batch.logEntries.map((entry) => entry.entryJson),
      batch.logEntries.map((entry) => hexToBytes(entry.signature, `log entry ${entry.leafIndex} signature`)), batch.logEntries.map((entry) => entry.createdAt),
    ]);
  }
  if (batch.events.length > 0) await run(client, 'insert_events', INSERT_EVENTS, eventColumns(batch.events));
  await writeNodes(client, batch);
  const linkUpdates = lastPerFactoId(batch.linkUpdates);
  if (linkUpdates.length > 0) {
    const updated = await run(client, 'update_links', `UPDATE events SET link_status = updates.link_status
      FROM unnest($1::text[], $2::text[]) AS updates (facto_id, link_status) WHERE events.facto_id = updates.facto_id RETURNING events.facto_id`,
      [linkUpdates.map((update) => update.factoId), linkUpdates.map((update) => update.linkStatus)]);
    const found = new Set(updated.rows.map((row: { facto_id: string }) => row.facto_id));
    const missing = linkUpdates.find((update) => !found.has(update.factoId));
    if (missing) throw invalidBatch(`link update names facto_id ${missing.factoId}, which is not stored`);
  }
  // One at a time: a batch may repeat a fingerprint, and one INSERT ... ON CONFLICT DO UPDATE may not touch a row twice.
  for (const incident of batch.incidents) {
    await run(client, 'upsert_incident', `INSERT INTO incidents (kind, agent_id, chain_id, seq, facto_id, detail, evidence_json, created_at, fingerprint, count, last_seen_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $8)
      ON CONFLICT (fingerprint) DO UPDATE SET count = incidents.count + 1, last_seen_at = greatest(incidents.last_seen_at, excluded.last_seen_at)`,
      [incident.kind, incident.agentId, incident.chainId, incident.seq, incident.factoId, incident.detail, incident.evidenceJson, incident.createdAt, incident.fingerprint]);
  }
  for (const key of batch.keys) await run(client, 'upsert_key', UPSERT_KEY_SQL, keyToParameters(key));
  if (batch.unverified.length > 0) {
    // A span already stored, or twice in this batch, is stored once: an exporter that lost the 200 sends the request again.
    await run(client, 'insert_unverified', `INSERT INTO unverified_spans (trace_id, span_id, name, span_json, received_at)
      SELECT DISTINCT ON (given.trace_id, given.span_id, given.span_json) given.*
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS given (trace_id, span_id, name, span_json, received_at)
      WHERE NOT EXISTS (SELECT 1 FROM unverified_spans stored WHERE stored.trace_id = given.trace_id AND stored.span_id = given.span_id AND stored.span_json = given.span_json)`, [
      batch.unverified.map((span) => span.traceId), batch.unverified.map((span) => span.spanId), batch.unverified.map((span) => span.name),
      batch.unverified.map((span) => span.spanJson), batch.unverified.map((span) => span.receivedAt),
    ]);
  }
  // After the log entries: erased_by references the erasure entry, which may arrive in this same batch.
  const erasures = lastPerFactoId(batch.erasures);
  if (erasures.length > 0) {
    const erased = await run(client, 'erase', `UPDATE events SET disclosures_json = '[]', salt = NULL, erased_by = erasures.erased_by
      FROM unnest($1::text[], $2::bigint[]) AS erasures (facto_id, erased_by) WHERE events.facto_id = erasures.facto_id RETURNING events.facto_id`,
      [erasures.map((erasure) => erasure.factoId), erasures.map((erasure) => erasure.erasedBy)]);
    const found = new Set(erased.rows.map((row: { facto_id: string }) => row.facto_id));
    const missing = erasures.find((erasure) => !found.has(erasure.factoId));
    if (missing) throw invalidBatch(`erasure names facto_id ${missing.factoId}, which is not stored`);
  }
  await insertForwards(client, batch.forwards ?? []);
  await editForwards(client, batch.forwardEdits ?? []);
  const keysVersion = head.keys_version + (batch.keys.length > 0 ? 1 : 0);
  await run(client, 'write_head', 'UPDATE log_head SET tree_size = $1, keys_version = $2 WHERE singleton = 0', [batch.newTreeSize, keysVersion]);
  return keysVersion;
}

async function writeNodes(client: PoolClient, batch: Batch): Promise<void> {
  if (batch.nodes.length === 0) return;
  const inBatch = new Map<string, Uint8Array>();
  for (const node of batch.nodes) {
    const key = `${node.level}/${node.index}`;
    const twin = inBatch.get(key);
    if (twin !== undefined && !Buffer.from(twin).equals(node.hash)) {
      throw new StoreConflictError(`Merkle node (level ${node.level}, index ${node.index}) appears twice in the batch with different hashes`);
    }
    inBatch.set(key, node.hash);
  }
  const inserted = await run(client, 'insert_nodes', INSERT_NODES, [
    batch.nodes.map((node) => node.level), batch.nodes.map((node) => node.index), batch.nodes.map((node) => Buffer.from(node.hash)),
  ]);
  if (inserted.rowCount === batch.nodes.length) return;
  const fresh = new Set(inserted.rows.map((row: { level: number; idx: number }) => `${row.level}/${row.idx}`));
  const others = batch.nodes.filter((node) => !fresh.has(`${node.level}/${node.index}`));
  const stored = await run(client, 'nodes_by_id', 'SELECT level, idx, hash FROM merkle_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
    [others.map((node) => node.level), others.map((node) => node.index)]);
  const hashes = new Map(stored.rows.map((row: { level: number; idx: number; hash: Buffer }) => [`${row.level}/${row.idx}`, row.hash]));
  for (const node of others) {
    const existing = hashes.get(`${node.level}/${node.index}`);
    if (existing === undefined || !existing.equals(node.hash)) {
      throw new StoreConflictError(`Merkle node (level ${node.level}, index ${node.index}) is already stored with a different hash; the log never rewrites a node`);
    }
  }
}
