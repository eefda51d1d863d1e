/**
 * Reads of the Merkle log (tree size, nodes, log entries) and the checkpoint head. Proofs fetch
 * their nodes in one call, so getNodes answers a whole list with one statement per 256 ids; the
 * statement for each padded chunk size (1, 2, 4 ... 256) is prepared once and kept, which bounds the
 * cache at nine statements while staying under SQLite's limit on bound parameters.
 */
import { FactoError, type NodeId } from '@facto/core';
import type Database from 'better-sqlite3';
import { checkCheckpointWrite } from '../checkpoint-head.js';
import { StoreUnavailableError } from '../errors.js';
import type { Checkpoint, LogEntry } from '../types.js';
import { checkpointFromRow, type CheckpointRow, logEntryFromRow, type LogEntryRow } from './rows.js';

export interface LogReader {
  treeSize(): number;
  getNodes(ids: readonly NodeId[]): Uint8Array[];
  getLogEntry(leafIndex: number): LogEntry | null;
  putCheckpoint(checkpoint: Checkpoint, expectedLatest: Checkpoint | null): void;
  getCheckpoint(treeSize: number): Checkpoint | null;
  latestCheckpoint(): Checkpoint | null;
}

const NODE_CHUNK = 256;

const nodeKey = (level: number, index: number) => `${level}/${index}`;

function paddedChunkSize(count: number): number {
  let size = 1;
  while (size < count) size *= 2;
  return size;
}

/**
 * Checks, in O(log n), that the log head agrees with the stored leaves: the last leaf is at
 * tree size - 1 and its node is stored. Run at open, it turns a damaged or truncated file (whose last
 * pages hold exactly these rows) into a clear refusal instead of a failure at the first proof.
 */
export function checkLogHead(database: Database.Database, path: string): void {
  const row = database
    .prepare<[], { tree_size: number | null; last_leaf: number | null; has_last_node: number }>(`SELECT
      (SELECT tree_size FROM log_head WHERE singleton = 0) AS tree_size,
      max(coalesce((SELECT max(leaf_index) FROM events), -1), coalesce((SELECT max(leaf_index) FROM log_entries), -1)) AS last_leaf,
      EXISTS (SELECT 1 FROM merkle_nodes WHERE level = 0 AND idx = (SELECT tree_size FROM log_head) - 1) AS has_last_node`)
    .get();
  const treeSize = row?.tree_size ?? null;
  if (treeSize === null) throw new StoreUnavailableError(`SQLite store at ${path} is damaged: the log_head row holding the tree size is missing; restore it from a backup`);
  const problems: string[] = [];
  const lastLeaf = row?.last_leaf ?? -1;
  if (lastLeaf !== treeSize - 1) problems.push(`the stored leaves end at index ${lastLeaf}`);
  if (treeSize > 0 && row?.has_last_node !== 1) problems.push(`Merkle node (level 0, index ${treeSize - 1}) is missing`);
  if (problems.length > 0) {
    throw new StoreUnavailableError(`SQLite store at ${path} is damaged: the log head says tree size ${treeSize}, but ${problems.join(' and ')}; restore it from a backup`);
  }
}

export function createLogReader(database: Database.Database): LogReader {
  const readTreeSize = database.prepare<[], { tree_size: number }>('SELECT tree_size FROM log_head WHERE singleton = 0');
  const nodeStatements = new Map<number, Database.Statement<number[], { level: number; idx: number; hash: Uint8Array }>>();
  const logEntry = database.prepare<[number], LogEntryRow>('SELECT leaf_index, kind, hash, entry_json, signature, created_at FROM log_entries WHERE leaf_index = ?');
  const checkpointAt = database.prepare<[number], CheckpointRow>('SELECT tree_size, root_hash, note, created_at FROM checkpoints WHERE tree_size = ?');
  const newestCheckpoint = database.prepare<[], CheckpointRow>('SELECT tree_size, root_hash, note, created_at FROM checkpoints ORDER BY tree_size DESC LIMIT 1');
  const insertCheckpoint = database.prepare<[number, string, string, number]>('INSERT INTO checkpoints (tree_size, root_hash, note, created_at) VALUES (?, ?, ?, ?)');

  function nodeStatement(size: number) {
    let statement = nodeStatements.get(size);
    if (statement === undefined) {
      const pairs = Array.from({ length: size }, () => '(?, ?)').join(', ');
      statement = database.prepare<number[], { level: number; idx: number; hash: Uint8Array }>(
        `SELECT level, idx, hash FROM merkle_nodes WHERE (level, idx) IN (VALUES ${pairs})`,
      );
      nodeStatements.set(size, statement);
    }
    return statement;
  }

  function getNodes(ids: readonly NodeId[]): Uint8Array[] {
    for (const id of ids) {
      if (!Number.isSafeInteger(id?.level) || !Number.isSafeInteger(id?.index) || id.level < 0 || id.index < 0) {
        throw new FactoError('invalid_argument', `Merkle node ids need a non-negative integer level and index, got ${JSON.stringify(id)}`);
      }
    }
    const found = new Map<string, Uint8Array>();
    for (let start = 0; start < ids.length; start += NODE_CHUNK) {
      const chunk = ids.slice(start, start + NODE_CHUNK);
      const size = paddedChunkSize(chunk.length);
      const parameters: number[] = [];
      // Padding repeats the chunk's last id; IN ignores the repeats.
      for (let position = 0; position < size; position++) {
        const id = chunk[Math.min(position, chunk.length - 1)] as NodeId;
        parameters.push(id.level, id.index);
      }
      for (const row of nodeStatement(size).all(...parameters)) {
        // A view, not a Buffer: callers get a plain Uint8Array whose slice() copies as usual.
        found.set(nodeKey(row.level, row.idx), new Uint8Array(row.hash.buffer, row.hash.byteOffset, row.hash.byteLength));
      }
    }
    return ids.map((id) => {
      const hash = found.get(nodeKey(id.level, id.index));
      if (hash === undefined) throw new FactoError('proof', `Merkle node (level ${id.level}, index ${id.index}) is not stored`);
      return hash;
    });
  }

  // Immediate: the newest checkpoint is read under the write lock, so the compare-and-swap holds against other connections.
  const putCheckpoint = database.transaction((checkpoint: Checkpoint, expectedLatest: Checkpoint | null) => {
    const newest = newestCheckpoint.get();
    if (checkCheckpointWrite(checkpoint, expectedLatest, newest === undefined ? null : checkpointFromRow(newest)) === 'insert') {
      insertCheckpoint.run(checkpoint.treeSize, checkpoint.rootHash, checkpoint.note, checkpoint.createdAt);
    }
  });

  return {
    treeSize: () => {
      const row = readTreeSize.get();
      if (row === undefined) throw new StoreUnavailableError('SQLite store is damaged: the log_head row holding the tree size is missing');
      return row.tree_size;
    },
    getNodes,
    getLogEntry: (leafIndex) => {
      const row = logEntry.get(leafIndex);
      return row === undefined ? null : logEntryFromRow(row);
    },
    putCheckpoint: (checkpoint, expectedLatest) => putCheckpoint.immediate(checkpoint, expectedLatest),
    getCheckpoint: (treeSize) => {
      const row = checkpointAt.get(treeSize);
      return row === undefined ? null : checkpointFromRow(row);
    },
    latestCheckpoint: () => {
      const row = newestCheckpoint.get();
      return row === undefined ? null : checkpointFromRow(row);
    },
  };
}
