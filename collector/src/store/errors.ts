/**
 * Storage failures the collector must tell apart: a conflict (another sequencer moved the tree head,
 * retry after reloading), and unavailability (disk full, database down: answer 503 + Retry-After and
 * lose nothing, since nothing was acknowledged).
 */
import { FactoError } from '@facto/core';

export class StoreConflictError extends FactoError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'StoreConflictError';
  }
}

export class StoreUnavailableError extends FactoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
    this.name = 'StoreUnavailableError';
  }
}
