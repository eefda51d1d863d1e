/**
 * The one error OTLP decoding throws. Its message names the place in the request (for example
 * `resourceSpans[0].scopeSpans[1].spans[3].traceId`) and what was wrong there, so that the HTTP layer
 * can answer 400 with it verbatim and the sender can find the offending field.
 */
import { FactoError } from '@facto/core';

export class OtlpDecodeError extends FactoError {
  /** Where the problem is, in OTLP/JSON field names; '' for the body as a whole. */
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('invalid_argument', path === '' ? problem : `${path}: ${problem}`, options);
    this.name = 'OtlpDecodeError';
    this.path = path;
  }
}
