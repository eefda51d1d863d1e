/**
 * JSON as a verifier must read it. `JSON.parse` keeps the last of two members with the same name, so
 * a document could show one value to one reader and another value to a second reader that keeps the
 * first; an evidence document must have one meaning. `parseStrictJson` checks the text against the
 * RFC 8259 grammar and refuses a duplicate member name in any object (compared after unescaping),
 * then parses it with `JSON.parse`.
 */
import { FactoError } from './errors.js';

/** Nesting beyond this is refused rather than walked (a verifier must not overflow its stack). */
const MAX_DEPTH = 512;

function fail(message: string, offset: number): never {
  throw new FactoError('invalid_argument', `invalid JSON at offset ${offset}: ${message}`);
}

export function parseStrictJson(text: string): unknown {
  if (typeof text !== 'string') throw new TypeError('parseStrictJson: text must be a string');
  let offset = 0;

  const skipSpace = () => {
    while (offset < text.length) {
      const code = text.charCodeAt(offset);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) break;
      offset++;
    }
  };

  /** Reads a string token and returns it as written, quotes included. */
  const readString = (): string => {
    const start = offset;
    if (text[offset] !== '"') fail('expected a string', offset);
    offset++;
    while (offset < text.length) {
      const char = text[offset]!;
      if (char === '"') {
        offset++;
        return text.slice(start, offset);
      }
      if (char === '\\') {
        const escape = text[offset + 1];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(offset + 2, offset + 6))) fail('malformed \\u escape', offset);
          offset += 6;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) offset += 2;
        else fail('malformed escape', offset);
        continue;
      }
      if (char.charCodeAt(0) < 0x20) fail('unescaped control character in a string', offset);
      offset++;
    }
    return fail('unterminated string', start);
  };

  const readValue = (depth: number): void => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`, offset);
    skipSpace();
    const char = text[offset];
    if (char === '{') {
      offset++;
      const names = new Set<string>();
      skipSpace();
      if (text[offset] === '}') {
        offset++;
        return;
      }
      for (;;) {
        skipSpace();
        const at = offset;
        const raw = readString();
        const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (names.has(name)) fail(`duplicate member name ${JSON.stringify(name)}`, at);
        names.add(name);
        skipSpace();
        if (text[offset] !== ':') fail('expected ":"', offset);
        offset++;
        readValue(depth + 1);
        skipSpace();
        if (text[offset] === ',') {
          offset++;
          continue;
        }
        if (text[offset] === '}') {
          offset++;
          return;
        }
        fail('expected "," or "}"', offset);
      }
    }
    if (char === '[') {
      offset++;
      skipSpace();
      if (text[offset] === ']') {
        offset++;
        return;
      }
      for (;;) {
        readValue(depth + 1);
        skipSpace();
        if (text[offset] === ',') {
          offset++;
          continue;
        }
        if (text[offset] === ']') {
          offset++;
          return;
        }
        fail('expected "," or "]"', offset);
      }
    }
    if (char === '"') {
      readString();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(offset, offset + 400));
    if (literal === null) fail('expected a value', offset);
    offset += literal[0].length;
  };

  readValue(0);
  skipSpace();
  if (offset !== text.length) fail('unexpected text after the value', offset);
  return JSON.parse(text);
}
