/**
 * Transparency-log checkpoints (c2sp.org/tlog-checkpoint): a signed note whose text is the log's origin,
 * its tree size in decimal and its RFC 9162 root hash in base64, then optional extension lines. Parsing
 * is strict so that a checkpoint has exactly one spelling.
 */
import { assertBytes, toBase64 } from '../bytes.js';
import { FactoError } from '../errors.js';
import { decodeCanonicalBase64, forbiddenCharacterProblem } from './note-syntax.js';
import { type NoteSignature, openNote, signNote } from './signed-note.js';
import type { NoteSigner, VerifierKey } from './verifier-key.js';

export interface Checkpoint {
  /** Identifies the log; by convention a schema-less URL that matches the log's key name. */
  readonly origin: string;
  /** Number of leaves. Limited to safe integers, which no real log will outgrow. */
  readonly treeSize: number;
  /** 32-byte root hash of the tree at `treeSize`. */
  readonly rootHash: Uint8Array;
  /** Opaque, non-empty lines after the root hash; discouraged by the spec, kept for interoperability. */
  readonly extensions: readonly string[];
}

export interface CheckpointInput {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly signatures: readonly NoteSignature[];
}

const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

/** The checkpoint's note text (its body), newline-terminated. */
export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, treeSize, rootHash, extensions = [] } = checkpoint;
  assertLine(origin, 'origin');
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError(`treeSize must be a non-negative safe integer, got ${treeSize}`);
  assertBytes(rootHash, 'rootHash', 32);
  if (!Array.isArray(extensions)) throw new TypeError('extensions must be an array of strings');
  extensions.forEach((line, index) => assertLine(line, `extensions[${index}]`));
  return [origin, String(treeSize), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

export function parseCheckpoint(body: string): Checkpoint {
  if (typeof body !== 'string') throw new TypeError('checkpoint body must be a string');
  const fail = (reason: string) => new FactoError('note_format', `malformed checkpoint: ${reason}`);
  if (!body.endsWith('\n')) throw fail('text must end with a newline');
  const problem = forbiddenCharacterProblem(body);
  if (problem !== undefined) throw fail(problem);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw fail(`expected origin, tree size and root hash lines, got ${lines.length} line(s)`);
  const emptyLine = lines.indexOf('');
  if (emptyLine >= 0) throw fail(`line ${emptyLine + 1} is empty`);
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!TREE_SIZE.test(sizeText)) throw fail(`tree size ${JSON.stringify(sizeText)} must be decimal digits without leading zeros`);
  const treeSize = Number(sizeText);
  if (!Number.isSafeInteger(treeSize)) throw fail(`tree size ${sizeText} is larger than this implementation supports (2^53 - 1)`);
  const rootHash = decodeCanonicalBase64(rootText);
  if (rootHash === undefined) throw fail('root hash is not canonical standard base64');
  if (rootHash.length !== 32) throw fail(`root hash must be 32 bytes, got ${rootHash.length}`);
  return { origin, treeSize, rootHash, extensions };
}

export function signCheckpoint(checkpoint: CheckpointInput, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), [signer]);
}

/** Opens the note (see `openNote` for the errors) and then parses its text as a checkpoint. */
export function openCheckpoint(note: string | Uint8Array, verifiers: readonly VerifierKey[]): OpenedCheckpoint {
  const { text, signatures } = openNote(note, verifiers);
  return { checkpoint: parseCheckpoint(text), signatures };
}

function assertLine(line: unknown, label: string): asserts line is string {
  if (typeof line !== 'string') throw new TypeError(`${label} must be a string`);
  if (line === '') throw new FactoError('invalid_argument', `${label} must not be empty`);
  if (line.includes('\n')) throw new FactoError('invalid_argument', `${label} must be a single line`);
  const problem = forbiddenCharacterProblem(line);
  if (problem !== undefined) throw new FactoError('invalid_argument', `${label} has a ${problem}`);
}
