/**
 * One process owns a SQLite log. The collector sequences commits against the log head it keeps in
 * memory and decides trust on first use from the key registry it keeps in memory, so a second process
 * on the same file races it: its commits are refused as made on a stale head, the gap sweep fails, and
 * each process pins its own first key for an agent. PostgreSQL sequences several processes with a
 * cross-process lock (docs/scale-out.md); SQLite has no such design, so the store takes an owner lock.
 *
 * The lock is a companion file beside the database, `<real path>-lock`: a tiny SQLite database this
 * process holds an exclusive lock on for as long as the store is open (locking_mode=EXCLUSIVE and a
 * write transaction left open). It is an operating-system lock (fcntl), so it goes with the process,
 * kill -9 included: the file stays behind but locks nothing, and a restart takes it at once. The real
 * path (symlinks resolved) names it, so `./x.db`, `x.db` and a symlink to it share one lock. The
 * database file itself is not locked beyond SQLite's usual WAL locks: the sqlite3 shell, backups and
 * read-only tools open it while the collector runs.
 *
 * The holder writes its pid in the lock file's header (user_version, bytes 60 to 63), which a refused
 * process reads as plain bytes to name it: reading through SQLite would need the lock. Never from
 * within the holding process, though: closing any descriptor of a file drops every fcntl lock the
 * process holds on it, so a process first looks in its own list of held locks.
 */
import { closeSync, openSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';
import { createPrivateFile, makeFolders } from '../../ops/make-folders.js';

export interface OwnerLock {
  /** The companion file that carries the lock. */
  readonly path: string;
  /** Gives the lock up (idempotent); the file stays, unlocked. */
  release(): void;
}

/**
 * How long a start waits for the lock: long enough that two processes starting together cannot both
 * give up on each other's brief hold, short enough that a refusal is immediate to a person.
 */
const WAIT_MILLIS = 250;

/** Locks this process holds, by lock path. Shared through globalThis so that two copies of this module in one process agree. */
const held: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('facto.sqlite.ownerLocks')] ??= new Set<string>()) as Set<string>;

/** The lock file for a database path: beside the real file, so every name for one database gives one lock. The folder is created if missing. */
export function ownerLockPath(databasePath: string): string {
  const absolute = resolve(databasePath);
  makeFolders(dirname(absolute), 0o700);
  return `${realFilePath(absolute)}-lock`;
}

/** realpath, also for a file not created yet, and through a symlink to one (as SQLite will follow it to create the file). */
export function realFilePath(absolute: string, depth = 0): string {
  try {
    return realpathSync(absolute);
  } catch {
    // Not there: a dangling symlink names the file SQLite will create; otherwise the name is what it will be, in its real folder.
    let target: string | undefined;
    try {
      target = readlinkSync(absolute);
    } catch {
      target = undefined;
    }
    if (target !== undefined && depth < 40) return realFilePath(resolve(dirname(absolute), target), depth + 1);
    return join(realpathSync(dirname(absolute)), basename(absolute));
  }
}

/** Takes the owner lock for the database at `databasePath`, or throws a StoreUnavailableError that names the holder. */
export function acquireOwnerLock(databasePath: string): OwnerLock {
  const path = ownerLockPath(databasePath);
  if (held.has(path)) throw inUse(databasePath, path, process.pid);
  // 0600: another local user who can open the lock file can hold it, and keep the collector from starting.
  createPrivateFile(path);
  const connection = new Database(path, { timeout: WAIT_MILLIS });
  try {
    connection.pragma('locking_mode = EXCLUSIVE');
    connection.exec('BEGIN EXCLUSIVE');
    connection.pragma(`user_version = ${process.pid}`);
    // In EXCLUSIVE locking mode the commit keeps the lock; the transaction opened after it holds it explicitly.
    connection.exec('COMMIT');
    connection.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    connection.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw inUse(databasePath, path, readHolderPid(path));
    throw new StoreUnavailableError(`SQLite store at ${databasePath}: could not take the owner lock ${path}: ${(error as Error).message}`, { cause: error });
  }
  held.add(path);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      connection.close();
      held.delete(path);
    },
  };
}

/** The pid in the lock file's header, or null when the file is not (yet) one this module wrote. */
function readHolderPid(path: string): number | null {
  const header = Buffer.alloc(100);
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    if (readSync(descriptor, header, 0, header.length, 0) < header.length) return null;
  } catch {
    return null;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
  if (header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return null;
  const pid = header.readInt32BE(60);
  return pid > 0 ? pid : null;
}

/** Whether a process with this pid runs on this machine (one of another user's counts). */
function runsHere(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const REMEDY = 'A SQLite log has one owner: stop that process first, or use PostgreSQL (--db postgres://...) to run several collectors on one log (docs/scale-out.md).';

function inUse(databasePath: string, lockPath: string, pid: number | null): StoreUnavailableError {
  let who: string;
  if (pid === process.pid) who = `another collector in this process (pid ${pid}) is using ${databasePath}`;
  else if (pid === null) who = `another collector process is using ${databasePath} (pid unknown)`;
  else if (runsHere(pid)) who = `another collector process is using ${databasePath} (pid ${pid})`;
  else {
    who =
      `another collector process is using ${databasePath}: the lock names pid ${pid}, which is not running on this machine, so the holder is` +
      ' probably on another machine sharing the file over a network file system (keep a SQLite log on a local disk)';
  }
  return new StoreUnavailableError(`${who}; it holds the lock on ${lockPath}. ${REMEDY}`);
}
