/**
 * The forward queue in SQLite (schema 6): requests waiting to be passed on downstream. commit-batch.ts
 * inserts them in the transaction that stores their spans; the forwarder reads them oldest first and
 * deletes each once delivered or given up. AUTOINCREMENT, so an id is never handed out twice even
 * after the newest row is deleted: the forwarder reads on from the last id it saw.
 */
import { FactoError } from '@facto/core';
import type Database from 'better-sqlite3';
import type { ForwardBacklog, NewForward, QueuedForward } from '../types.js';

export const FORWARD_QUEUE_SCHEMA = `
CREATE TABLE forward_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  encoding TEXT NOT NULL CHECK (encoding IN ('protobuf', 'json')),
  body BLOB NOT NULL,
  keep_json TEXT,
  queued_at INTEGER NOT NULL
) STRICT;`;

interface ForwardRow {
  id: number;
  encoding: 'protobuf' | 'json';
  body: Buffer;
  keep_json: string | null;
  queued_at: number;
}

export interface ForwardQueue {
  list(afterId: number, limit: number): QueuedForward[];
  delete(ids: readonly number[]): void;
  backlog(): ForwardBacklog;
}

export function createForwardInserter(database: Database.Database): (forward: NewForward) => void {
  const insert = database.prepare<[string, Uint8Array, string | null, number]>('INSERT INTO forward_queue (encoding, body, keep_json, queued_at) VALUES (?, ?, ?, ?)');
  return (forward) => void insert.run(forward.encoding, forward.body, forward.keepJson, forward.queuedAt);
}

export function createForwardQueue(database: Database.Database): ForwardQueue {
  const list = database.prepare<[number, number], ForwardRow>('SELECT id, encoding, body, keep_json, queued_at FROM forward_queue WHERE id > ? ORDER BY id LIMIT ?');
  const remove = database.prepare<[number]>('DELETE FROM forward_queue WHERE id = ?');
  const removeAll = database.transaction((ids: readonly number[]) => {
    for (const id of ids) remove.run(id);
  });
  const backlog = database.prepare<[], { requests: number; bytes: number | null }>('SELECT count(*) AS requests, sum(length(body)) AS bytes FROM forward_queue');
  return {
    list(afterId, limit) {
      if (!Number.isSafeInteger(limit) || limit < 0) throw new FactoError('invalid_argument', `forward queue limit must be a non-negative integer, got ${String(limit)}`);
      return list.all(afterId, limit).map((row) => ({ id: row.id, encoding: row.encoding, body: row.body, keepJson: row.keep_json, queuedAt: row.queued_at }));
    },
    delete(ids) {
      if (ids.length > 0) removeAll.immediate(ids);
    },
    backlog() {
      const row = backlog.get()!;
      return { requests: row.requests, bytes: row.bytes ?? 0 };
    },
  };
}
