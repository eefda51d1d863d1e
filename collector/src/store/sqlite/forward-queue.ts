/**
 * The forward queue in SQLite (schema 6): requests waiting to be passed on downstream. commit-batch.ts
 * inserts them in the transaction that stores their spans; the forwarder reads them oldest first and
 * deletes each once delivered or given up. AUTOINCREMENT, so an id is never handed out twice even
 * after the newest row is deleted: the forwarder reads on from the last id it saw. `facto_ids` (a JSON
 * array) names the signed spans a request carries, so an erasure finds the requests to rewrite.
 */
import type Database from 'better-sqlite3';
import { FORWARD_COLUMNS, forwardFromRow, type ForwardRow as StoredForwardRow } from '../row-mapping.js';
import type { ForwardBacklog, ForwardEdit, NewForward, QueuedForward } from '../types.js';
import { checkLimit } from './event-queries.js';

export const FORWARD_QUEUE_SCHEMA = `
CREATE TABLE forward_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  encoding TEXT NOT NULL CHECK (encoding IN ('protobuf', 'json')),
  body BLOB NOT NULL,
  keep_json TEXT,
  queued_at INTEGER NOT NULL,
  facto_ids TEXT NOT NULL
) STRICT;`;

type ForwardRow = StoredForwardRow<string>;

export interface ForwardQueue {
  list(afterId: number, limit: number): QueuedForward[];
  listIds(afterId: number, limit: number): number[];
  get(id: number): QueuedForward | null;
  holding(factoIds: readonly string[]): QueuedForward[];
  delete(ids: readonly number[]): ForwardBacklog;
  backlog(): ForwardBacklog;
}

const COLUMNS = FORWARD_COLUMNS;
const fromRow = (row: ForwardRow): QueuedForward => forwardFromRow(row, (stored) => JSON.parse(stored) as string[]);

/** The statements commit-batch.ts runs inside a batch's transaction: new requests, and erasures' rewrites. */
export function createForwardWriter(database: Database.Database): { insert(forward: NewForward): void; edit(edit: ForwardEdit): void } {
  const insert = database.prepare<[string, Uint8Array, string | null, number, string]>('INSERT INTO forward_queue (encoding, body, keep_json, queued_at, facto_ids) VALUES (?, ?, ?, ?, ?)');
  const rewrite = database.prepare<[Uint8Array, string | null, string, number]>('UPDATE forward_queue SET body = ?, keep_json = ?, facto_ids = ? WHERE id = ?');
  const remove = database.prepare<[number]>('DELETE FROM forward_queue WHERE id = ?');
  return {
    insert: (forward) => void insert.run(forward.encoding, forward.body, forward.keepJson, forward.queuedAt, JSON.stringify(forward.factoIds)),
    // A request delivered meanwhile is gone already: nothing to do.
    edit: ({ id, replacement }) => void (replacement === null ? remove.run(id) : rewrite.run(replacement.body, replacement.keepJson, JSON.stringify(replacement.factoIds), id)),
  };
}

export function createForwardQueue(database: Database.Database): ForwardQueue {
  const list = database.prepare<[number, number], ForwardRow>(`SELECT ${COLUMNS} FROM forward_queue WHERE id > ? ORDER BY id LIMIT ?`);
  // The queue is bounded (--forward-queue-size), and erasures are rare: a scan of its id lists will do.
  const holding = database.prepare<[string], ForwardRow>(
    `SELECT ${COLUMNS} FROM forward_queue WHERE EXISTS (SELECT 1 FROM json_each(forward_queue.facto_ids) AS held WHERE held.value IN (SELECT value FROM json_each(?))) ORDER BY id`,
  );
  const listIds = database.prepare<[number, number], { id: number }>('SELECT id FROM forward_queue WHERE id > ? ORDER BY id LIMIT ?');
  const one = database.prepare<[number], ForwardRow>(`SELECT ${COLUMNS} FROM forward_queue WHERE id = ?`);
  const remove = database.prepare<[number], { bytes: number }>('DELETE FROM forward_queue WHERE id = ? RETURNING length(body) AS bytes');
  const removeAll = database.transaction((ids: readonly number[]): ForwardBacklog => {
    let requests = 0;
    let bytes = 0;
    for (const id of ids) {
      const removed = remove.get(id);
      if (removed === undefined) continue;
      requests++;
      bytes += removed.bytes;
    }
    return { requests, bytes };
  });
  const backlog = database.prepare<[], { requests: number; bytes: number | null }>('SELECT count(*) AS requests, sum(length(body)) AS bytes FROM forward_queue');
  return {
    list(afterId, limit) {
      checkLimit(limit, 'Forward queue');
      return list.all(afterId, limit).map(fromRow);
    },
    listIds(afterId, limit) {
      checkLimit(limit, 'Forward queue');
      return listIds.all(afterId, limit).map((row) => row.id);
    },
    get(id) {
      const row = one.get(id);
      return row === undefined ? null : fromRow(row);
    },
    holding(factoIds) {
      return factoIds.length === 0 ? [] : holding.all(JSON.stringify(factoIds)).map(fromRow);
    },
    delete(ids) {
      return ids.length === 0 ? { requests: 0, bytes: 0 } : removeAll.immediate(ids);
    },
    backlog() {
      const row = backlog.get()!;
      return { requests: row.requests, bytes: row.bytes ?? 0 };
    },
  };
}
