/**
 * The forward queue on PostgreSQL (schema 4): requests waiting to be passed on downstream, inserted
 * by writeBatch in the transaction that stores their spans, read oldest first and deleted once
 * delivered or given up. Every process on the database inserts; the leader delivers. Ids come from
 * an identity column inside the sequencer lock's transaction, so they grow in commit order and the
 * leader can read on from the last id it saw. `facto_ids` (jsonb, an array) names the signed spans a
 * request carries, so an erasure finds the requests to rewrite (the ?| operator).
 */
import type pg from 'pg';
import type { PoolClient } from 'pg';
import { FORWARD_COLUMNS, forwardFromRow, type ForwardRow as StoredForwardRow } from '../row-mapping.js';
import type { ForwardBacklog, ForwardEdit, NewForward, QueuedForward } from '../types.js';
import { checkLimit } from './event-queries.js';
import { inTransaction } from './log-queries.js';

type ForwardRow = StoredForwardRow<string[]>;

const SIZE = { name: 'facto_forward_queue_size', text: 'SELECT requests, bytes FROM forward_queue_size WHERE singleton = 0' };

/** The queue's size from its counter row, on `client` (inside a transaction) or the pool. */
export async function readForwardBacklog(client: pg.Pool | PoolClient): Promise<ForwardBacklog> {
  const row = (await client.query<ForwardBacklog>(SIZE)).rows[0];
  return { requests: row?.requests ?? 0, bytes: row?.bytes ?? 0 };
}

/** Locks the counter row before a transaction removes or rewrites queued rows (see FORWARD_QUEUE_SIZE_SCHEMA). */
async function lockSize(client: PoolClient): Promise<void> {
  await client.query({ name: 'facto_lock_forward_queue_size', text: 'SELECT 1 FROM forward_queue_size WHERE singleton = 0 FOR UPDATE' });
}

const COLUMNS = FORWARD_COLUMNS;
const fromRow = (row: ForwardRow): QueuedForward => forwardFromRow(row, (stored) => stored);
const bytes = (body: Uint8Array) => Buffer.from(body.buffer, body.byteOffset, body.byteLength);

/** Inserts a batch's forwards inside the caller's transaction, in their order (one statement). */
export async function insertForwards(client: PoolClient, forwards: readonly NewForward[]): Promise<void> {
  if (forwards.length === 0) return;
  await client.query({
    name: 'facto_insert_forwards',
    text: `INSERT INTO forward_queue (encoding, body, keep_json, queued_at, facto_ids)
      SELECT encoding, body, keep_json, queued_at, facto_ids::jsonb
      FROM unnest($1::text[], $2::bytea[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS given (encoding, body, keep_json, queued_at, facto_ids, position)
      ORDER BY position`,
    values: [
      forwards.map((forward) => forward.encoding), forwards.map((forward) => bytes(forward.body)), forwards.map((forward) => forward.keepJson),
      forwards.map((forward) => forward.queuedAt), forwards.map((forward) => JSON.stringify(forward.factoIds)),
    ],
  });
}

/** Applies an erasure's rewrites inside the caller's transaction; a request delivered meanwhile is gone already. */
export async function editForwards(client: PoolClient, edits: readonly ForwardEdit[]): Promise<void> {
  if (edits.length > 0) await lockSize(client);
  for (const { id, replacement } of edits) {
    if (replacement === null) await client.query({ name: 'facto_remove_forward', text: 'DELETE FROM forward_queue WHERE id = $1', values: [id] });
    else {
      await client.query({
        name: 'facto_rewrite_forward',
        text: 'UPDATE forward_queue SET body = $1, keep_json = $2, facto_ids = $3::jsonb WHERE id = $4',
        values: [bytes(replacement.body), replacement.keepJson, JSON.stringify(replacement.factoIds), id],
      });
    }
  }
}

export function createForwardQueue(pool: pg.Pool) {
  return {
    list: async (afterId: number, limit: number): Promise<QueuedForward[]> => {
      checkLimit(limit, 'Forward queue');
      const result = await pool.query<ForwardRow>({ name: 'facto_list_forwards', text: `SELECT ${COLUMNS} FROM forward_queue WHERE id > $1 ORDER BY id LIMIT $2`, values: [afterId, limit] });
      return result.rows.map(fromRow);
    },
    holding: async (factoIds: readonly string[]): Promise<QueuedForward[]> => {
      if (factoIds.length === 0) return [];
      const result = await pool.query<ForwardRow>({ name: 'facto_forwards_holding', text: `SELECT ${COLUMNS} FROM forward_queue WHERE facto_ids ?| $1::text[] ORDER BY id`, values: [factoIds] });
      return result.rows.map(fromRow);
    },
    listIds: async (afterId: number, limit: number): Promise<number[]> => {
      checkLimit(limit, 'Forward queue');
      const result = await pool.query<{ id: number }>({ name: 'facto_list_forward_ids', text: 'SELECT id FROM forward_queue WHERE id > $1 ORDER BY id LIMIT $2', values: [afterId, limit] });
      return result.rows.map((row) => row.id);
    },
    get: async (id: number): Promise<QueuedForward | null> => {
      const row = (await pool.query<ForwardRow>({ name: 'facto_get_forward', text: `SELECT ${COLUMNS} FROM forward_queue WHERE id = $1`, values: [id] })).rows[0];
      return row === undefined ? null : fromRow(row);
    },
    delete: async (ids: readonly number[]): Promise<ForwardBacklog> => {
      if (ids.length === 0) return { requests: 0, bytes: 0 };
      const removed = await inTransaction(pool, async (client) => {
        await lockSize(client);
        return client.query<{ bytes: number }>({ name: 'facto_delete_forwards', text: 'DELETE FROM forward_queue WHERE id = ANY($1::bigint[]) RETURNING octet_length(body) AS bytes', values: [ids] });
      });
      return { requests: removed.rows.length, bytes: removed.rows.reduce((sum, row) => sum + row.bytes, 0) };
    },
    backlog: (): Promise<ForwardBacklog> => readForwardBacklog(pool),
  };
}
