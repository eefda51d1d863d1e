/**
 * Opens the SQLite file with the settings the log's promises rest on. WAL lets readers (queries,
 * proofs) run beside the single writer; synchronous=FULL makes every commit fsync the WAL before it
 * returns, so an acknowledged span survives kill -9 and power loss (NORMAL survives a process crash
 * but may lose the last commits on power loss, and is offered for benchmarks and throwaway logs).
 */
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';
import { createPrivateFile, makeFolders } from '../../ops/make-folders.js';
import { realFilePath } from './owner-lock.js';

export type SynchronousMode = 'FULL' | 'NORMAL';

export interface OpenDatabaseOptions {
  readonly path: string;
  readonly synchronous: SynchronousMode;
}

/** How long a statement waits for another connection's lock (a backup, the sqlite3 shell) before SQLITE_BUSY, which becomes a 503. */
const BUSY_TIMEOUT_MS = 5_000;

const IN_MEMORY = ':memory:';

export function openDatabase(options: OpenDatabaseOptions): Database.Database {
  if (options.path !== IN_MEMORY) {
    // The folder and the file for this user only (make-folders.ts), when they are made here.
    makeFolders(dirname(resolve(options.path)), 0o700);
    // Through a symbolic link, the file SQLite will create is the link's target.
    createPrivateFile(realFilePath(resolve(options.path)));
  }
  const database = new Database(options.path, { timeout: BUSY_TIMEOUT_MS });
  try {
    // The first statement reads the file header, so a file that is not a database fails here.
    const journalMode = database.pragma('journal_mode = WAL', { simple: true });
    if (journalMode !== 'wal' && options.path !== IN_MEMORY) {
      throw new StoreUnavailableError(`SQLite store at ${options.path}: could not switch to WAL journaling (got ${String(journalMode)}); is the file on a network file system?`);
    }
    database.pragma(`synchronous = ${options.synchronous}`);
    database.pragma('foreign_keys = ON');
    // Erasure rewrites an event's body without its content: zero the old cell rather than leave it in a free page.
    database.pragma('secure_delete = ON');
    return database;
  } catch (error) {
    database.close();
    throw error;
  }
}
