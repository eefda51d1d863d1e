/**
 * Lexical rules shared by signed notes, verifier keys and checkpoints (c2sp.org/signed-note). Every
 * decoder here is strict: it accepts one spelling per value, so that changing any byte of a note either
 * breaks its syntax or changes what was signed.
 */
import { fromBase64, toBase64 } from '../bytes.js';
import { FactoError } from '../errors.js';

/** Above this a note is refused before any parsing; checkpoints are a few hundred bytes. */
export const MAX_NOTE_BYTES = 1 << 20;
/** The spec requires accepting at least 16; Go's sumdb/note stops at 100, as we do. */
export const MAX_SIGNATURES = 100;
export const SIGNATURE_TYPE_ED25519 = 0x01;

// Unicode White_Space is exactly the set Go's unicode.IsSpace rejects in key names.
const WHITE_SPACE = /\p{White_Space}/u;
// ASCII controls other than newline; in a `u` regex \p{Cs} matches only unpaired surrogates.
const FORBIDDEN_CHARACTER = /[\u0000-\u0009\u000B-\u001F]|\p{Cs}/u;

export function malformedNote(reason: string): FactoError {
  return new FactoError('note_format', `malformed note: ${reason}`);
}

/** Key names must be non-empty, without Unicode spaces or '+', and (to fit in a note) without controls. */
export function keyNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name === '') return 'must not be empty';
  if (name.includes('+')) return "must not contain '+'";
  if (WHITE_SPACE.test(name)) return 'must not contain spaces';
  if (FORBIDDEN_CHARACTER.test(name)) return 'must not contain control characters or unpaired surrogates';
  return undefined;
}

/** Describes the first character a note may not contain, or undefined when the text is clean. */
export function forbiddenCharacterProblem(text: string): string | undefined {
  const match = FORBIDDEN_CHARACTER.exec(text);
  if (match === null) return undefined;
  const code = match[0].codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase();
  return `forbidden character U+${code} at offset ${match.index} (only newline is allowed below U+0020, and text must be valid Unicode)`;
}

/** Standard padded base64 whose unused trailing bits are zero: the only spelling `toBase64` produces. */
export function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    return undefined;
  }
  return toBase64(bytes) === text ? bytes : undefined;
}
