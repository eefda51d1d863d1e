/**
 * Every error Facto throws extends FactoError. The class is recognised by a Symbol.for marker rather
 * than by instanceof, so `FactoError.isInstance(error)` holds even when two copies of @facto/core are
 * installed side by side (a common situation in monorepos and bundled agents).
 */
const marker = Symbol.for('facto.error');

export type FactoErrorCode =
  | 'invalid_argument'
  | 'canonicalization'
  | 'key_format'
  | 'record_format'
  | 'note_format'
  | 'proof'
  | 'bundle_format'
  | 'conflict'
  | 'unavailable';

export class FactoError extends Error {
  readonly [marker] = true;
  readonly code: FactoErrorCode;

  constructor(code: FactoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FactoError';
    this.code = code;
  }

  static isInstance(error: unknown): error is FactoError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}

/** Input of the wrong type (not bytes where bytes are required, say). Mirrors noble's TypeError use. */
export function typeError(message: string): TypeError {
  return new TypeError(message);
}
