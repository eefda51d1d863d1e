/**
 * The forward queue on PostgreSQL (schema 4): requests waiting to be passed on downstream, inserted
 * by writeBatch in the transaction that stores their spans, read oldest first and deleted once
 * delivered or given up. Every process on the database inserts; the leader delivers. Ids come from
 * an identity column inside the sequencer lock's transaction, so they grow in commit order and the
 * leader can read on from the last id it saw.
 */
import type pg from 'pg';
import type { PoolClient } from 'pg';
import type { ForwardBacklog, NewForward, QueuedForward } from '../types.js';
import { checkLimit } from './event-queries.js';

export const FORWARD_QUEUE_SCHEMA = `CREATE TABLE forward_queue (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  encoding text NOT NULL CHECK (encoding IN ('protobuf', 'json')),
  body bytea NOT NULL,
  keep_json text,
  queued_at bigint NOT NULL
);`;

interface ForwardRow {
  id: number;
  encoding: 'protobuf' | 'json';
  body: Buffer;
  keep_json: string | null;
  queued_at: number;
}

/** Inserts a batch's forwards inside the caller's transaction, in their order (one statement). */
export async function insertForwards(client: PoolClient, forwards: readonly NewForward[]): Promise<void> {
  if (forwards.length === 0) return;
  await client.query({
    name: 'facto_insert_forwards',
    text: `INSERT INTO forward_queue (encoding, body, keep_json, queued_at)
      SELECT encoding, body, keep_json, queued_at FROM unnest($1::text[], $2::bytea[], $3::text[], $4::bigint[]) WITH ORDINALITY AS given (encoding, body, keep_json, queued_at, position)
      ORDER BY position`,
    values: [forwards.map((forward) => forward.encoding), forwards.map((forward) => Buffer.from(forward.body.buffer, forward.body.byteOffset, forward.body.byteLength)), forwards.map((forward) => forward.keepJson), forwards.map((forward) => forward.queuedAt)],
  });
}

export function createForwardQueue(pool: pg.Pool) {
  return {
    list: async (afterId: number, limit: number): Promise<QueuedForward[]> => {
      checkLimit(limit, 'Forward queue');
      const result = await pool.query<ForwardRow>({ name: 'facto_list_forwards', text: 'SELECT id, encoding, body, keep_json, queued_at FROM forward_queue WHERE id > $1 ORDER BY id LIMIT $2', values: [afterId, limit] });
      return result.rows.map((row) => ({ id: row.id, encoding: row.encoding, body: row.body, keepJson: row.keep_json, queuedAt: row.queued_at }));
    },
    delete: async (ids: readonly number[]): Promise<void> => {
      if (ids.length > 0) await pool.query({ name: 'facto_delete_forwards', text: 'DELETE FROM forward_queue WHERE id = ANY($1::bigint[])', values: [ids] });
    },
    backlog: async (): Promise<ForwardBacklog> => {
      const row = (await pool.query<{ requests: number; bytes: number | null }>({ name: 'facto_forward_backlog', text: 'SELECT count(*) AS requests, sum(octet_length(body))::bigint AS bytes FROM forward_queue' })).rows[0];
      return { requests: row?.requests ?? 0, bytes: row?.bytes ?? 0 };
    },
  };
}
