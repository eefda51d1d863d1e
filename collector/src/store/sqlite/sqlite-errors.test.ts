import { FactoError } from '@facto/core';
import { describe, expect, it } from 'vitest';
import { StoreConflictError, StoreRefusedError, StoreUnavailableError } from '../errors.js';
import { toStoreError } from './sqlite-errors.js';

function sqliteError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code });
}

describe('toStoreError', () => {
  it.each(['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CORRUPT', 'SQLITE_NOTADB'])(
    'turns %s into StoreUnavailableError that keeps the cause and names the path',
    (code) => {
      const cause = sqliteError(code);
      const mapped = toStoreError(cause, 'committing a batch', '/data/facto.db') as Error;
      expect(mapped).toBeInstanceOf(StoreUnavailableError);
      expect(mapped.cause).toBe(cause);
      expect(mapped.message).toContain('/data/facto.db');
      expect(mapped.message).toContain(code);
    },
  );

  it.each(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_CONSTRAINT_DATATYPE', 'SQLITE_TOOBIG'])('turns %s into a StoreRefusedError (an invalid_argument FactoError)', (code) => {
    const mapped = toStoreError(sqliteError(code), 'committing a batch', 'x.db');
    expect(FactoError.isInstance(mapped) && mapped.code).toBe('invalid_argument');
    expect(StoreRefusedError.isInstance(mapped)).toBe(true);
  });

  it('turns a file-system failure into StoreUnavailableError and passes everything else through', () => {
    const system = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', syscall: 'mkdir' });
    expect(toStoreError(system, 'opening the database', 'x.db')).toBeInstanceOf(StoreUnavailableError);
    const conflict = new StoreConflictError('moved');
    expect(toStoreError(conflict, 'committing a batch', 'x.db')).toBe(conflict);
    const bug = sqliteError('SQLITE_ERROR');
    expect(toStoreError(bug, 'reading', 'x.db')).toBe(bug);
    const plain = new TypeError('not a function');
    expect(toStoreError(plain, 'reading', 'x.db')).toBe(plain);
  });
});
