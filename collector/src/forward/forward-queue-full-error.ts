/**
 * Back-pressure from the forwarder: a request it could not hold, because its queue is full (by count
 * or by bytes) or it is shutting down. The ingest route answers 503 + Retry-After when the request
 * holds spans kept nowhere but that queue, and otherwise lets the downstream copy go. Recognised by
 * its Symbol.for marker, as FactoError is, so `isInstance` holds across duplicate package copies.
 */
import { FactoError } from '@facto/core';

const queueFullMarker = Symbol.for('facto.forward.queue_full');

export class ForwardQueueFullError extends FactoError {
  readonly [queueFullMarker] = true;

  constructor(message: string) {
    super('unavailable', message);
    this.name = 'ForwardQueueFullError';
  }

  static override isInstance(error: unknown): error is ForwardQueueFullError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[queueFullMarker] === true;
  }
}
