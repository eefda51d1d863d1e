/**
 * Reads of the Merkle log (tree size, nodes, log entries), the checkpoint head, and the records kept
 * beside the log (keys, incidents, unverified spans). getNodes answers any list of ids with one
 * statement over unnest() arrays, since proofs fetch their nodes in one call. The checkpoint head and
 * key changes are small transactions of their own on a pooled connection.
 */
import { FactoError, type NodeId } from '@facto/core';
import type pg from 'pg';
import { checkCheckpointWrite } from '../checkpoint-head.js';
import { StoreUnavailableError } from '../errors.js';
import type { AgentKey, Checkpoint, Incident, IncidentKind, LogEntry } from '../types.js';
import { checkLimit } from './event-queries.js';
import { refuseNewerSchema, SCHEMA_VERSION } from './migrations.js';
import {
  agentKeyFromRow, type AgentKeyRow, checkpointFromRow, type CheckpointRow, INCIDENT_COLUMNS, incidentFromRow, type IncidentRow,
  KEY_COLUMNS, keyToParameters, logEntryFromRow, type LogEntryRow, UPSERT_KEY_SQL,
} from './rows.js';

const nodeKey = (level: number, index: number) => `${level}/${index}`;
const CHECKPOINT_COLUMNS = 'tree_size, root_hash, note, created_at';

/** Runs `work` in a transaction on one pooled connection, rolling back on any throw. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // While checked out, a connection that fails between queries reports it as an event the pool does
  // not listen for; unheard, Node would crash the process. The next query then fails as it should.
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is dropped instead of going back to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

export function createLogReader(pool: pg.Pool) {
  return {
    treeSize: async (): Promise<number> => {
      const row = (await pool.query<{ tree_size: number }>({ name: 'facto_tree_size', text: 'SELECT tree_size FROM log_head WHERE singleton = 0' })).rows[0];
      if (row === undefined) throw new StoreUnavailableError('PostgreSQL store is damaged: the log_head row holding the tree size is missing');
      return row.tree_size;
    },
    getNodes: async (ids: readonly NodeId[]): Promise<Uint8Array[]> => {
      for (const id of ids) {
        if (!Number.isSafeInteger(id?.level) || !Number.isSafeInteger(id?.index) || id.level < 0 || id.index < 0) {
          throw new FactoError('invalid_argument', `Merkle node ids need a non-negative integer level and index, got ${JSON.stringify(id)}`);
        }
      }
      if (ids.length === 0) return [];
      const result = await pool.query<{ level: number; idx: number; hash: Buffer }>({
        name: 'facto_get_nodes',
        text: 'SELECT level, idx, hash FROM merkle_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
        values: [ids.map((id) => id.level), ids.map((id) => id.index)],
      });
      // Plain Uint8Array views, not Buffers: callers get the type the contract names.
      const found = new Map(result.rows.map((row) => [nodeKey(row.level, row.idx), new Uint8Array(row.hash.buffer, row.hash.byteOffset, row.hash.byteLength)]));
      return ids.map((id) => {
        const hash = found.get(nodeKey(id.level, id.index));
        if (hash === undefined) throw new FactoError('proof', `Merkle node (level ${id.level}, index ${id.index}) is not stored`);
        return hash;
      });
    },
    getLogEntry: async (leafIndex: number): Promise<LogEntry | null> => {
      const row = (await pool.query<LogEntryRow>({ name: 'facto_log_entry', text: 'SELECT leaf_index, kind, hash, entry_json, signature, created_at FROM log_entries WHERE leaf_index = $1', values: [leafIndex] })).rows[0];
      return row === undefined ? null : logEntryFromRow(row);
    },
    putCheckpoint: (checkpoint: Checkpoint, expectedLatest: Checkpoint | null) =>
      inTransaction(pool, async (client) => {
        // Serialises checkpoint writers on the newest row, so the compare-and-swap holds across processes.
        await client.query({ name: 'facto_checkpoint_lock', text: 'LOCK TABLE checkpoints IN SHARE ROW EXCLUSIVE MODE' });
        const newest = (await client.query<CheckpointRow>({ name: 'facto_newest_checkpoint', text: `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY tree_size DESC LIMIT 1` })).rows[0];
        if (checkCheckpointWrite(checkpoint, expectedLatest, newest === undefined ? null : checkpointFromRow(newest)) === 'insert') {
          await client.query({ name: 'facto_insert_checkpoint', text: `INSERT INTO checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4)`, values: [checkpoint.treeSize, checkpoint.rootHash, checkpoint.note, checkpoint.createdAt] });
        }
      }),
    getCheckpoint: async (treeSize: number): Promise<Checkpoint | null> => {
      const row = (await pool.query<CheckpointRow>({ name: 'facto_checkpoint_at', text: `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE tree_size = $1`, values: [treeSize] })).rows[0];
      return row === undefined ? null : checkpointFromRow(row);
    },
    latestCheckpoint: async (): Promise<Checkpoint | null> => {
      const row = (await pool.query<CheckpointRow>({ name: 'facto_newest_checkpoint', text: `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY tree_size DESC LIMIT 1` })).rows[0];
      return row === undefined ? null : checkpointFromRow(row);
    },
  };
}

/**
 * Bumps the key registry version, so other collector processes reload their copy before they next
 * sequence; returns the schema version, which bumpKeysVersion checks before the transaction commits.
 */
const BUMP_KEYS_VERSION = `UPDATE log_head SET keys_version = keys_version + 1 WHERE singleton = 0 RETURNING ${SCHEMA_VERSION} AS schema_version`;

async function bumpKeysVersion(client: pg.PoolClient): Promise<void> {
  const result = await client.query<{ schema_version: number | null }>({ name: 'facto_bump_keys_version', text: BUMP_KEYS_VERSION });
  refuseNewerSchema(result.rows[0]?.schema_version);
}

export function createRegistryReader(pool: pg.Pool) {
  return {
    listKeys: async (agentId?: string): Promise<AgentKey[]> => {
      const result = agentId === undefined
        ? await pool.query<AgentKeyRow>({ name: 'facto_all_keys', text: `SELECT ${KEY_COLUMNS} FROM agent_keys ORDER BY agent_id COLLATE "C", key_id COLLATE "C"` })
        : await pool.query<AgentKeyRow>({ name: 'facto_agent_keys', text: `SELECT ${KEY_COLUMNS} FROM agent_keys WHERE agent_id = $1 ORDER BY key_id COLLATE "C"`, values: [agentId] });
      return result.rows.map(agentKeyFromRow);
    },
    putKey: (key: AgentKey) =>
      inTransaction(pool, async (client) => {
        await client.query({ name: 'facto_upsert_key', text: UPSERT_KEY_SQL, values: keyToParameters(key) });
        await bumpKeysVersion(client);
      }),
    // A key revoked twice keeps the earlier time: revocation only ever shortens a key's validity.
    revokeKey: (agentId: string, keyId: string, revokedAt: number) =>
      inTransaction(pool, async (client) => {
        const result = await client.query({
          name: 'facto_revoke_key',
          text: 'UPDATE agent_keys SET revoked_at = least(coalesce(revoked_at, $1), $1) WHERE agent_id = $2 AND key_id = $3',
          values: [revokedAt, agentId, keyId],
        });
        if ((result.rowCount ?? 0) === 0) return false;
        await bumpKeysVersion(client);
        return true;
      }),
    listIncidents: async (query: { kind?: IncidentKind; agentId?: string; limit: number; afterId?: number }): Promise<Incident[]> => {
      checkLimit(query.limit, 'Incident query');
      const conditions: string[] = [];
      const values: unknown[] = [];
      const add = (column: string, operator: string, value: unknown) => {
        values.push(value);
        conditions.push(`${column} ${operator} $${values.length}`);
      };
      if (query.kind !== undefined) add('kind', '=', query.kind);
      if (query.agentId !== undefined) add('agent_id', '=', query.agentId);
      // Newest first, so the cursor continues with smaller ids.
      if (query.afterId !== undefined) add('id', '<', query.afterId);
      values.push(query.limit);
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      const result = await pool.query<IncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM incidents ${where} ORDER BY id DESC LIMIT $${values.length}`, values);
      return result.rows.map(incidentFromRow);
    },
    countIncidents: async (): Promise<Record<string, number>> => {
      const result = await pool.query<{ kind: string; count: number }>({ name: 'facto_count_incidents', text: 'SELECT kind, sum(count)::bigint AS count FROM incidents GROUP BY kind ORDER BY kind' });
      return Object.fromEntries(result.rows.map((row) => [row.kind, row.count]));
    },
    countUnverified: async (): Promise<number> =>
      (await pool.query<{ count: number }>({ name: 'facto_count_unverified', text: 'SELECT count(*) AS count FROM unverified_spans' })).rows[0]?.count ?? 0,
  };
}
