/**
 * Byte helpers shared by every module: strict hex and base64 codecs, UTF-8, concatenation and
 * constant-shape comparison. Strict means a decoder rejects anything it would not itself produce
 * (uppercase hex, missing padding, stray characters), so one value never has two accepted spellings.
 */
import { FactoError } from './errors.js';

const encoder = new TextEncoder();
const asciiDecoder = new TextDecoder();
const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_DIGITS = Array.from({ length: 256 }, (_, index) => index.toString(16).padStart(2, '0'));
/** The character codes of each byte's two hex digits, high digit and low digit. */
const HEX_HIGH = Uint8Array.from(HEX_DIGITS, (digits) => digits.charCodeAt(0));
const HEX_LOW = Uint8Array.from(HEX_DIGITS, (digits) => digits.charCodeAt(1));
/** The value of each lowercase hex digit, indexed by its character code. */
const HEX_VALUES = new Uint8Array(128);
for (let digit = 0; digit < 16; digit++) HEX_VALUES[digit.toString(16).charCodeAt(0)] = digit;

export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

/**
 * Lowercase hex. The digits' character codes are written into one array and decoded once (ASCII is
 * UTF-8): appending two-character strings made a string per byte, and proofs and ingest turn
 * dozens of hashes into hex per request.
 */
export function toHex(bytes: Uint8Array): string {
  const digits = new Uint8Array(bytes.length * 2);
  for (let index = 0, position = 0; index < bytes.length; index++, position += 2) {
    const byte = bytes[index]!;
    digits[position] = HEX_HIGH[byte]!;
    digits[position + 1] = HEX_LOW[byte]!;
  }
  return asciiDecoder.decode(digits);
}

/** Decodes lowercase hex. `length`, when given, is the expected number of bytes. */
export function fromHex(hex: string, name = 'hex', length?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_PATTERN.test(hex)) {
    throw new FactoError('invalid_argument', `${name} must be lowercase hex with an even number of digits`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    // The pattern above admits only 0-9 and a-f, so each digit's value is a table lookup.
    bytes[index] = (HEX_VALUES[hex.charCodeAt(index * 2)]! << 4) | HEX_VALUES[hex.charCodeAt(index * 2 + 1)]!;
  }
  if (length !== undefined && bytes.length !== length) {
    throw new FactoError('invalid_argument', `${name} must be ${length} bytes (${length * 2} hex digits), got ${bytes.length}`);
  }
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  }
  return btoa(binary);
}

/** Decodes standard, padded base64 (RFC 4648 section 4). */
export function fromBase64(text: string, name = 'base64', length?: number): Uint8Array {
  if (typeof text !== 'string' || !BASE64_PATTERN.test(text)) {
    throw new FactoError('invalid_argument', `${name} must be standard padded base64`);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  if (length !== undefined && bytes.length !== length) {
    throw new FactoError('invalid_argument', `${name} must decode to ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Compares without an early exit, so timing does not reveal where two hashes first differ. */
export function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index++) difference |= left[index]! ^ right[index]!;
  return difference === 0;
}
