/**
 * Translates SQLite failures into the store's error vocabulary. The collector answers 503 with
 * Retry-After for a StoreUnavailableError and acknowledges nothing, so every failure that says "the
 * storage cannot take this right now" (disk full, I/O error, lock held too long, file unreadable or
 * corrupt) must arrive as one. A constraint violation means the batch itself broke an invariant of
 * the log (a facto_id or hash stored twice, an erasure pointing at no entry): retrying cannot help,
 * and it is the caller's bug, not the client's, so it becomes a StoreRefusedError (a 500 with no
 * details for the client; the details go to the operator's log).
 */
import { FactoError } from '@facto/core';
import { StoreRefusedError, StoreUnavailableError } from '../errors.js';

/** Primary result codes (better-sqlite3 reports extended codes such as SQLITE_IOERR_WRITE) that mean the storage is unusable for now. */
const UNAVAILABLE_CODES = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM'];

/** Damage to the file itself: retrying will not help, but nothing can be written either, so it is still 503 and an operator's job. */
const CORRUPT_CODES = ['SQLITE_CORRUPT', 'SQLITE_NOTADB'];

/** The batch itself is at fault: a uniqueness or foreign-key rule broken, a value of the wrong type or too large. */
const REFUSED_CODES = ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG'];

function hasPrimaryCode(code: string, primaries: readonly string[]): boolean {
  return primaries.some((primary) => code === primary || code.startsWith(`${primary}_`));
}

function sqliteCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/**
 * Returns the error to throw for a failure during `operation` (a phrase such as "committing a batch").
 * FactoErrors pass through unchanged, and so does any other failure, SQLite's included, that fits
 * none of the cases above: it is a bug (a malformed statement, say), and a 500 is the honest answer.
 */
export function toStoreError(error: unknown, operation: string, path: string): unknown {
  if (FactoError.isInstance(error)) return error;
  const code = sqliteCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (code === null) {
    // A Node system error (it names its syscall) comes from the file system, e.g. creating the folder.
    const isSystemError = typeof error === 'object' && error !== null && typeof (error as { syscall?: unknown }).syscall === 'string';
    return isSystemError ? new StoreUnavailableError(`SQLite store at ${path}: ${operation} failed: ${reason}`, { cause: error }) : error;
  }
  if (hasPrimaryCode(code, CORRUPT_CODES)) {
    return new StoreUnavailableError(
      `SQLite store at ${path}: ${operation} failed because the file is not a valid SQLite database or is damaged (${code}: ${reason}); restore it from a backup or point the collector at another path`,
      { cause: error, damaged: true },
    );
  }
  if (hasPrimaryCode(code, UNAVAILABLE_CODES)) {
    return new StoreUnavailableError(`SQLite store at ${path}: ${operation} failed (${code}: ${reason})`, { cause: error });
  }
  if (hasPrimaryCode(code, REFUSED_CODES)) {
    return new StoreRefusedError(`SQLite store at ${path}: ${operation} refused: ${reason} (${code})`, { cause: error });
  }
  return error;
}
