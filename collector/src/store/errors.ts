/**
 * Storage failures the collector must tell apart: a conflict (another sequencer moved the tree head,
 * retry after reloading), unavailability (disk full, database down: answer 503 + Retry-After and
 * lose nothing, since nothing was acknowledged), and a refusal (a write broke a rule of the schema:
 * a bug of the caller, never the client's doing). Each is recognised by its own Symbol.for marker,
 * as FactoError is, so `isInstance` holds across duplicate copies of the package. Their messages name
 * files and statements for the operator's log; the HTTP layer never sends them to a client.
 */
import { FactoError } from '@facto/core';

const conflictMarker = Symbol.for('facto.store.conflict');
const unavailableMarker = Symbol.for('facto.store.unavailable');
const refusedMarker = Symbol.for('facto.store.refused');

function hasMarker(error: unknown, marker: symbol): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
}

export class StoreConflictError extends FactoError {
  readonly [conflictMarker] = true;

  constructor(message: string) {
    super('conflict', message);
    this.name = 'StoreConflictError';
  }

  static override isInstance(error: unknown): error is StoreConflictError {
    return hasMarker(error, conflictMarker);
  }
}

export class StoreUnavailableError extends FactoError {
  readonly [unavailableMarker] = true;
  /**
   * Damage to what is stored (SQLITE_CORRUPT, a record that does not decode), not a store that is
   * down: it will not pass by itself. Still a 503 (an exporter keeps its spans and retries while an
   * operator restores the database), but one damaged row does not mark the whole store unready, and
   * the forwarder gives up a queued request whose row is damaged instead of waiting on it for ever.
   */
  readonly damaged: boolean;

  constructor(message: string, options?: { cause?: unknown; damaged?: boolean }) {
    super('unavailable', message, options);
    this.name = 'StoreUnavailableError';
    this.damaged = options?.damaged ?? false;
  }

  static override isInstance(error: unknown): error is StoreUnavailableError {
    return hasMarker(error, unavailableMarker);
  }
}

export class StoreRefusedError extends FactoError {
  readonly [refusedMarker] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_argument', message, options);
    this.name = 'StoreRefusedError';
  }

  static override isInstance(error: unknown): error is StoreRefusedError {
    return hasMarker(error, refusedMarker);
  }
}
