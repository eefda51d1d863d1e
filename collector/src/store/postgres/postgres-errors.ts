/**
 * Translates PostgreSQL and connection failures into the store's error vocabulary, with messages
 * that name the server by a redacted target (user@host:port/database, never the password) so they
 * can go to the operator's log as they are. Unavailable (503 + Retry-After, nothing acknowledged):
 * the server is unreachable, restarting, out of disk or connections, a lock wait or statement timed
 * out, a transaction was chosen as a deadlock or serialization victim. Credentials refused and a
 * missing database are unavailable too, with a message that says what to fix: the collector cannot
 * work until an operator does. A broken integrity rule (unique, foreign key, check) or a value the
 * schema refuses is the batch's fault: StoreRefusedError.
 */
import { FactoError } from '@facto/core';
import { StoreRefusedError, StoreUnavailableError } from '../errors.js';

/** Node socket errors that mean the server cannot be reached or dropped the connection. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT']);

/** What pg says, without a code, when a connection ends under it or cannot be had in time. */
const CONNECTION_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /Client was closed/i, /not queryable/i];

/** SQLSTATE classes and codes: https://www.postgresql.org/docs/current/errcodes-appendix.html */
function classify(sqlState: string): 'unavailable' | 'credentials' | 'no_database' | 'refused' | undefined {
  if (sqlState === '28P01' || sqlState === '28000') return 'credentials';
  if (sqlState === '3D000') return 'no_database';
  const errorClass = sqlState.slice(0, 2);
  // 08 connection exception, 53 insufficient resources (disk full, too many connections), 57P0x
  // server shutting down or starting, 40 rollback (serialization failure, deadlock), 55P03 lock
  // timeout, 57014 statement timeout, 25P03 idle-in-transaction timeout, 58 system error (I/O).
  if (['08', '53', '40', '58'].includes(errorClass) || ['57P01', '57P02', '57P03', '55P03', '57014', '25P03', '55006'].includes(sqlState)) return 'unavailable';
  // 23 integrity constraint (unique, foreign key, check, not null), 22 data exception (out of range, bad encoding).
  if (errorClass === '23' || errorClass === '22') return 'refused';
  return undefined;
}

function fields(error: unknown): { code?: string; message: string } {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : undefined, message: error instanceof Error ? error.message : String(error) };
}

/**
 * Returns the error to throw for a failure during `operation` (a phrase such as "committing a
 * batch") against `target` (redacted). FactoErrors pass through; anything unrecognised passes through
 * too, since it is a bug (a malformed statement, say) and a 500 is the honest answer.
 */
export function toStoreError(error: unknown, operation: string, target: string): unknown {
  if (FactoError.isInstance(error)) return error;
  const { code, message } = fields(error);
  if (code !== undefined && SOCKET_CODES.has(code)) {
    return new StoreUnavailableError(`PostgreSQL at ${target} is unreachable: ${operation} failed (${code}); is the server running and the address in --db right?`, { cause: error });
  }
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) {
    // pg's own words when --db asks for TLS (sslmode=require, …) and the server does not offer it.
    if (/does not support SSL connections/i.test(message)) {
      return new StoreUnavailableError(`PostgreSQL at ${target} does not accept TLS, which --db asks for (sslmode): ${operation} failed; enable ssl on the server, or change sslmode in --db`, { cause: error });
    }
    if (CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) {
      return new StoreUnavailableError(`PostgreSQL at ${target}: ${operation} failed, the connection was lost (${message})`, { cause: error });
    }
    return error;
  }
  switch (classify(code)) {
    case 'credentials':
      return new StoreUnavailableError(`PostgreSQL at ${target} refused the credentials (${code}): check the user and password given in --db or FACTO_DB, and pg_hba.conf`, { cause: error });
    case 'no_database':
      return new StoreUnavailableError(`PostgreSQL at ${target}: the database does not exist (${code}); create it (createdb) or name another in --db`, { cause: error });
    case 'unavailable':
      return new StoreUnavailableError(`PostgreSQL at ${target}: ${operation} failed (${code}: ${message})`, { cause: error });
    case 'refused':
      return new StoreRefusedError(`PostgreSQL at ${target}: ${operation} refused: ${message} (${code})`, { cause: error });
    default:
      return error;
  }
}
