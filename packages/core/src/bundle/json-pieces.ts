/**
 * Parsing the pieces json-scan.ts delimits (a member's value, an event) exactly as parseStrictJson
 * would parse them inside the whole document: wrapped in as many brackets as they are deep, so the
 * nesting limit applies as it does there. Events, the bulk of a bundle, take a faster road that
 * reaches the same verdict (parseEvent).
 */
import { FactoError } from '../errors.js';
import { parseStrictJson } from '../strict-json.js';
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, OPEN_BRACE, OPEN_BRACKET, QUOTE, stringEnd } from './json-bytes.js';

// fatal: JSON is UTF-8 (RFC 8259 section 8.1); a byte that is not is refused, never replaced by U+FFFD.
// ignoreBOM: a U+FEFF inside the text is a character, as it is for a reader of the whole text.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class BundleSyntaxError extends FactoError {
  constructor(message: string) {
    super('invalid_argument', message);
    this.name = 'BundleSyntaxError';
  }
}

/**
 * How every refusal of a bundle's text begins, in both readers: the offset in the document's bytes
 * (what a hex editor or `dd skip=` shows), and for the streaming reader the piece it was reading.
 */
export function invalidJsonAt(byte: number, where?: string): string {
  return `invalid JSON at byte ${byte}${where === undefined ? '' : `, in ${where}`}`;
}

/** Why a byte that is not UTF-8 is refused, by the streaming reader and by parseEvidenceBundle alike. */
export function notUtf8Reason(byte: number | undefined): string {
  return `not UTF-8${byte === undefined ? '' : ` (0x${byte.toString(16).padStart(2, '0')})`}: a bundle is JSON, which must be UTF-8 (RFC 8259 section 8.1)`;
}

/**
 * Why a bundle that begins with a byte order mark is refused, by both readers. RFC 8259 section 8.1
 * lets a parser either ignore one or treat it as an error; two verifiers must not differ on the same
 * bytes, so section 13 picks one: refused, as no writer of bundles adds one.
 */
export const BOM_REASON = 'a byte order mark (U+FEFF) begins the text: a bundle must not begin with one, and it is refused, not skipped (section 13)';

/** The UTF-8 length of `text`'s UTF-16 code units from `from` up to `end`. */
function utf8Length(text: string, from: number, end: number): number {
  let length = 0;
  for (let index = from; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < end && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      length += 4;
      index++;
    } else length += 3;
  }
  return length;
}

// parseStrictJson (../strict-json.ts) gives the offset in its message only.
const STRICT_REFUSAL = /^invalid JSON at offset (\d+): /;

/**
 * parseStrictJson's refusal of `given`, said as every refusal of a bundle's text is; undefined for
 * anything else it threw. It counts UTF-16 code units of what it was given, whose first `prefix`
 * units (brackets a piece is wrapped in) are not the document's, and whose next ones start at byte
 * `start` of the document.
 */
export function strictRefusal(error: unknown, given: string, prefix: number, start: number, where?: string): string | undefined {
  const match = error instanceof Error ? STRICT_REFUSAL.exec(error.message) : null;
  if (match === null) return undefined;
  const end = Math.min(Math.max(Number(match[1]), prefix), given.length);
  return `${invalidJsonAt(start + utf8Length(given, prefix, end), where)}: ${(error as Error).message.slice(match[0].length)}`;
}

/**
 * The text of a piece's bytes, which start at offset `start` of the document; throws
 * BundleSyntaxError naming the first byte that is not UTF-8. Every byte of a bundle that is not
 * JSON's ASCII punctuation or space is inside some piece, so none escapes this check.
 */
function decodePiece(bytes: Uint8Array, where: string | undefined, start: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const at = invalidUtf8Offset(bytes);
    throw new BundleSyntaxError(`${invalidJsonAt(start + at, where)}: ${notUtf8Reason(bytes[at])}`);
  }
}

/**
 * The offset where the first ill-formed UTF-8 sequence starts (by the Unicode standard's table 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF, no character cut short), or -1.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let index = 0; index < bytes.length; ) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0) return index;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let next = 1; next < length; next++) {
      const byte = bytes[index + next];
      if (byte === undefined || (next === 1 ? byte < low || byte > high : byte < 0x80 || byte > 0xbf)) return index;
    }
    index += length;
  }
  return -1;
}

/**
 * Parses a piece found at `depth` (and at offset `start`) in the document exactly as parseStrictJson
 * would have inside it. `where` names the piece in messages; the document itself needs no name.
 */
export function parsePiece(bytes: Uint8Array, depth: number, where: string | undefined, start: number): unknown {
  return parsePieceText(decodePiece(bytes, where, start), depth, where, start);
}

function parsePieceText(text: string, depth: number, where: string | undefined, start: number): unknown {
  const wrapped = '['.repeat(depth) + text + ']'.repeat(depth);
  try {
    let value = parseStrictJson(wrapped);
    for (let level = 0; level < depth; level++) value = (value as unknown[])[0];
    return value;
  } catch (error) {
    const refusal = strictRefusal(error, wrapped, depth, start, where);
    throw refusal === undefined ? error : new BundleSyntaxError(refusal);
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
export function parseEvent(bytes: Uint8Array, where: string, start: number): unknown {
  const text = decodePiece(bytes, where, start);
  const shape = shapeOf(bytes);
  if (shape.depth <= FAST_DEPTH && shape.literal <= LONGEST_LITERAL) {
    try {
      const value: unknown = JSON.parse(text);
      if (keyCount(value) === shape.members) return value;
    } catch {
      // Not JSON: parseStrictJson says where and why.
    }
  }
  return parsePieceText(text, 2, where, start);
}
