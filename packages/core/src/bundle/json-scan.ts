/**
 * Reads an evidence bundle's JSON text as a stream of bytes, without holding it whole: the top-level
 * object's members one by one, and the elements of its `events` array one at a time. Each piece is
 * delimited here (brackets counted outside strings, json-bytes.ts) and parsed as parseStrictJson
 * would parse it inside the whole text (json-pieces.ts), so what is accepted, refused and produced is
 * exactly what parseStrictJson gives for the whole.
 */
import { BOM_REASON, BundleSyntaxError, invalidJsonAt, parseEvent, parsePiece } from './json-pieces.js';
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, endsEscaped, isSpace, OPEN_BRACE, OPEN_BRACKET, QUOTE, stringEnd, valueEnd } from './json-bytes.js';

/** A cursor over a stream of byte chunks, one byte at a time, reading a chunk only when it needs one. */
class ByteCursor {
  readonly #chunks: AsyncIterator<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;
  /** Bytes consumed before the current chunk. */
  #before = 0;
  #ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.#chunks = chunks[Symbol.asyncIterator]();
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.#before + this.#offset;
  }

  /** The next byte without consuming it; -1 at the end of the text. */
  async peek(): Promise<number> {
    while (this.#offset >= this.#chunk.length) {
      if (this.#ended) return -1;
      const next = await this.#chunks.next();
      if (next.done === true) {
        this.#ended = true;
        return -1;
      }
      this.#before += this.#chunk.length;
      this.#chunk = next.value;
      this.#offset = 0;
    }
    return this.#chunk[this.#offset]!;
  }

  async skipSpace(): Promise<number> {
    for (;;) {
      const byte = await this.peek();
      if (!isSpace(byte)) return byte;
      this.#offset++;
    }
  }

  async expect(byte: number, what: string): Promise<void> {
    if ((await this.skipSpace()) !== byte) this.fail(`expected ${what}`);
    this.#offset++;
  }

  /**
   * The next value's bytes (after any space) when the value ends inside the current chunk, consumed;
   * undefined, consuming nothing but space, when it does not (then value() reads on). The common case
   * of many events per chunk thus costs no await.
   */
  valueInChunk(): Uint8Array | undefined {
    const chunk = this.#chunk;
    let from = this.#offset;
    while (from < chunk.length && isSpace(chunk[from]!)) from++;
    this.#offset = from;
    if (from >= chunk.length) return undefined;
    const end = valueEnd(chunk, from);
    if (end === -1) return undefined;
    if (end === from) this.fail('expected a value');
    this.#offset = end;
    return chunk.subarray(from, end);
  }

  /** The next byte after any space, consumed, when the current chunk holds it; undefined otherwise. */
  byteInChunk(): number | undefined {
    const chunk = this.#chunk;
    while (this.#offset < chunk.length && isSpace(chunk[this.#offset]!)) this.#offset++;
    return this.#offset < chunk.length ? chunk[this.#offset++]! : undefined;
  }

  fail(message: string): never {
    throw new BundleSyntaxError(`${invalidJsonAt(this.position)}: ${message}`);
  }

  /**
   * Consumes one JSON value's bytes: a string, a container up to its matching close, or a scalar up
   * to the next delimiter. Keeps them when `keep`, failing beyond `maxBytes`; only delimits (the
   * strict parse judges the bytes).
   */
  async value(keep: boolean, maxBytes: number, what: string): Promise<Uint8Array | undefined> {
    const first = await this.skipSpace();
    if (first === -1) this.fail('expected a value');
    const pieces: Uint8Array[] = [];
    let kept = 0;
    let depth = 0;
    let inString = false;
    let escaped = false;
    const scalar = first !== QUOTE && first !== OPEN_BRACE && first !== OPEN_BRACKET;
    for (;;) {
      if ((await this.peek()) === -1) {
        if (scalar) break;
        this.fail(inString ? 'unterminated string' : `unterminated ${what}`);
      }
      const chunk = this.#chunk;
      const start = this.#offset;
      let index = start;
      let done = false;
      for (; index < chunk.length; index++) {
        if (inString) {
          // Jump to the string's end rather than walk it: most of a bundle's bytes are inside strings.
          const end = stringEnd(chunk, index, escaped);
          if (end === -1) {
            escaped = endsEscaped(chunk, escaped ? index + 1 : index);
            index = chunk.length;
            break;
          }
          escaped = false;
          inString = false;
          index = end;
          if (depth === 0) {
            index++;
            done = true;
            break;
          }
          continue;
        }
        const byte = chunk[index]!;
        if (scalar) {
          if (isSpace(byte) || byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
            done = true;
            break;
          }
        } else if (byte === QUOTE) inString = true;
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
        else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) {
            index++;
            done = true;
            break;
          }
        }
      }
      if (keep) {
        kept += index - start;
        if (kept > maxBytes) this.fail(`${what} is larger than ${maxBytes} bytes`);
        pieces.push(chunk.subarray(start, index));
      }
      this.#offset = index;
      if (done) break;
    }
    if (!keep) return undefined;
    if (kept === 0) this.fail('expected a value');
    if (pieces.length === 1) return pieces[0]!;
    const joined = new Uint8Array(kept);
    let at = 0;
    for (const piece of pieces) {
      joined.set(piece, at);
      at += piece.length;
    }
    return joined;
  }
}

export interface BundleMembers {
  /** Every top-level member but `events`, parsed. */
  readonly members: ReadonlyMap<string, unknown>;
  /** What `events` holds: an array (read by readBundleEvents), something else, or nothing. */
  readonly events: 'array' | 'other' | 'absent';
  /** False when the text is JSON but not an object. */
  readonly isObject: boolean;
}

/** The largest top-level member other than `events`, and the largest event, read into memory. */
export const MAX_PIECE_BYTES = 256 * 1024 * 1024;

/**
 * Walks the top-level object: yields each member's name with the cursor at its value, which the
 * caller must consume before asking for the next. Returns false when the text is not an object.
 * Throws BundleSyntaxError on malformed text.
 */
async function* walkMembers(cursor: ByteCursor): AsyncGenerator<string, boolean, void> {
  if ((await cursor.skipSpace()) !== OPEN_BRACE) {
    // JSON, perhaps, but not an object: no bundle. Its syntax is still checked, as the whole-text reader would.
    const document = (await cursor.value(true, MAX_PIECE_BYTES, 'the document'))!;
    parsePiece(document, 0, undefined, cursor.position - document.length);
    if ((await cursor.skipSpace()) !== -1) cursor.fail('unexpected text after the value');
    return false;
  }
  await cursor.expect(OPEN_BRACE, '"{"');
  const names = new Set<string>();
  if ((await cursor.skipSpace()) === CLOSE_BRACE) await cursor.expect(CLOSE_BRACE, '"}"');
  else {
    for (;;) {
      if ((await cursor.skipSpace()) !== QUOTE) cursor.fail('expected a member name');
      const at = cursor.position;
      const nameBytes = (await cursor.value(true, MAX_PIECE_BYTES, 'a member name'))!;
      const name = parsePiece(nameBytes, 0, 'a member name', at) as string;
      if (names.has(name)) throw new BundleSyntaxError(`${invalidJsonAt(at)}: duplicate member name ${JSON.stringify(name)}`);
      names.add(name);
      await cursor.expect(COLON, '":"');
      yield name;
      if ((await cursor.skipSpace()) === COMMA) {
        await cursor.expect(COMMA, '","');
        continue;
      }
      await cursor.expect(CLOSE_BRACE, '"," or "}"');
      break;
    }
  }
  if ((await cursor.skipSpace()) !== -1) cursor.fail('unexpected text after the value');
  return true;
}

/** The chunks as they come, after checking that the text does not begin with a byte order mark (EF BB BF). */
async function* refusingBom(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const held: Uint8Array[] = [];
  let length = 0;
  let checked = false;
  for await (const chunk of chunks) {
    if (checked) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    length += chunk.length;
    if (length < 3) continue;
    checked = true;
    const start = held.length === 1 ? chunk : Uint8Array.from(held.flatMap((piece) => [...piece.subarray(0, 3)]));
    if (start[0] === 0xef && start[1] === 0xbb && start[2] === 0xbf) throw new BundleSyntaxError(`${invalidJsonAt(0)}: ${BOM_REASON}`);
    yield* held;
  }
  if (!checked) yield* held;
}

/** First pass: every member but the events, which are only stepped over (their syntax is the second pass's). */
export async function readBundleMembers(chunks: AsyncIterable<Uint8Array>): Promise<BundleMembers> {
  const cursor = new ByteCursor(refusingBom(chunks));
  const members = new Map<string, unknown>();
  let events: BundleMembers['events'] = 'absent';
  const walker = walkMembers(cursor);
  for (;;) {
    const step = await walker.next();
    if (step.done === true) return { members, events, isObject: step.value };
    const name = step.value;
    if (name === 'events' && (await cursor.skipSpace()) === OPEN_BRACKET) {
      events = 'array';
      await cursor.value(false, 0, 'the events array');
      continue;
    }
    const bytes = (await cursor.value(true, MAX_PIECE_BYTES, `member "${name}"`))!;
    const value = parsePiece(bytes, 1, `member "${name}"`, cursor.position - bytes.length);
    if (name === 'events') events = 'other';
    else members.set(name, value);
  }
}

/**
 * Second pass: the elements of the top-level `events` array, in order, each parsed strictly, in
 * batches (the events a chunk of bytes holds), each with the number of bytes read once it was read
 * (for progress). The other members are stepped over.
 */
export async function* readBundleEvents(chunks: AsyncIterable<Uint8Array>): AsyncIterable<readonly { readonly event: unknown; readonly bytesRead: number }[]> {
  const cursor = new ByteCursor(chunks);
  for await (const name of walkMembers(cursor)) {
    if (name !== 'events' || (await cursor.skipSpace()) !== OPEN_BRACKET) {
      await cursor.value(false, 0, `member "${name}"`);
      continue;
    }
    await cursor.expect(OPEN_BRACKET, '"["');
    if ((await cursor.skipSpace()) === CLOSE_BRACKET) {
      await cursor.expect(CLOSE_BRACKET, '"]"');
      continue;
    }
    let batch: { event: unknown; bytesRead: number }[] = [];
    for (let index = 0; ; index++) {
      const where = `events[${index}]`;
      let bytes = cursor.valueInChunk();
      if (bytes === undefined) {
        // The event runs into the next chunk: hand over what was read before waiting for more.
        if (batch.length > 0) yield batch;
        batch = [];
        bytes = (await cursor.value(true, MAX_PIECE_BYTES, where))!;
      }
      batch.push({ event: parseEvent(bytes, where, cursor.position - bytes.length), bytesRead: cursor.position });
      let separator = cursor.byteInChunk();
      if (separator === undefined) {
        // The chunk is done: hand the batch over before waiting for more bytes.
        yield batch;
        batch = [];
        separator = await cursor.skipSpace();
        if (separator === COMMA || separator === CLOSE_BRACKET) await cursor.expect(separator, '"," or "]"');
      }
      if (separator === COMMA) continue;
      if (separator !== CLOSE_BRACKET) cursor.fail('expected "," or "]"');
      break;
    }
    if (batch.length > 0) yield batch;
  }
}
