/**
 * The byte-level part of reading bundle JSON as a stream (json-scan.ts): the ASCII bytes that delimit
 * JSON, and finding where a string or a value ends inside one chunk. Only these bytes delimit, and
 * UTF-8 never uses them inside a multi-byte character, so bytes can be cut anywhere else.
 */
export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

export const isSpace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;


/**
 * The index of the quote that ends a string whose text continues at `from` (the byte at `from` is
 * escaped when `escaped`), or -1 when the string runs past the chunk. A quote ends the string unless
 * an odd run of backslashes precedes it.
 */
export function stringEnd(chunk: Uint8Array, from: number, escaped: boolean): number {
  const start = escaped ? from + 1 : from;
  for (let search = start; ; ) {
    const quote = chunk.indexOf(QUOTE, search);
    if (quote === -1) return -1;
    let backslashes = 0;
    while (quote - backslashes - 1 >= start && chunk[quote - backslashes - 1] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    search = quote + 1;
  }
}

/** The index just after the JSON value starting at `from` if it ends inside the chunk, else -1 (delimiting only). */
export function valueEnd(chunk: Uint8Array, from: number): number {
  const first = chunk[from]!;
  if (first === QUOTE) {
    const end = stringEnd(chunk, from + 1, false);
    return end === -1 ? -1 : end + 1;
  }
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    for (let index = from; index < chunk.length; index++) {
      const byte = chunk[index]!;
      if (isSpace(byte) || byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE) return index;
    }
    return -1;
  }
  let depth = 0;
  for (let index = from; index < chunk.length; index++) {
    const byte = chunk[index]!;
    if (byte === QUOTE) {
      const end = stringEnd(chunk, index + 1, false);
      if (end === -1) return -1;
      index = end;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

/** Whether the string text from `start` to the chunk's end leaves the next byte escaped (an odd run of trailing backslashes). */
export function endsEscaped(chunk: Uint8Array, start: number): boolean {
  let backslashes = 0;
  while (chunk.length - backslashes - 1 >= start && chunk[chunk.length - backslashes - 1] === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}
