/**
 * The collector's own Ed25519 key: it signs checkpoints, chain statements and erasure entries. Loaded
 * from a PKCS#8 PEM file, or created on first start, written with mode 0600 through an exclusive
 * create so two starting collectors cannot both write one. Its bytes never reach a log line.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeVerifierKey, FactoError, generateKeyPair, getPublicKey, noteKeyId, parsePrivateKey, privateKeyToPem, sha256, toHex } from '@facto/core';

export interface LogKey {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The log's origin line, which is also the note key name. */
  readonly origin: string;
  /** C2SP verifier key: origin+keyid+base64. */
  readonly verifierKey: string;
  /** The 4-byte C2SP key hash, hex. */
  readonly keyHash: string;
  readonly created: boolean;
}

export function defaultOrigin(publicKey: Uint8Array): string {
  return `facto.local/${toHex(sha256(publicKey)).slice(0, 8)}`;
}

export function loadOrCreateLogKey(path: string, origin?: string): LogKey {
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
    privateKey = generateKeyPair().privateKey;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, privateKeyToPem(privateKey), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    created = true;
  }
  const publicKey = getPublicKey(privateKey);
  const name = origin ?? defaultOrigin(publicKey);
  return { privateKey, publicKey, origin: name, verifierKey: encodeVerifierKey(name, publicKey), keyHash: toHex(noteKeyId(name, publicKey)), created };
}
