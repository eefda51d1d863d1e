/**
 * Rules both OTLP encodings share, so that protobuf and JSON arrive at the same SpanFields or fail the
 * same way: id lengths, the all-zero invalid id, integer ranges and nesting depth.
 */
import { OtlpDecodeError } from './errors.js';

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;
/** Array and key-value nesting beyond this is refused; real attributes nest a level or two. */
export const MAX_VALUE_DEPTH = 32;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

const ALL_ZEROS = /^0+$/;

/**
 * Checks an id already spelled as lowercase hex. `optional` ids (the parent span id) may be empty; an
 * id of only zeros is invalid in OTLP, so it is refused rather than passed on as a real id.
 */
export function checkHexId(hex: string, byteLength: number, path: string, optional: boolean, describeLength: () => string): string {
  if (hex === '' && optional) return '';
  if (hex.length !== byteLength * 2) throw new OtlpDecodeError(path, describeLength());
  if (ALL_ZEROS.test(hex)) throw new OtlpDecodeError(path, 'must not be all zeros (an invalid id in OTLP)');
  return hex;
}

export function checkInt32(value: number, path: string): number {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new OtlpDecodeError(path, `expected a 32-bit integer, got ${value}`);
  }
  return value;
}

export function describeForError(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
