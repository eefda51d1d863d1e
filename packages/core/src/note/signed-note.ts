/**
 * C2SP signed notes (c2sp.org/signed-note, golang.org/x/mod/sumdb/note): text ending in a newline, a
 * blank line, then lines `— <name> <base64(key ID || signature)>`. Opening a note proves that at least
 * one trusted key signed exactly this text; signatures from unknown keys are reported, never trusted.
 *
 * Two choices go beyond Go's implementation, both to keep one note from having two readings: a second
 * signature line for the same key is an error (Go silently keeps the first), and base64 must be canonical.
 */
import { assertBytes, concatBytes, equalBytes, toBase64, toHex, utf8 } from '../bytes.js';
import { FactoError } from '../errors.js';
import { getPublicKey, sign, verify } from './crypto-adapter.js';
import {
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  decodeCanonicalBase64,
  forbiddenCharacterProblem,
  keyNameProblem,
  malformedNote,
} from './note-syntax.js';
import { type NoteSigner, type VerifierKey, assertKeyName, assertVerifierKey, noteKeyId } from './verifier-key.js';

export interface NoteSignature {
  readonly name: string;
  /** 4 bytes. */
  readonly keyId: Uint8Array;
  /** True when a known verifier key checked it; false for a key the caller did not list (ignored, per spec). */
  readonly verified: boolean;
}

export interface OpenedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const SIGNATURE_PREFIX = '\u2014 ';
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (typeof text !== 'string') throw new TypeError('note text must be a string');
  if (!text.endsWith('\n')) throw new FactoError('note_format', 'note text must end with a newline');
  const problem = forbiddenCharacterProblem(text);
  if (problem !== undefined) throw new FactoError('note_format', `note text has a ${problem}`);
  if (!Array.isArray(signers) || signers.length === 0) throw new TypeError('signNote needs at least one signer');
  const message = utf8(text);
  const seen = new Set<string>();
  let lines = '';
  signers.forEach((signer, index) => {
    assertKeyName(signer.name, `signers[${index}].name`);
    assertBytes(signer.privateKey, `signers[${index}].privateKey`, 32);
    const keyId = noteKeyId(signer.name, getPublicKey(signer.privateKey));
    const identity = `${signer.name}+${toHex(keyId)}`;
    if (seen.has(identity)) throw new FactoError('invalid_argument', `signer ${identity} is listed twice`);
    seen.add(identity);
    const signature = sign(message, signer.privateKey);
    lines += `${SIGNATURE_PREFIX}${signer.name} ${toBase64(concatBytes(keyId, signature))}\n`;
  });
  return `${text}\n${lines}`;
}

/**
 * Parses `note` (a string, or UTF-8 bytes as served over HTTP) and verifies every signature from a key in
 * `verifiers`. Throws FactoError('note_format') whose message starts with "malformed note:" when the
 * syntax is wrong, "invalid note signature:" when a known key's signature fails (the whole note is
 * rejected, as the spec recommends), and "unverified note:" when no known key signed it.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly VerifierKey[]): OpenedNote {
  const noteText = decodeNoteInput(note);
  if (!Array.isArray(verifiers)) throw new TypeError('verifiers must be an array of VerifierKey');
  verifiers.forEach((key, index) => assertVerifierKey(key, `verifiers[${index}]`));
  const { text, parsed } = parseNote(noteText);
  const message = utf8(text);
  const signatures = parsed.map(({ name, keyId, signature }) => {
    const key = findVerifier(verifiers, name, keyId);
    if (key === undefined) return { name, keyId, verified: false };
    if (signature.length !== 64 || !verify(signature, message, key.publicKey)) {
      throw new FactoError('note_format', `invalid note signature: the signature by known key ${name}+${toHex(keyId)} does not verify; the note was altered or not signed by that key`);
    }
    return { name, keyId, verified: true };
  });
  if (!signatures.some((signature) => signature.verified)) {
    const signers = signatures.map((signature) => `${signature.name}+${toHex(signature.keyId)}`).join(', ');
    throw new FactoError('note_format', `unverified note: none of its signatures (${signers}) is from a known verifier key`);
  }
  return { text, signatures };
}

function decodeNoteInput(note: string | Uint8Array): string {
  if (note instanceof Uint8Array) {
    if (note.length > MAX_NOTE_BYTES) throw malformedNote(`larger than ${MAX_NOTE_BYTES} bytes`);
    try {
      return fatalDecoder.decode(note);
    } catch {
      throw malformedNote('not valid UTF-8');
    }
  }
  if (typeof note !== 'string') throw new TypeError('note must be a string or a Uint8Array');
  if (note.length > MAX_NOTE_BYTES || utf8(note).length > MAX_NOTE_BYTES) throw malformedNote(`larger than ${MAX_NOTE_BYTES} bytes`);
  return note;
}

interface ParsedSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

function parseNote(note: string): { text: string; parsed: ParsedSignature[] } {
  const problem = forbiddenCharacterProblem(note);
  if (problem !== undefined) throw malformedNote(problem);
  // The text may hold blank lines of its own; the signatures follow the last one.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformedNote('no blank line separates the text from the signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === '') throw malformedNote('no signature lines after the blank line');
  if (!block.endsWith('\n')) throw malformedNote('the last signature line does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformedNote(`more than ${MAX_SIGNATURES} signatures`);
  const seen = new Set<string>();
  const parsed = lines.map((line, index) => {
    const where = `signature line ${index + 1}`;
    if (!line.startsWith(SIGNATURE_PREFIX)) throw malformedNote(`${where} does not start with an em dash (U+2014) and a space`);
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) throw malformedNote(`${where} has no space between key name and signature`);
    const name = rest.slice(0, space);
    const nameProblem = keyNameProblem(name);
    if (nameProblem !== undefined) throw malformedNote(`${where}: key name ${nameProblem}`);
    const bytes = decodeCanonicalBase64(rest.slice(space + 1));
    if (bytes === undefined) throw malformedNote(`${where}: signature is not canonical standard base64`);
    if (bytes.length < 5) throw malformedNote(`${where}: signature is shorter than a key ID and one byte`);
    const keyId = bytes.slice(0, 4);
    const identity = `${name}+${toHex(keyId)}`;
    if (seen.has(identity)) throw malformedNote(`${where}: a second signature by key ${identity}`);
    seen.add(identity);
    return { name, keyId, signature: bytes.slice(4) };
  });
  return { text, parsed };
}

function findVerifier(verifiers: readonly VerifierKey[], name: string, keyId: Uint8Array): VerifierKey | undefined {
  const matches = verifiers.filter((key) => key.name === name && equalBytes(key.keyId, keyId));
  const first = matches[0];
  if (first !== undefined && matches.some((key) => !equalBytes(key.publicKey, first.publicKey))) {
    throw new FactoError('key_format', `ambiguous verifier keys: two different keys are named ${name}+${toHex(keyId)}`);
  }
  return first;
}
