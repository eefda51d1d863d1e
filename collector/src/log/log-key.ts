/**
 * The collector's own Ed25519 key: it signs checkpoints, chain statements and erasure entries. Loaded
 * from a PKCS#8 PEM file, or created on first start, written with mode 0600 through an exclusive
 * create so two starting collectors cannot both write one. Its bytes never reach a log line.
 *
 * A log keeps its key: once a store holds a signed checkpoint, a missing key file is not replaced by
 * a new key, and a key (or origin) that did not sign the store's latest checkpoint is refused. A new
 * key would publish a verifier key that none of the log's checkpoints open with, while exports mixed
 * old-key checkpoints with new-key statements: genuine evidence that verifies under neither key.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeVerifierKey, FactoError, generateKeyPair, getPublicKey, noteKeyId, openCheckpoint, parsePrivateKey, parseVerifierKey, privateKeyToPem, sha256, toHex } from '@facto/core';
import { makeFolders } from '../ops/make-folders.js';

export interface LogKey {
  /** The key file, for messages. */
  readonly path: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The log's origin line, which is also the note key name. */
  readonly origin: string;
  /** C2SP verifier key: origin+keyid+base64. */
  readonly verifierKey: string;
  /** The 4-byte C2SP key hash, hex. */
  readonly keyHash: string;
  readonly created: boolean;
  /** The key file's mode grants anything to users other than its owner (0600 is expected). */
  readonly readableByOthers: boolean;
}

export function defaultOrigin(publicKey: Uint8Array): string {
  return `facto.local/${toHex(sha256(publicKey)).slice(0, 8)}`;
}

/** The signed checkpoint a store already holds, if any: a key must open it (see the top of this file). */
export interface SignedBefore {
  readonly treeSize: number;
  readonly note: string;
}

/**
 * Loads the key at `path`, or creates it when the store holds no log yet. `signedBefore`: the store's
 * latest checkpoint, which the key must open; `holdsLeaves`: the store has entries (a log without a
 * checkpoint yet, after a crash: its erasure entries were signed by a key too).
 */
export function loadOrCreateLogKey(path: string, origin?: string, signedBefore?: SignedBefore | null, holdsLeaves = false): LogKey {
  let privateKey: Uint8Array;
  let created = false;
  try {
    privateKey = parsePrivateKey(readFileSync(path, 'utf8').trim());
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      if (FactoError.isInstance(error)) throw new FactoError('key_format', `log key ${path} is not a usable Ed25519 private key: ${error.message}`);
      throw new FactoError('key_format', `cannot read log key ${path}: ${code ?? (error as Error).message}`);
    }
    if (signedBefore || holdsLeaves) {
      const signed = signedBefore ? ` signed by a key (checkpoint at tree size ${signedBefore.treeSize}, origin ${originLine(signedBefore.note)})` : '';
      throw new FactoError(
        'unavailable',
        `the log key ${path} does not exist, but the database already holds a log${signed}; start with that key (--log-key), or use a new database: a new key would leave the log's evidence verifiable under no key`,
      );
    }
    privateKey = generateKeyPair().privateKey;
    try {
      makeFolders(dirname(path), 0o700);
      writeFileSync(path, privateKeyToPem(privateKey), { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    } catch (writeError) {
      throw new FactoError('unavailable', `cannot create the log key ${path}: ${(writeError as NodeJS.ErrnoException).code ?? (writeError as Error).message}`);
    }
    created = true;
  }
  const publicKey = getPublicKey(privateKey);
  const name = origin ?? defaultOrigin(publicKey);
  const verifierKey = encodeVerifierKey(name, publicKey);
  if (signedBefore) assertSignedBy(signedBefore, verifierKey, path);
  const readableByOthers = (statSync(path).mode & 0o077) !== 0;
  return { path, privateKey, publicKey, origin: name, verifierKey, keyHash: toHex(noteKeyId(name, publicKey)), created, readableByOthers };
}

const keyMismatchMarker = Symbol.for('facto.log.key_mismatch');

/**
 * A key (or origin) that did not sign the log's latest checkpoint: the process holding it must not
 * sign for that log, at start or later. Its message names the key file and the origins, never the key.
 */
export class LogKeyMismatchError extends FactoError {
  readonly [keyMismatchMarker] = true;

  constructor(message: string) {
    super('unavailable', message);
    this.name = 'LogKeyMismatchError';
  }

  static override isInstance(error: unknown): error is LogKeyMismatchError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[keyMismatchMarker] === true;
  }
}

/** Refuses a key (and origin) that did not sign `signedBefore`: the log's checkpoints must all open with its one key. */
export function assertSignedBy(signedBefore: SignedBefore, verifierKey: string, path: string): void {
  try {
    openCheckpoint(signedBefore.note, [parseVerifierKey(verifierKey)]);
  } catch {
    throw new LogKeyMismatchError(
      `the log key ${path} with origin ${verifierKey.slice(0, verifierKey.indexOf('+'))} did not sign this database's log (its latest checkpoint, at tree size ${signedBefore.treeSize}, is from origin ${originLine(signedBefore.note)}); start with the key and origin that signed it, or use a new database`,
    );
  }
}

/** A checkpoint note's first line, its origin, quoted for a message (at most 100 characters). */
function originLine(note: string): string {
  return JSON.stringify(note.slice(0, note.indexOf('\n') === -1 ? 100 : Math.min(note.indexOf('\n'), 100)));
}
