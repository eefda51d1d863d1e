/**
 * Parsing the pieces json-scan.ts delimits (a member's value, an event) exactly as parseStrictJson
 * would parse them inside the whole document: wrapped in as many brackets as they are deep, so the
 * nesting limit applies as it does there. Events, the bulk of a bundle, take a faster road that
 * reaches the same verdict (parseEvent).
 */
import { FactoError } from '../errors.js';
import { parseStrictJson } from '../strict-json.js';
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, OPEN_BRACE, OPEN_BRACKET, QUOTE, stringEnd } from './json-bytes.js';

// ignoreBOM: a U+FEFF inside the text is a character, as it is for a reader of the whole text.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export class BundleSyntaxError extends FactoError {
  constructor(message: string) {
    super('invalid_argument', message);
    this.name = 'BundleSyntaxError';
  }
}

/** Parses a piece found at `depth` in the document exactly as parseStrictJson would have inside it. */
export function parsePiece(bytes: Uint8Array, depth: number, where: string): unknown {
  const text = decoder.decode(bytes);
  try {
    let value = parseStrictJson('['.repeat(depth) + text + ']'.repeat(depth));
    for (let level = 0; level < depth; level++) value = (value as unknown[])[0];
    return value;
  } catch (error) {
    throw new BundleSyntaxError(`${where}: ${(error as Error).message}`);
  }
}

/** parseStrictJson reads a literal in a 400-character window: a longer one is refused. */
const LONGEST_LITERAL = 400;
/** Deeper than this, the fast path leaves the verdict to parseStrictJson (whose limit is 512). */
const FAST_DEPTH = 500;

const isLiteralByte = (byte: number) => (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2b || byte === 0x2e || byte === 0x65 || byte === 0x45;

/** Members (colons outside strings), the deepest bracket nesting and the longest literal of a piece's bytes. */
function shapeOf(bytes: Uint8Array): { members: number; depth: number; literal: number } {
  let members = 0;
  let depth = 0;
  let deepest = 0;
  let run = 0;
  let literal = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (isLiteralByte(byte)) {
      literal = Math.max(literal, ++run);
      continue;
    }
    run = 0;
    if (byte === QUOTE) {
      const end = stringEnd(bytes, index + 1, false);
      if (end === -1) break;
      index = end;
    } else if (byte === COLON) members++;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) deepest = Math.max(deepest, ++depth);
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return { members, depth: deepest, literal };
}

/** Own keys of every object in a parsed value. */
function keyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) for (const item of value) count += keyCount(item);
  else for (const key of Object.keys(value)) count += 1 + keyCount((value as Record<string, unknown>)[key]);
  return count;
}

/**
 * An event, parsed as parseStrictJson would parse it inside the bundle, faster: JSON.parse reads the
 * RFC 8259 grammar parseStrictJson checks, and a member count equal to the keys it produced means no
 * name was repeated. Whatever parseStrictJson refuses besides (a repeated name, nesting beyond its
 * limit, a literal too long) fails these checks, and parseStrictJson itself gives the verdict.
 */
export function parseEvent(bytes: Uint8Array, where: string): unknown {
  const shape = shapeOf(bytes);
  if (shape.depth <= FAST_DEPTH && shape.literal <= LONGEST_LITERAL) {
    try {
      const value: unknown = JSON.parse(decoder.decode(bytes));
      if (keyCount(value) === shape.members) return value;
    } catch {
      // Not JSON: parseStrictJson says where and why.
    }
  }
  return parsePiece(bytes, 2, where);
}
